/**
 * Thin, guarded wrappers over the Apps in Toss SDK's read calls: every result is version-gated with
 * `isMinVersionSupported`, checked for `undefined` (old Toss apps resolve nothing), validated with the contract's
 * schemas and returned as a value (`{ ok, value }` / `{ ok: false, error }`) — these never throw.
 * You probably don't need to edit this file. The purchase calls themselves are in purchase.ts, written the way the
 * Apps in Toss docs show them.
 */
import {
  type AppLoginResult,
  AppLoginResult as AppLoginResultSchema,
  type CompletedOrRefundedPage,
  CompletedOrRefundedPage as CompletedOrRefundedPageSchema,
  type IapError,
  type IapErrorCode,
  IapProductListItem,
  iapErrorInfo,
  minTossAppVersions,
  type PendingOrder,
  PendingOrdersResult,
  type SubscriptionInfo,
  SubscriptionInfoResult,
  toIapError,
  type VersionGatedFeature,
} from '@ait-iap/iap-contract';
import {
  appLogin,
  getOperationalEnvironment,
  getPlatformOS,
  getTossAppVersion,
  IAP,
  isMinVersionSupported,
} from '@apps-in-toss/web-framework';
import { systemClock, within } from './clock';

export type IapResult<T> = { ok: true; value: T } | { ok: false; error: IapError };

export function iapFailure(code: IapErrorCode, rawMessage?: string): { ok: false; error: IapError } {
  return {
    ok: false,
    error:
      rawMessage === undefined
        ? { code, ...iapErrorInfo[code] }
        : { code, ...iapErrorInfo[code], rawMessage },
  };
}

/** True inside the Toss app, or when the toss-mock host is installed. */
export function hasTossHost(): boolean {
  return typeof window !== 'undefined' && typeof window.ReactNativeWebView !== 'undefined';
}

/** 'toss' in the real app, 'sandbox' in the Apps in Toss sandbox app, null outside Toss. */
export function operationalEnvironment(): 'toss' | 'sandbox' | null {
  if (!hasTossHost()) return null;
  try {
    const env = getOperationalEnvironment();
    return env === 'toss' || env === 'sandbox' ? env : null;
  } catch {
    return null;
  }
}

/** The Toss app this page runs in, e.g. "android 5.232.0" (for operators' records); null outside Toss. */
export function tossAppVersion(): string | null {
  if (!hasTossHost()) return null;
  try {
    const version = getTossAppVersion();
    if (typeof version !== 'string' || version === '') return null;
    const platform: unknown = getPlatformOS();
    return (typeof platform === 'string' && platform !== '' ? `${platform} ${version}` : version).slice(
      0,
      64,
    );
  } catch {
    return null;
  }
}

/** Is this Toss app new enough for `feature`? False outside Toss (the SDK throws there). */
export function isFeatureSupported(feature: VersionGatedFeature): boolean {
  if (!hasTossHost()) return false;
  try {
    return isMinVersionSupported(minTossAppVersions[feature]);
  } catch {
    return false;
  }
}

/** Why a gated feature is unavailable: no host at all, or an old Toss app. */
function unavailable(feature: VersionGatedFeature): { ok: false; error: IapError } | null {
  if (!hasTossHost()) return iapFailure('HOST_UNAVAILABLE');
  if (!isFeatureSupported(feature))
    return iapFailure('UNSUPPORTED_APP_VERSION', `${feature} needs a newer Toss app`);
  return null;
}

async function guarded<T>(
  feature: VersionGatedFeature | null,
  call: () => Promise<unknown>,
  parse: (raw: unknown) => T | null,
): Promise<IapResult<T>> {
  if (feature) {
    const blocked = unavailable(feature);
    if (blocked) return blocked;
  } else if (!hasTossHost()) {
    return iapFailure('HOST_UNAVAILABLE');
  }
  try {
    const raw = await call();
    if (raw === undefined || raw === null)
      return iapFailure('UNSUPPORTED_APP_VERSION', 'the host resolved nothing');
    const value = parse(raw);
    if (value === null)
      return iapFailure('UNKNOWN', `unexpected result shape: ${JSON.stringify(raw).slice(0, 200)}`);
    return { ok: true, value };
  } catch (error) {
    return { ok: false, error: toIapError(error) };
  }
}

