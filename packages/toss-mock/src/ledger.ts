/**
 * THE ledger of the mock: users, login codes and tokens, orders, subscriptions, scenario queue and faults. Both the
 * partner API (Node) and the browser host (through the control port) read and change this one object, so what the
 * mini-app sees and what the server verifies always agree. Time comes from the mock clock only.
 *
 * The state lives in one object (`ledger/state.ts`); each concern is a module of plain functions over it:
 * `accounts` (users, codes, tokens), `records` (new orders and the subscriptions they start), `orders` (the status
 * readings, refunds, listings), `subscriptions` (renewals, expiry, grace), `purchases` (the checkout the host
 * drives), `scenario` (queued outcomes, faults) and `control` (catalog, options, reset, snapshot).
 * You probably don't need to edit these files unless you add a scenario (see protocol.ts).
 */
import * as accounts from './ledger/accounts';
import * as control from './ledger/control';
import * as orders from './ledger/orders';
import * as purchases from './ledger/purchases';
import * as scenario from './ledger/scenario';
import { type CreateLedgerDeps, createLedgerState, type LedgerState } from './ledger/state';
import * as subscriptions from './ledger/subscriptions';

export { addCycle, addMonths } from '@ait-iap/iap-contract';
export { addPeriod } from './ledger/purchases';
export {
  ACCESS_TOKEN_TTL_MS,
  AUTH_CODE_TTL_MS,
  type ControlOrderStatus,
  type CreateLedgerDeps,
  controlOrderStatuses,
  defaultUndocumentedReadings,
  type Fault,
  type FaultKind,
  type LedgerOptions,
  type MockOrder,
  type MockSubscription,
  subscriptionActions,
} from './ledger/state';

export type MockState = ReturnType<typeof createLedger>;

type StateFn = (s: LedgerState, ...args: never[]) => unknown;
type Bound<F> = {
  [K in keyof F]: F[K] extends (s: LedgerState, ...args: infer A) => infer R ? (...args: A) => R : never;
};

/** The module functions with the state filled in: the ledger's public methods. */
function bindState<F extends Record<string, StateFn>>(s: LedgerState, fns: F): Bound<F> {
  const bound = Object.entries(fns).map(([name, fn]) => [name, (...args: never[]) => fn(s, ...args)]);
  return Object.fromEntries(bound) as Bound<F>;
}

export function createLedger(deps: CreateLedgerDeps) {
  const s = createLedgerState(deps);
  return {
    // data, for tests
    users: s.users,
    orders: s.orders,
    subscriptions: s.subscriptions,
    faults: s.faults,
    outcomes: s.outcomes,
    options: s.options,
    get catalog() {
      return s.catalog;
    },
    clock: s.clock,
    ...bindState(s, {
      // users and login
      ensureUser: accounts.ensureUser,
      issueAuthorizationCode: accounts.issueAuthorizationCode,
      exchangeCode: accounts.exchangeCode,
      refresh: accounts.refresh,
      userForAccessToken: accounts.userForAccessToken,
      revokeAccessToken: accounts.revokeAccessToken,
      revokeUserTokens: accounts.revokeUserTokens,
      // orders
      createOrder: control.createOrder,
      orderStatus: orders.orderStatus,
      refund: orders.refund,
      settlePayment: orders.settlePayment,
      pendingOrders: orders.pendingOrders,
      completedOrRefunded: orders.completedOrRefunded,
      // purchases
      queueOutcome: scenario.queueOutcome,
      beginCheckout: purchases.beginCheckout,
      cancelCheckout: purchases.cancelCheckout,
      payCheckout: purchases.payCheckout,
      endGrant: purchases.endGrant,
      completeGrant: purchases.completeGrant,
      products: purchases.products,
      // subscriptions
      settleSubscriptions: subscriptions.settleSubscriptions,
      subscriptionAction: subscriptions.subscriptionAction,
      subscriptionInfo: subscriptions.subscriptionInfo,
      // faults and control
      addFault: scenario.addFault,
      faultsFor: scenario.faultsFor,
      clearFaults: scenario.clearFaults,
      setCatalog: control.setCatalog,
      setIconBaseUrl: control.setIconBaseUrl,
      setOptions: control.setOptions,
      reset: control.reset,
      snapshot: control.snapshot,
    }),
  };
}
