/**
 * The app's lifecycle: log in on entry, then — in this order — recover pending orders, read the shop (Toss products
 * + our catalog) and the inventory, then sync refunds and subscription states in the background. Recovery and the
 * syncs run again whenever the app returns to the foreground (visibilitychange), and what they change is read again.
 * Server data lives in TanStack Query (app/queries.tsx); this file only says when it may be read and when it is
 * stale. You probably don't need to edit this file; screens read it through `useAppState()`.
 */
import type { IapError } from '@ait-iap/iap-contract';
import { useQueryClient } from '@tanstack/react-query';
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import { type ApiErrorCode, apiErrorCode } from '../api/errors';
import { IapLoginError } from '../api/session';
import type { RecoveryReport } from '../iap/recovery';
import { type OrdersResult, syncRefunds } from '../iap/refundSync';
import { syncSubscriptionStatus } from '../iap/subscriptionSync';
import { ReadGateProvider, useCatalog, useInventory, useProducts, useTRPC } from './queries';
import { serialRunner } from './serial';
import type { AppServices } from './services';

export type LoginState =
  | { status: 'pending' }
  | { status: 'done'; userId: string }
  | { status: 'failed'; error: { kind: 'iap'; error: IapError } | { kind: 'api'; code: ApiErrorCode } };

export interface AppState {
  services: AppServices;
  login: LoginState;
  /** Login and the first load (recovery, products, catalog, inventory) have finished. */
  ready: boolean;
  /** Orders from the last refund sync (for history). */
  tossOrders: OrdersResult | null;
  recovering: boolean;
  lastRecovery: RecoveryReport | null;
  /** SKUs Toss told us the user owns (ITEM_ALREADY_OWNED) even if our inventory does not list them yet. */
  knownOwned: ReadonlySet<string>;
  retryLogin(): void;
  /** Something was granted or taken back: read the inventory (and the server's orders) again. */
  refreshInventory(): Promise<void>;
  runRecovery(): Promise<RecoveryReport>;
  runRefundSync(): Promise<void>;
  markOwned(sku: string): void;
  /** The purchase hook marks a checkout in flight so foreground recovery waits for it. */
  setPurchaseInFlight(inFlight: boolean): void;
}

const AppStateContext = createContext<AppState | null>(null);

export function useAppState(): AppState {
  const state = useContext(AppStateContext);
  if (!state) throw new Error('useAppState must be used inside <AppStateProvider>');
  return state;
}

/** Log in (again on retryLogin), then run the start-up recovery; `recovered` opens the inventory read. */
function useStart(services: AppServices, runRecovery: () => Promise<RecoveryReport>) {
  const [login, setLogin] = useState<LoginState>({ status: 'pending' });
  const [loginAttempt, setLoginAttempt] = useState(0);
  const [recovered, setRecovered] = useState(false);
  useEffect(() => {
    let cancelled = false;
    (async () => {
      setLogin({ status: 'pending' });
      try {
        const out = await services.login();
        if (cancelled) return;
        setLogin({ status: 'done', userId: out.user.id });
      } catch (error) {
        if (cancelled) return;
        setLogin({
          status: 'failed',
          error:
            error instanceof IapLoginError
              ? { kind: 'iap', error: error.result.error }
              : { kind: 'api', code: apiErrorCode(error) },
        });
        return;
      }
      await runRecovery();
      if (!cancelled) setRecovered(true);
    })().catch((error) => console.error('[app] start failed', error));
    return () => {
      cancelled = true;
    };
  }, [services, loginAttempt]);
  const retryLogin = useCallback(() => setLoginAttempt((n) => n + 1), []);
  return { login, recovered, retryLogin };
}

