/**
 * The screens' server reads, through tRPC's TanStack Query integration (the create-t3-turbo way): `useTRPC()` +
 * `queryOptions()`, one QueryClient per app. Toss's product list comes from the SDK, not our server, and is a query
 * too, so the shop reads both the same way. Reads wait for login (and the inventory for the start-up recovery, so it
 * already holds what recovery granted): AppState provides those gates.
 * After a grant, recovery, refund or subscription sync, AppState invalidates what changed; an invalidation cancels
 * the fetch in flight, so an older answer never overwrites a newer one.
 */
import type { IapError, IapProductListItem } from '@ait-iap/iap-contract';
import type { AppRouter } from '@ait-iap/server/router';
import { QueryClient, QueryClientProvider, queryOptions, useQuery } from '@tanstack/react-query';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import { createContext, type ReactNode, useContext, useState } from 'react';
import { getProductItemList } from '../iap/sdk';
import type { AppServices } from './services';

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // One attempt: a failed read shows its error (and its retry button), as the screens always did.
        retry: false,
        // Fresh until the app says otherwise (after a grant, a sync, a return to the foreground): nothing refetches
        // on its own when the webview regains focus or the network comes back.
        staleTime: Number.POSITIVE_INFINITY,
        refetchOnWindowFocus: false,
        refetchOnReconnect: false,
      },
      mutations: { retry: false },
    },
  });
}

/** One QueryClient for the app's life, and `useTRPC()` over the services' read client. */
export function ReadsProvider({ services, children }: { services: AppServices; children: ReactNode }) {
  const [queryClient] = useState(createQueryClient);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={services.trpc} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}

/** Toss's products for this mini-app (IAP.getProductItemList); the error is the SDK's. */
export const productsQuery = queryOptions<IapProductListItem[], IapError>({
  queryKey: ['toss', 'products'],
  queryFn: async () => {
    const list = await getProductItemList();
    if (!list.ok) throw list.error;
    return list.value;
  },
});

export interface ReadGates {
  /** Logged in: the shop's reads may start. */
  loggedIn: boolean;
  /** The start-up recovery finished: the inventory may be read. */
  recovered: boolean;
}

const GateContext = createContext<ReadGates>({ loggedIn: false, recovered: false });
export const ReadGateProvider = GateContext.Provider;

export function useProducts(gates?: ReadGates) {
  const context = useContext(GateContext);
  const { loggedIn } = gates ?? context;
  return useQuery({ ...productsQuery, enabled: loggedIn });
}

export function useCatalog(gates?: ReadGates) {
  const trpc = useTRPC();
  const context = useContext(GateContext);
  const { loggedIn } = gates ?? context;
  return useQuery({ ...trpc.catalog.list.queryOptions(), enabled: loggedIn });
}

export function useInventory(gates?: ReadGates) {
  const trpc = useTRPC();
  const context = useContext(GateContext);
  const { recovered } = gates ?? context;
  return useQuery({ ...trpc.me.inventory.queryOptions(), enabled: recovered });
}

/** Our server's record of the user's orders, read again on every visit to History. */
export function useOrders() {
  const trpc = useTRPC();
  const { recovered } = useContext(GateContext);
  return useQuery({ ...trpc.me.orders.queryOptions(), enabled: recovered, refetchOnMount: 'always' });
}
