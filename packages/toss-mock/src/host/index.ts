/**
 * The native end of the Apps in Toss SDK bridge, in the browser: install it BEFORE `@apps-in-toss/web-framework` is
 * imported and the real, unchanged SDK runs against the mock — appLogin, every IAP call, the purchased → grant
 * answer → success/error sequence, cleanup, and the constants `isMinVersionSupported` reads.
 *
 * Protocol (see shared/reference/sdk-bridge.md): the page posts JSON through `window.ReactNativeWebView.postMessage`;
 * the host answers asynchronously through `window.__GRANITE_NATIVE_EMITTER.emit(...)` (looked up at emit time, since
 * the SDK replaces it on import) with JSON-round-tripped payloads; rejections are `{ name, message, code, __isError }`.
 * State lives in the mock's ledger, reached through the control API; every way a grant ends (an answer, no answer by
 * the deadline, the app closing or the page unloading) is reported there, so the status readings can apply it.
 * The SDK's `Storage` is kept in the page's localStorage (survives a reload like the device's storage survives an app
 * restart). Dev/test only: never ship it.
 * You probably don't need to edit this file unless Toss changes the bridge.
 */
import { minTossAppVersions, type SdkIapErrorCode, type VersionGatedFeature } from '@ait-iap/iap-contract';
import {
  type CheckoutResponse,
  type GrantEnding,
  type GrantRecorded,
  type PayResponse,
  type PurchaseKind,
  sdkErrorMessages,
} from '../protocol';
import { type CheckoutSheet, showCheckoutSheet } from './checkout-sheet';
import { ControlError, createControlClient } from './control-client';

export { type TossVersionScenario, tossVersionScenarios, versionOf } from './versions';

export interface TossMockHostOptions {
  /** The mock's control API, e.g. http://127.0.0.1:3101 */
  controlUrl: string;
  /** Act as this user; else `?mockUser=` in the URL, else localStorage, else a new user from the mock. */
  userKey?: number;
  /** Toss app version the constants report (default '5.250.0', new enough for every IAP function). */
  appVersion?: string;
  platform?: 'android' | 'ios';
  environment?: 'toss' | 'sandbox';
  /** 'sheet' shows a checkout bottom sheet to click; 'auto' pays at once (unit tests). Default 'sheet'. */
  checkout?: 'sheet' | 'auto';
  /** What "the app closes" means in the close-* scenarios. Default: reload the page. */
  closeApp?: () => void;
  /** Defaults to the page's fetch. */
  fetch?: typeof fetch;
  /** Defaults to the global window. */
  window?: Window;
}

export interface BridgeMessage {
  type: 'method' | 'addEventListener' | 'removeEventListener';
  functionName: string;
  eventId: string;
  args?: unknown;
}

export interface TossMockHost {
  readonly controlUrl: string;
  readonly environment: 'toss' | 'sandbox';
  /** The user this host acts as, once known. */
  readonly ready: Promise<number>;
  userKey(): number | undefined;
  /** Act as another user (a new one when omitted). Stored for the next page load too. */
  switchUser(userKey?: number): Promise<number>;
  appVersion(): string;
  setAppVersion(version: string): void;
  /** The platform the host plays ('android' unless told). */
  platform(): 'android' | 'ios';
  setCheckout(mode: 'sheet' | 'auto'): void;
  /** Every message the page sent, parsed, oldest first (tests and the panel read it). */
  readonly messages: BridgeMessage[];
  uninstall(): void;
}

export const DEFAULT_APP_VERSION = '5.250.0';
const STORAGE_KEY = 'toss-mock:userKey';
/** Where the SDK's `Storage` items live in the page's localStorage (the mock's own keys stay out of it). */
export const DEVICE_STORAGE_PREFIX = 'toss-mock:storage:';

interface Emitter {
  emit(event: string, payload: unknown): void;
}
type HostWindow = Window & {
  ReactNativeWebView?: { postMessage(message: string): void };
  __CONSTANT_HANDLER_MAP?: Record<string, unknown>;
  __GRANITE_NATIVE_EMITTER?: Emitter;
};

interface Listener {
  functionName: string;
  active: boolean;
  sheet: CheckoutSheet | null;
}

class BridgeFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Numeric x.y.z comparison (what isMinVersionSupported does for plain versions). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