export function AppStateProvider({ services, children }: { services: AppServices; children: ReactNode }) {
  const queryClient = useQueryClient();
  const trpc = useTRPC();
  const [tossOrders, setTossOrders] = useState<OrdersResult | null>(null);
  const [recovering, setRecovering] = useState(false);
  const [lastRecovery, setLastRecovery] = useState<RecoveryReport | null>(null);
  const [knownOwned, setKnownOwned] = useState<ReadonlySet<string>>(new Set());
  const mounted = useRef(true);
  const purchaseInFlight = useRef(false);

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const refreshInventory = useCallback(async () => {
    // An invalidation cancels a read still in flight, so its older answer never lands after this one.
    await Promise.all([
      queryClient.invalidateQueries(trpc.me.inventory.queryFilter()),
      queryClient.invalidateQueries(trpc.me.orders.queryFilter()),
    ]);
  }, [queryClient, trpc]);

  const runRecovery = useCallback(async () => {
    setRecovering(true);
    try {
      const report = await services.recovery.run();
      if (mounted.current) setLastRecovery(report);
      return report;
    } finally {
      if (mounted.current) setRecovering(false);
    }
  }, [services]);

  /**
   * Refunds (every page of Toss's completed/refunded orders), then subscription states, then the inventory. These
   * syncs write (iap.sync, iap.syncSubscriptions), so they run one at a time (serial.ts), not as a query.
   */
  const runRefundSync = useMemo(
    () =>
      serialRunner(async () => {
        const report = await syncRefunds({ api: services.api });
        if (!mounted.current) return;
        setTossOrders(report.orders);
        let changed =
          report.sync !== null && (report.sync.revoked.length > 0 || report.sync.granted.length > 0);
        try {
          const inventory = await queryClient.fetchQuery({
            ...trpc.me.inventory.queryOptions(),
            staleTime: 0,
          });
          const subs = await syncSubscriptionStatus({ api: services.api, inventory });
          if (subs && subs.updated.length > 0) changed = true;
        } catch (error) {
          console.warn('[app] subscription sync skipped', error);
        }
        if (changed && mounted.current) await refreshInventory();
      }),
    [services, queryClient, trpc, refreshInventory],
  );

  const { login, recovered, retryLogin } = useStart(services, runRecovery);
  const gates = useMemo(() => ({ loggedIn: login.status === 'done', recovered }), [login, recovered]);
  const products = useProducts(gates);
  const catalog = useCatalog(gates);
  const inventory = useInventory(gates);
  const ready = recovered && !products.isPending && !catalog.isPending && !inventory.isPending;

  // Once the app is ready: the first refund + subscription sync, in the background.
  useEffect(() => {
    if (ready) runRefundSync().catch((error) => console.warn('[app] refund sync failed', error));
  }, [ready, runRefundSync]);

  // Back to the foreground: finish anything paid while we were away, and pick up refunds.
  useEffect(() => {
    if (!ready) return;
    const onVisibility = () => {
      if (document.visibilityState !== 'visible' || purchaseInFlight.current) return;
      (async () => {
        const report = await runRecovery();
        if (report.granted.length > 0) await refreshInventory();
        await runRefundSync();
      })().catch((error) => console.warn('[app] foreground refresh failed', error));
    };
    document.addEventListener('visibilitychange', onVisibility);
    return () => document.removeEventListener('visibilitychange', onVisibility);
  }, [ready, runRecovery, refreshInventory, runRefundSync]);

  const value = useMemo<AppState>(
    () => ({
      services,
      login,
      ready,
      tossOrders,
      recovering,
      lastRecovery,
      knownOwned,
      retryLogin,
      refreshInventory,
      runRecovery,
      runRefundSync,
      markOwned: (sku) => setKnownOwned((prev) => new Set(prev).add(sku)),
      setPurchaseInFlight: (inFlight) => {
        purchaseInFlight.current = inFlight;
      },
    }),
    [
      services,
      login,
      ready,
      tossOrders,
      recovering,
      lastRecovery,
      knownOwned,
      retryLogin,
      refreshInventory,
      runRecovery,
      runRefundSync,
    ],
  );
  return (
    <AppStateContext.Provider value={value}>
      <ReadGateProvider value={gates}>{children}</ReadGateProvider>
    </AppStateContext.Provider>
  );
}
