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
 * The parts are modules with their dependencies handed in: `bridge` (the wire), `identity` (the user),
 * `device-storage`, `grants` (the grant step), `methods` and `purchases`; this file wires them to the window.
 * You probably don't need to edit these files unless Toss changes the bridge.
 */
import { type BridgeMessage, createEmit, type Emit, type HostWindow } from './bridge';
import { createControlClient } from './control-client';
import { createDeviceStorage, localStorageOf } from './device-storage';
import { createGrants } from './grants';
import { createIdentity } from './identity';
import { createMethods, runMethod } from './methods';
import { createPurchases, type Purchases } from './purchases';

export type { BridgeMessage } from './bridge';
export { DEVICE_STORAGE_PREFIX } from './device-storage';
export { compareVersions, type TossVersionScenario, tossVersionScenarios, versionOf } from './versions';

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

/** The constants the SDK reads synchronously (a live object: setAppVersion changes what it reads). */
function hostConstants(
  win: Window,
  environment: 'toss' | 'sandbox',
  platform: 'android' | 'ios',
  appVersion: string,
): Record<string, unknown> {
  return {
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
}

interface WebViewDeps {
  messages: BridgeMessage[];
  methods: Record<string, (args: unknown[]) => Promise<unknown>>;
  emit: Emit;
  purchases: Purchases;
}

/** `window.ReactNativeWebView`: every message the page posts, parsed, recorded and dispatched. */
function createWebView({ messages, methods, emit, purchases }: WebViewDeps) {
  return {
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
          void runMethod(methods, emit, message);
          return;
        case 'addEventListener':
          if (message.functionName === 'requestOneTimePurchase') void purchases.purchase(message, 'one-time');
          else if (message.functionName === 'requestSubscriptionPurchase')
            void purchases.purchase(message, 'subscription');
          return;
        case 'removeEventListener':
          purchases.removeListener(message.eventId);
          return;
      }
    },
  };
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

  // 1. Constants, read synchronously by the SDK.
  const constants = hostConstants(win, environment, platform, appVersion);
  win.__CONSTANT_HANDLER_MAP = constants;
  // 2. Who we are.
  const storage = () => localStorageOf(win);
  const identity = createIdentity({ win, control, storage, userKey: options.userKey });
  const user = () => identity.user();
  // 3. Answers, always asynchronous and JSON-round-tripped, to the emitter the SDK installed.
  const emit = createEmit(win);
  // 4. The grant step, and what the page unloading during it reports.
  const grants = createGrants({ control, closeApp });
  win.addEventListener?.('pagehide', grants.onPageHide);
  // 5. Purchases (`addEventListener`) and methods.
  const purchases = createPurchases({
    win,
    control,
    environment,
    checkoutMode: () => checkoutMode,
    user,
    grants,
    emit,
    closeApp,
  });
  const deviceStorage = createDeviceStorage(storage);
  const methods = createMethods({
    control,
    environment,
    platform,
    appVersion: () => appVersion,
    user,
    grants,
    deviceStorage,
    legacyPurchase: purchases.legacyPurchase,
  });

  // 6. The page's side of the bridge.
  const webView = createWebView({ messages, methods, emit, purchases });
  win.ReactNativeWebView = webView;

  return {
    controlUrl: options.controlUrl,
    environment,
    get ready() {
      return identity.ready;
    },
    userKey: () => identity.current(),
    switchUser: async (userKey) => identity.switchUser(userKey),
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
      win.removeEventListener?.('pagehide', grants.onPageHide);
      purchases.removeAll();
      if (win.ReactNativeWebView === webView) delete win.ReactNativeWebView;
      if (win.__CONSTANT_HANDLER_MAP === constants) delete win.__CONSTANT_HANDLER_MAP;
    },
  };
}
