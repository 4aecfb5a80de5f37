/**
 * The console's API client: tRPC over the same origin (`/trpc` on ADMIN_PORT; the session cookie goes along by
 * itself), one request per call (the server refuses batches), plain JSON (no transformer), and TanStack Query.
 */
import type { ConsoleRouter } from '@ait-iap/server/console-router';
import { QueryClient } from '@tanstack/react-query';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';

export const { TRPCProvider, useTRPC } = createTRPCContext<ConsoleRouter>();

export const trpcClient = createTRPCClient<ConsoleRouter>({
  links: [
    httpLink({ url: '/trpc', fetch: (url, init) => fetch(url, { ...init, credentials: 'same-origin' }) }),
  ],
});

export interface ConsoleErrorData {
  consoleCode?: string;
  httpStatus?: number;
  decided?: { state: string; by: string | null; at: string | null } | null;
}

export function errorData(error: unknown): ConsoleErrorData {
  if (error instanceof TRPCClientError) return (error.data ?? {}) as ConsoleErrorData;
  return {};
}

export const isUnauthorized = (error: unknown) => errorData(error).httpStatus === 401;

export function createQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: (count, error) => count < 2 && (errorData(error).httpStatus ?? 500) >= 500,
        refetchOnWindowFocus: true,
        staleTime: 5_000,
      },
      mutations: { retry: false },
    },
  });
}