/** `appLogin()` → a one-time authorization code for the server's `auth.login`. */
export function login(): Promise<IapResult<AppLoginResult>> {
  return guarded(
    null,
    () => appLogin(),
    (raw) => AppLoginResultSchema.safeParse(raw).data ?? null,
  );
}

/** `IAP.getProductItemList()`. Items the contract does not recognise are dropped (and logged), not fatal. */
export function getProductItemList(): Promise<IapResult<IapProductListItem[]>> {
  return guarded(
    'getProductItemList',
    () => IAP.getProductItemList(),
    (raw) => {
      const products = (raw as { products?: unknown }).products;
      if (!Array.isArray(products)) return null;
      const items: IapProductListItem[] = [];
      for (const item of products) {
        const parsed = IapProductListItem.safeParse(item);
        if (parsed.success) items.push(parsed.data);
        else console.warn('[iap] skipping a product with an unexpected shape', item);
      }
      return items;
    },
  );
}

/** `IAP.getPendingOrders()`: paid orders not yet acknowledged with `completeProductGrant`. */
export function getPendingOrders(): Promise<IapResult<PendingOrder[]>> {
  return guarded(
    'getPendingOrders',
    () => IAP.getPendingOrders(),
    (raw) => PendingOrdersResult.safeParse(raw).data?.orders ?? null,
  );
}

/**
 * One page of `IAP.getCompletedOrRefundedOrders({ key })`. The 2.10.8 type declares no parameter, but the host reads
 * `{ key }` and the SDK forwards it, hence the cast.
 */
export function getCompletedOrRefundedOrdersPage(
  key: string | null,
): Promise<IapResult<CompletedOrRefundedPage>> {
  const getPage = IAP.getCompletedOrRefundedOrders as (params?: { key?: string | null }) => Promise<unknown>;
  return guarded(
    'getCompletedOrRefundedOrders',
    () => getPage({ key }),
    (raw) => CompletedOrRefundedPageSchema.safeParse(raw).data ?? null,
  );
}

/** `IAP.getSubscriptionInfo({ params: { orderId } })`: Toss's view of a subscription (status, expiry, auto-renew). */
export function getSubscriptionInfo(orderId: string): Promise<IapResult<SubscriptionInfo>> {
  return guarded(
    null,
    () => IAP.getSubscriptionInfo({ params: { orderId } }),
    (raw) => SubscriptionInfoResult.safeParse(raw).data?.subscription ?? null,
  );
}

/** `IAP.completeProductGrant({ params: { orderId } })` with a deadline. Resolves true only if Toss said true. */
export async function completeProductGrant(orderId: string, timeoutMs: number): Promise<IapResult<boolean>> {
  const result = await guarded(
    'completeProductGrant',
    () =>
      within(
        IAP.completeProductGrant({ params: { orderId } }),
        timeoutMs,
        'completeProductGrant',
        systemClock,
      ),
    (raw) => (typeof raw === 'boolean' ? raw : null),
  );
  return result;
}

/**
 * Tell Toss a granted order is done: `completeProductGrant`. `settled` is true when Toss no longer needs telling —
 * it said true, or this Toss app has no completeProductGrant (older than 5.233.0: nothing can acknowledge it there).
 */
export async function acknowledgeGrant(
  orderId: string,
  timeoutMs: number,
): Promise<{ completed: boolean; settled: boolean }> {
  const ack = await completeProductGrant(orderId, timeoutMs);
  if (ack.ok) return { completed: ack.value, settled: ack.value };
  return { completed: false, settled: ack.error.code === 'UNSUPPORTED_APP_VERSION' };
}
