/** The bridge's methods (`type: 'method'`): each resolves or rejects once. Browser-safe. */
import { minTossAppVersions, type VersionGatedFeature } from '@ait-iap/iap-contract';
import {
  BridgeFailure,
  type BridgeMessage,
  type Emit,
  errorPayload,
  orderIdOf,
  stringArg,
  toFailure,
} from './bridge';
import type { ControlClient } from './control-client';
import type { DeviceStorage } from './device-storage';
import type { Grants } from './grants';
import { compareVersions } from './versions';

export interface MethodsDeps {
  control: ControlClient;
  environment: 'toss' | 'sandbox';
  platform: 'android' | 'ios';
  /** The Toss app version played now (the panel can change it). */
  appVersion: () => string;
  user: () => Promise<number>;
  grants: Grants;
  deviceStorage: DeviceStorage;
  legacyPurchase: (args: unknown[]) => Promise<unknown>;
}

type Method = (args: unknown[]) => Promise<unknown>;

export function createMethods(deps: MethodsDeps): Record<string, Method> {
  const { control, environment, user, deviceStorage } = deps;
  /** An IAP function the played Toss version lacks answers `undefined`, as the real app does. */
  const gated =
    (feature: VersionGatedFeature, method: Method): Method =>
    async (args) => {
      const supported =
        environment === 'sandbox' ||
        compareVersions(deps.appVersion(), minTossAppVersions[feature][deps.platform]) >= 0;
      return supported ? method(args) : undefined;
    };
  const nothing = (action: (args: unknown[]) => void | Promise<void>): Method => {
    return async (args) => {
      await action(args);
      return undefined;
    };
  };
  return {
    appLogin: async () => {
      const userKey = await user();
      return control.post('/__mock/host/login', {
        userKey,
        referrer: environment === 'sandbox' ? 'SANDBOX' : 'DEFAULT',
      });
    },
    iapGetProductItemList: gated('getProductItemList', async () =>
      control.post('/__mock/host/products', { environment }),
    ),
    getPendingOrders: gated('getPendingOrders', async () =>
      control.post('/__mock/host/pending', { userKey: await user() }),
    ),
    getCompletedOrRefundedOrders: gated('getCompletedOrRefundedOrders', async (args) => {
      const key = (args[0] as { key?: unknown } | undefined)?.key;
      return control.post('/__mock/host/completed', {
        userKey: await user(),
        key: typeof key === 'string' ? key : null,
      });
    }),
    completeProductGrant: gated('completeProductGrant', async (args) => {
      const orderId = orderIdOf(args);
      const result = await control.post<
        { ok: true; value: boolean } | { ok: false; code: string; message: string }
      >('/__mock/host/complete', { userKey: await user(), orderId });
      if (!result.ok) throw new BridgeFailure(result.code, result.message);
      return result.value;
    }),
    getSubscriptionInfo: async (args) =>
      control.post('/__mock/host/subscription', { userKey: await user(), orderId: orderIdOf(args) }),
    processProductGrant: nothing((args) => {
      const input = (args[0] ?? {}) as { orderId?: unknown; isProductGranted?: unknown };
      // `undefined` (the callback returned nothing) counts as "not granted". A late answer is ignored, like Toss.
      if (typeof input.orderId === 'string')
        deps.grants.answer(input.orderId, input.isProductGranted === true);
    }),
    iapCreateOneTimePurchaseOrder: async (args) => deps.legacyPurchase(args),
    getStorageItem: async (args) => deviceStorage.get(stringArg(args, 0, 'key')),
    setStorageItem: nothing((args) =>
      deviceStorage.set(stringArg(args, 0, 'key'), stringArg(args, 1, 'value')),
    ),
    removeStorageItem: nothing((args) => deviceStorage.remove(stringArg(args, 0, 'key'))),
    clearItems: nothing(() => deviceStorage.clear()),
    eventLog: async () => undefined,
    generateHapticFeedback: async () => undefined,
    closeView: nothing(() => deps.grants.closeTheApp()),
  };
}

/** Run one method message and emit its resolve or reject. */
export async function runMethod(
  methods: Record<string, Method>,
  emit: Emit,
  message: BridgeMessage,
): Promise<void> {
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