export function installTossMockHost(options: TossMockHostOptions): TossMockHost {
  const win = (options.window ?? window) as HostWindow;
  const fetchImpl = options.fetch ?? win.fetch?.bind(win) ?? fetch;
  const control = createControlClient(options.controlUrl, fetchImpl);
  const environment = options.environment ?? 'toss';
  const platform = options.platform ?? 'android';
  let appVersion = options.appVersion ?? DEFAULT_APP_VERSION;
  let checkoutMode = options.checkout ?? 'sheet';
  const closeApp = options.closeApp ?? (() => win.location.reload());
  const messages: BridgeMessage[] = [];
  const listeners = new Map<string, Listener>();
  const grantWaiters = new Map<string, (granted: boolean) => void>();
  /** Paid orders whose grant Toss is waiting for (orderId → buyer), until the host reports how it ended. */
  const grantsInFlight = new Map<string, number>();
  let currentUser: number | undefined;

  // 1. Constants, read synchronously by the SDK (a live object: setAppVersion changes what it reads).
  const constants: Record<string, unknown> = {
    getOperationalEnvironment: environment,
    getTossAppVersion: appVersion,
    getPlatformOS: platform,
    getLocale: 'ko-KR',
    getSchemeUri: win.location?.href ?? '',
    getDeviceId: 'toss-mock-device',
    getGroupId: 'toss-mock',
    getDeploymentId: 'toss-mock',
    deploymentId: 'toss-mock',
    brandDisplayName: '미니앱 (toss-mock)',
    brandIcon: '',
    brandPrimaryColor: '#3182F6',
    getSafeAreaInsets: 0,
  };
  win.__CONSTANT_HANDLER_MAP = constants;

  // 2. Who we are.
  function storage(): Storage | null {
    try {
      return win.localStorage ?? null;
    } catch {
      return null;
    }
  }
  function initialUser(): number | undefined {
    if (options.userKey !== undefined) return options.userKey;
    const fromUrl = Number(new URLSearchParams(win.location?.search ?? '').get('mockUser'));
    if (Number.isInteger(fromUrl) && fromUrl > 0) return fromUrl;
    const stored = Number(storage()?.getItem(STORAGE_KEY));
    if (Number.isInteger(stored) && stored > 0) return stored;
    return undefined;
  }
  async function useUser(userKey: number | undefined): Promise<number> {
    const created = await control.post<{ userKey: number }>(
      '/__mock/users',
      userKey === undefined ? {} : { userKey },
    );
    currentUser = created.userKey;
    storage()?.setItem(STORAGE_KEY, String(created.userKey));
    return created.userKey;
  }
  let ready = useUser(initialUser());
  ready.catch(() => {}); // surfaced to the SDK caller that needs it
  /** The user, retrying once more if the mock was not reachable when the host was installed. */
  async function user(): Promise<number> {
    try {
      return await ready;
    } catch {
      ready = useUser(currentUser ?? initialUser());
      return ready;
    }
  }

  // 3. Answers, always asynchronous and JSON-round-tripped, to the emitter the SDK installed.
  function emit(name: string, payload: unknown): void {
    const copy = payload === undefined ? undefined : JSON.parse(JSON.stringify(payload));
    setTimeout(() => win.__GRANITE_NATIVE_EMITTER?.emit(name, copy), 0);
  }
  const errorPayload = (code: string, message: string) => ({ name: 'Error', message, code, __isError: true });
  const sdkError = (code: SdkIapErrorCode) => new BridgeFailure(code, sdkErrorMessages[code]);

  function supported(feature: VersionGatedFeature): boolean {
    if (environment === 'sandbox') return true;
    return compareVersions(appVersion, minTossAppVersions[feature][platform]) >= 0;
  }

  // How a grant ended reaches the ledger (the answer is the ending it kept: a late answer loses to the deadline).
  async function endGrant(
    orderId: string,
    userKey: number,
    ending: GrantEnding,
    keepalive = false,
  ): Promise<GrantEnding> {
    grantsInFlight.delete(orderId);
    const body = { userKey, orderId, ending };
    const recorded = await control.post<GrantRecorded>('/__mock/host/grant', body, { keepalive });
    return recorded.ending;
  }
  /** The app closes: every grant still waiting for an answer ends 'app-closed', then `closeApp` runs. */
  async function closeTheApp(): Promise<void> {
    await Promise.allSettled(
      [...grantsInFlight].map(([orderId, userKey]) => endGrant(orderId, userKey, 'app-closed')),
    );
    closeApp();
  }
  /** The page unloads (reload, navigation, tab closed) during a grant: best effort, the ledger's deadline backs it. */
  const onPageHide = () => {
    for (const [orderId, userKey] of grantsInFlight) {
      endGrant(orderId, userKey, 'app-closed', true).catch(() => {});
    }
  };
  win.addEventListener?.('pagehide', onPageHide);

  // The device's storage for this mini-app (`Storage` in the SDK).
  const memoryStorage = new Map<string, string>(); // when the page has no usable localStorage
  const deviceStorage = {
    get(key: string): string | null {
      const local = storage();
      return local ? local.getItem(DEVICE_STORAGE_PREFIX + key) : (memoryStorage.get(key) ?? null);
    },
    set(key: string, value: string): void {
      const local = storage();
      if (local) local.setItem(DEVICE_STORAGE_PREFIX + key, value);
      else memoryStorage.set(key, value);
    },
    remove(key: string): void {
      const local = storage();
      if (local) local.removeItem(DEVICE_STORAGE_PREFIX + key);
      else memoryStorage.delete(key);
    },
    clear(): void {
      memoryStorage.clear();
      const local = storage();
      if (!local) return;
      const keys: string[] = [];
      for (let i = 0; i < local.length; i++) {
        const key = local.key(i);
        if (key?.startsWith(DEVICE_STORAGE_PREFIX)) keys.push(key);
      }
      for (const key of keys) local.removeItem(key);
    },
  };

  // 4. Methods (`type: 'method'`): resolve or reject once.
  const methods: Record<string, (args: unknown[]) => Promise<unknown>> = {
    appLogin: async () => {
      const userKey = await user();
      return control.post('/__mock/host/login', {
        userKey,
        referrer: environment === 'sandbox' ? 'SANDBOX' : 'DEFAULT',
      });
    },
    iapGetProductItemList: async () => {
      if (!supported('getProductItemList')) return undefined;
      return control.post('/__mock/host/products', { environment });
    },
    getPendingOrders: async () => {
      if (!supported('getPendingOrders')) return undefined;
      return control.post('/__mock/host/pending', { userKey: await user() });
    },
    getCompletedOrRefundedOrders: async (args) => {
      if (!supported('getCompletedOrRefundedOrders')) return undefined;
      const key = (args[0] as { key?: unknown } | undefined)?.key;
      return control.post('/__mock/host/completed', {
        userKey: await user(),
        key: typeof key === 'string' ? key : null,
      });
    },
    completeProductGrant: async (args) => {
      if (!supported('completeProductGrant')) return undefined;
      const orderId = orderIdOf(args);
      const result = await control.post<
        { ok: true; value: boolean } | { ok: false; code: string; message: string }
      >('/__mock/host/complete', { userKey: await user(), orderId });
      if (!result.ok) throw new BridgeFailure(result.code, result.message);
      return result.value;
    },
    getSubscriptionInfo: async (args) => {
      return control.post('/__mock/host/subscription', { userKey: await user(), orderId: orderIdOf(args) });
    },
    processProductGrant: async (args) => {
      const input = (args[0] ?? {}) as { orderId?: unknown; isProductGranted?: unknown };
      const waiter = typeof input.orderId === 'string' ? grantWaiters.get(input.orderId) : undefined;
      // `undefined` (the callback returned nothing) counts as "not granted". A late answer is ignored, like Toss.
      waiter?.(input.isProductGranted === true);
      return undefined;
    },
    iapCreateOneTimePurchaseOrder: async (args) => legacyPurchase(args),
    getStorageItem: async (args) => deviceStorage.get(stringArg(args, 0, 'key')),
    setStorageItem: async (args) => {
      deviceStorage.set(stringArg(args, 0, 'key'), stringArg(args, 1, 'value'));
      return undefined;
    },
    removeStorageItem: async (args) => {
      deviceStorage.remove(stringArg(args, 0, 'key'));
      return undefined;
    },
    clearItems: async () => {
      deviceStorage.clear();
      return undefined;
    },
    eventLog: async () => undefined,
    generateHapticFeedback: async () => undefined,
    closeView: async () => {
      await closeTheApp();
      return undefined;
    },
  };

  function stringArg(args: unknown[], index: number, name: string): string {
    const value = args[index];
    if (typeof value !== 'string')
      throw new BridgeFailure('INVALID_PARAMETER', `${name} (string) is required`);
    return value;
  }

  function orderIdOf(args: unknown[]): string {
    const orderId = (args[0] as { params?: { orderId?: unknown } } | undefined)?.params?.orderId;
    if (typeof orderId !== 'string' || orderId === '') {
      throw new BridgeFailure('INVALID_PARAMETER', 'params.orderId (string) is required');
    }
    return orderId;
  }

  async function runMethod(message: BridgeMessage): Promise<void> {
    const handler = methods[message.functionName];
    const args = Array.isArray(message.args) ? message.args : [];
    try {
      if (!handler) {
        throw new BridgeFailure('NOT_IMPLEMENTED', `toss-mock does not implement ${message.functionName}`);
      }
      const value = await handler(args);
      emit(`${message.functionName}/resolve/${message.eventId}`, value);
    } catch (error) {
      const { code, message: text } = toFailure(error);
      emit(`${message.functionName}/reject/${message.eventId}`, errorPayload(code, text));
    }
  }

  function toFailure(error: unknown): { code: string; message: string } {
    if (error instanceof BridgeFailure) return { code: error.code, message: error.message };
    if (error instanceof ControlError) return { code: 'INTERNAL_ERROR', message: error.message };
    return { code: 'INTERNAL_ERROR', message: String(error) };
  }

  // 5. Purchases (`type: 'addEventListener'`): the real sequence, step by step.
  async function checkout(
    listener: Listener | null,
    kind: PurchaseKind,
    sku: string,
    offerId: string | null,
    legacy = false,
  ): Promise<
    | { ok: true; pay: PayResponse; userKey: number }
    | { ok: false; code: SdkIapErrorCode; message: string }
    | null
  > {
    const userKey = await user();
    const started = await control.post<CheckoutResponse>('/__mock/host/checkout', {
      userKey,
      sku,
      kind,
      offerId,
      environment,
      ...(legacy ? { legacy } : {}),
    });
    if (!started.ok) return started;
    const cancel = () =>
      control.post(`/__mock/host/checkout/${encodeURIComponent(started.checkoutId)}/cancel`);
    if (listener && !listener.active) {
      await cancel(); // cleaned up before the sheet could open
      return null;
    }
    let confirmed = true;
    if (checkoutMode === 'sheet') {
      const sheet = showCheckoutSheet(win.document, {
        displayName: started.displayName,
        displayAmount: started.displayAmount,
        kind,
      });
      if (listener) listener.sheet = sheet;
      confirmed = await sheet.result;
      if (listener) listener.sheet = null;
    }
    if (listener && !listener.active) {
      await cancel();
      return null;
    }
    if (!confirmed) {
      await cancel();
      return { ok: false, code: 'USER_CANCELED', message: sdkErrorMessages.USER_CANCELED };
    }
    const pay = await control.post<PayResponse>(
      `/__mock/host/checkout/${encodeURIComponent(started.checkoutId)}/pay`,
    );
    return { ok: true, pay, userKey };
  }

  function waitForGrant(orderId: string, deadlineMs: number): Promise<boolean | 'timeout'> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        grantWaiters.delete(orderId);
        resolve('timeout');
      }, deadlineMs);
      grantWaiters.set(orderId, (granted) => {
        clearTimeout(timer);
        grantWaiters.delete(orderId);
        resolve(granted);
      });
    });
  }

  async function purchase(message: BridgeMessage, kind: PurchaseKind): Promise<void> {
    const listener: Listener = { functionName: message.functionName, active: true, sheet: null };
    listeners.set(message.eventId, listener);
    const onEvent = (payload: unknown) => {
      if (listener.active) emit(`${message.functionName}/onEvent/${message.eventId}`, payload);
    };
    const onError = (code: string, text: string) => {
      if (listener.active)
        emit(`${message.functionName}/onError/${message.eventId}`, errorPayload(code, text));
    };
    try {
      const args = (message.args ?? {}) as { sku?: unknown; offerId?: unknown };
      const sku = typeof args.sku === 'string' ? args.sku : '';
      const offerId = typeof args.offerId === 'string' ? args.offerId : null;
      const done = await checkout(listener, kind, sku, offerId);
      if (done === null) return;
      if (!done.ok) return onError(done.code, done.message);
      const pay = done.pay;
      if (!pay.ok) return onError(pay.code, pay.message);

      // Paid: Toss now waits for this order's grant answer, until the deadline.
      const { userKey } = done; // the buyer, even if the page switches users meanwhile
      grantsInFlight.set(pay.orderId, userKey);
      if (pay.after === 'close-after-payment') return closeTheApp(); // before the callback runs
      const answer = waitForGrant(pay.orderId, pay.grantDeadlineMs);
      onEvent({
        type: 'purchased',
        data: { orderId: pay.orderId, ...(pay.subscriptionId ? { subscriptionId: pay.subscriptionId } : {}) },
      });
      const granted = await answer;
      if (pay.after === 'close-during-grant') return closeTheApp(); // the answer never reached Toss
      // A throwing callback never answers (the SDK swallows it): that is a timeout too. 'not-granted' loses the answer.
      const ending: GrantEnding =
        granted === 'timeout' || pay.after === 'not-granted'
          ? 'no-answer'
          : granted
            ? 'granted'
            : 'not-granted';
      const recorded = await endGrant(pay.orderId, userKey, ending);
      if (recorded !== 'granted') {
        return onError('PRODUCT_NOT_GRANTED_BY_PARTNER', sdkErrorMessages.PRODUCT_NOT_GRANTED_BY_PARTNER);
      }
      if (pay.after === 'close-after-grant') return closeTheApp();
      onEvent({ type: 'success', data: pay.result });
    } catch (error) {
      const { code, message: text } = toFailure(error);
      onError(code, text);
    }
  }

  /** Toss apps older than 5.231.1 (Android) / 5.230.0 (iOS): one method call, no grant answer. */
  async function legacyPurchase(args: unknown[]): Promise<unknown> {
    const productId = (args[0] as { productId?: unknown } | undefined)?.productId;
    const done = await checkout(null, 'one-time', typeof productId === 'string' ? productId : '', null, true);
    if (done === null) throw sdkError('USER_CANCELED');
    if (!done.ok) throw new BridgeFailure(done.code, done.message);
    if (!done.pay.ok) throw new BridgeFailure(done.pay.code, done.pay.message);
    if (done.pay.after === 'close-after-payment') {
      closeApp();
      return new Promise(() => {}); // the page is gone; nothing answers
    }
    return done.pay.result;
  }

  function removeListener(eventId: string): void {
    const listener = listeners.get(eventId);
    if (!listener) return;
    listener.active = false;
    listener.sheet?.close();
    listeners.delete(eventId);
  }

  // 6. The page's side of the bridge.
  const webView = {
    postMessage(raw: string) {
      let message: BridgeMessage;
      try {
        message = JSON.parse(raw) as BridgeMessage;
      } catch {
        console.warn('[toss-mock] ignored a bridge message that is not JSON');
        return;
      }
      messages.push(message);
      switch (message.type) {
        case 'method':
          void runMethod(message);
          return;
        case 'addEventListener':
          if (message.functionName === 'requestOneTimePurchase') void purchase(message, 'one-time');
          else if (message.functionName === 'requestSubscriptionPurchase')
            void purchase(message, 'subscription');
          return;
        case 'removeEventListener':
          removeListener(message.eventId);
          return;
      }
    },
  };
  win.ReactNativeWebView = webView;

  // The sheet's cancel path closes over `checkout`, and async sheet answers check `listener.active`.
  const host: TossMockHost = {
    controlUrl: options.controlUrl,
    environment,
    get ready() {
      return ready;
    },
    userKey: () => currentUser,
    async switchUser(userKey) {
      ready = useUser(userKey);
      return ready;
    },
    appVersion: () => appVersion,
    platform: () => platform,
    setAppVersion(version) {
      appVersion = version;
      constants.getTossAppVersion = version;
    },
    setCheckout(mode) {
      checkoutMode = mode;
    },
    messages,
    uninstall() {
      win.removeEventListener?.('pagehide', onPageHide);
      for (const id of [...listeners.keys()]) removeListener(id);
      if (win.ReactNativeWebView === webView) delete win.ReactNativeWebView;
      if (win.__CONSTANT_HANDLER_MAP === constants) delete win.__CONSTANT_HANDLER_MAP;
    },
  };
  return host;
}
