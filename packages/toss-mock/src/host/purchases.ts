/**
 * Purchases (`type: 'addEventListener'`): the real sequence step by step — checkout sheet, payment, `purchased`,
 * the grant answer, then success or error — and the legacy one-call purchase of old Toss apps. Browser-safe.
 */
import type { SdkIapErrorCode } from '@ait-iap/iap-contract';
import {
  type CheckoutResponse,
  type GrantEnding,
  type PayResponse,
  type PurchaseKind,
  sdkErrorMessages,
} from '../protocol';
import { BridgeFailure, type BridgeMessage, type Emit, errorPayload, toFailure } from './bridge';
import { type CheckoutSheet, showCheckoutSheet } from './checkout-sheet';
import type { ControlClient } from './control-client';
import type { Grants } from './grants';

interface Listener {
  functionName: string;
  active: boolean;
  sheet: CheckoutSheet | null;
}

type Checkout =
  | { ok: true; pay: PayResponse; userKey: number }
  | { ok: false; code: SdkIapErrorCode; message: string }
  | null;

type Paid = Extract<PayResponse, { ok: true }>;

export interface PurchasesDeps {
  win: Window;
  control: ControlClient;
  environment: 'toss' | 'sandbox';
  /** 'sheet' shows the checkout sheet; 'auto' pays at once. Read at each purchase. */
  checkoutMode: () => 'sheet' | 'auto';
  user: () => Promise<number>;
  grants: Grants;
  emit: Emit;
  /** The `closeApp` option (the legacy path closes without reporting grants: there are none). */
  closeApp: () => void;
}

/** The sheet (or 'auto') and the payment; null when the listener was cleaned up meanwhile. */
async function checkout(
  deps: PurchasesDeps,
  listener: Listener | null,
  kind: PurchaseKind,
  sku: string,
  offerId: string | null,
  legacy = false,
): Promise<Checkout> {
  const { control } = deps;
  const userKey = await deps.user();
  const started = await control.post<CheckoutResponse>('/__mock/host/checkout', {
    userKey,
    sku,
    kind,
    offerId,
    environment: deps.environment,
    ...(legacy ? { legacy } : {}),
  });
  if (!started.ok) return started;
  const path = `/__mock/host/checkout/${encodeURIComponent(started.checkoutId)}`;
  const cancel = () => control.post(`${path}/cancel`);
  if (listener && !listener.active) {
    await cancel(); // cleaned up before the sheet could open
    return null;
  }
  let confirmed = true;
  if (deps.checkoutMode() === 'sheet') {
    const sheet = showCheckoutSheet(deps.win.document, {
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
  const pay = await control.post<PayResponse>(`${path}/pay`);
  return { ok: true, pay, userKey };
}

/**
 * Paid: Toss waits for this order's grant answer until the deadline, and reports how the grant ended.
 * `userKey` is the buyer, even if the page switches users meanwhile.
 */
async function grantStep(
  grants: Grants,
  pay: Paid,
  userKey: number,
  onEvent: (payload: unknown) => void,
  onError: (code: string, text: string) => void,
): Promise<void> {
  grants.start(pay.orderId, userKey);
  if (pay.after === 'close-after-payment') return grants.closeTheApp(); // before the callback runs
  const answer = grants.waitForAnswer(pay.orderId, pay.grantDeadlineMs);
  onEvent({
    type: 'purchased',
    data: { orderId: pay.orderId, ...(pay.subscriptionId ? { subscriptionId: pay.subscriptionId } : {}) },
  });
  const granted = await answer;
  if (pay.after === 'close-during-grant') return grants.closeTheApp(); // the answer never reached Toss
  // A throwing callback never answers (the SDK swallows it): that is a timeout too. 'not-granted' loses the answer.
  const ending: GrantEnding =
    granted === 'timeout' || pay.after === 'not-granted' ? 'no-answer' : granted ? 'granted' : 'not-granted';
  const recorded = await grants.end(pay.orderId, userKey, ending);
  if (recorded !== 'granted') {
    return onError('PRODUCT_NOT_GRANTED_BY_PARTNER', sdkErrorMessages.PRODUCT_NOT_GRANTED_BY_PARTNER);
  }
  if (pay.after === 'close-after-grant') return grants.closeTheApp();
  onEvent({ type: 'success', data: pay.result });
}

export function createPurchases(deps: PurchasesDeps) {
  const { grants, emit } = deps;
  const listeners = new Map<string, Listener>();

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
      const done = await checkout(deps, listener, kind, sku, offerId);
      if (done === null) return;
      if (!done.ok) return onError(done.code, done.message);
      if (!done.pay.ok) return onError(done.pay.code, done.pay.message);
      await grantStep(grants, done.pay, done.userKey, onEvent, onError);
    } catch (error) {
      const { code, message: text } = toFailure(error);
      onError(code, text);
    }
  }

  /** Toss apps older than 5.231.1 (Android) / 5.230.0 (iOS): one method call, no grant answer. */
  async function legacyPurchase(args: unknown[]): Promise<unknown> {
    const productId = (args[0] as { productId?: unknown } | undefined)?.productId;
    const done = await checkout(
      deps,
      null,
      'one-time',
      typeof productId === 'string' ? productId : '',
      null,
      true,
    );
    if (done === null) throw new BridgeFailure('USER_CANCELED', sdkErrorMessages.USER_CANCELED);
    if (!done.ok) throw new BridgeFailure(done.code, done.message);
    if (!done.pay.ok) throw new BridgeFailure(done.pay.code, done.pay.message);
    if (done.pay.after === 'close-after-payment') {
      deps.closeApp();
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

  return {
    purchase,
    legacyPurchase,
    removeListener,
    /** Every open purchase listener ends (uninstall). */
    removeAll(): void {
      for (const id of [...listeners.keys()]) removeListener(id);
    },
  };
}

export type Purchases = ReturnType<typeof createPurchases>;
