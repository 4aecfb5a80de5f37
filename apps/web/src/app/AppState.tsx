/**
 * The app's shared state and its lifecycle: log in on entry, then — in this order — recover pending orders,
 * load the shop (Toss products + our catalog) and the inventory, then sync refunds and subscription states in the
 * background. Recovery and the syncs run again whenever the app returns to the foreground (visibilitychange).
 * You probably don't need to edit this file; screens read it through `useAppState()`.
 */
import type { CatalogListItem, IapError, IapProductListItem, InventoryOutput } from '@ait-iap/iap-contract';
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
import { getProductItemList } from '../iap/sdk';
import { syncSubscriptionStatus } from '../iap/subscriptionSync';
import { serialRunner } from './serial';
import type { AppServices } from './services';

export type Load<T, E> =
  | { status: 'loading' }
  | { status: 'ready'; value: T }
  | { status: 'error'; error: E };

export type LoginState =
  | { status: 'pending' }
  | { status: 'done'; userId: string }
  | { status: 'failed'; error: { kind: 'iap'; error: IapError } | { kind: 'api'; code: ApiErrorCode } };

export interface AppState {
  services: AppServices;
  login: LoginState;
  /** Login and the first load (recovery, products, catalog, inventory) have finished. */
  ready: boolean;
  products: Load<IapProductListItem[], IapError>;
  catalog: Load<CatalogListItem[], ApiErrorCode>;
  inventory: Load<InventoryOutput, ApiErrorCode>;
  /** Orders from the last refund sync (for history). */
  tossOrders: OrdersResult | null;
  recovering: boolean;
  lastRecovery: RecoveryReport | null;
  /** SKUs Toss told us the user owns (ITEM_ALREADY_OWNED) even if our inventory does not list them yet. */
  knownOwned: ReadonlySet<string>;
  retryLogin(): void;
  reloadProducts(): Promise<void>;
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

export function AppStateProvider({ services, children }: { services: AppServices; children: ReactNode }) {
  const [login, setLogin] = useState<LoginState>({ status: 'pending' });
  const [loginAttempt, setLoginAttempt] = useState(0);
  const [ready, setReady] = useState(false);
  const [products, setProducts] = useState<Load<IapProductListItem[], IapError>>({ status: 'loading' });
  const [catalog, setCatalog] = useState<Load<CatalogListItem[], ApiErrorCode>>({ status: 'loading' });
  const [inventory, setInventory] = useState<Load<InventoryOutput, ApiErrorCode>>({ status: 'loading' });
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

  const reloadProducts = useCallback(async () => {
    const [list, cat] = await Promise.all([
      getProductItemList(),
      services.api.catalog().then(
        (out) => ({ ok: true as const, value: out.products }),
        (error: unknown) => ({ ok: false as const, code: apiErrorCode(error) }),
      ),
    ]);
    if (!mounted.current) return;
    setProducts(list.ok ? { status: 'ready', value: list.value } : { status: 'error', error: list.error });
    setCatalog(cat.ok ? { status: 'ready', value: cat.value } : { status: 'error', error: cat.code });
  }, [services]);

  const refreshInventory = useCallback(async () => {
    try {
      const value = await services.api.inventory();
      if (mounted.current) setInventory({ status: 'ready', value });
    } catch (error) {
      // Keep showing the last inventory we had; only an empty screen shows the error.
      if (mounted.current)
        setInventory((prev) =>
          prev.status === 'ready' ? prev : { status: 'error', error: apiErrorCode(error) },
        );
    }
  }, [services]);

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

  /** Refunds (every page of Toss's completed/refunded orders), then subscription states, then the inventory. */
  const runRefundSync = useMemo(
    () =>
      serialRunner(async () => {
        const report = await syncRefunds({ api: services.api });
        if (!mounted.current) return;
        setTossOrders(report.orders);
        let changed =
          report.sync !== null && (report.sync.revoked.length > 0 || report.sync.granted.length > 0);
        try {
          const inventory = await services.api.inventory();
          const subs = await syncSubscriptionStatus({ api: services.api, inventory });
          if (subs && subs.updated.length > 0) changed = true;
        } catch (error) {
          console.warn('[app] subscription sync skipped', error);
        }
        if (changed && mounted.current) await refreshInventory();
      }),
    [services, refreshInventory],
  );

  // Entry: login → recovery first → shop + inventory → refund + subscription sync (background).
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
      const shop = reloadProducts();
      await runRecovery();
      await Promise.all([shop, refreshInventory()]);
      if (cancelled) return;
      setReady(true);
      await runRefundSync();
    })().catch((error) => console.error('[app] start failed', error));
    return () => {
      cancelled = true;
    };
  }, [services, loginAttempt]);

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
      products,
      catalog,
      inventory,
      tossOrders,
      recovering,
      lastRecovery,
      knownOwned,
      retryLogin: () => setLoginAttempt((n) => n + 1),
      reloadProducts,
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
      products,
      catalog,
      inventory,
      tossOrders,
      recovering,
      lastRecovery,
      knownOwned,
      reloadProducts,
      refreshInventory,
      runRecovery,
      runRefundSync,
    ],
  );
  return <AppStateContext.Provider value={value}>{children}</AppStateContext.Provider>;
}
