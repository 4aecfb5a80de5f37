/**
 * The ledger's one state object and its record types. Every ledger module (accounts, records, orders,
 * subscriptions, purchases, scenario, control) is a set of plain functions over this object: there is no other
 * place the mock keeps users, orders or subscriptions. Time comes from the mock clock only.
 */
import { randomBytes } from 'node:crypto';
import type { Catalog, CatalogProduct, StatusReading, SubscriptionStatus } from '@ait-iap/iap-contract';
import type { MockClock } from '../clock';
import type {
  GrantEnding,
  HistoryReading,
  PurchaseKind,
  PurchaseOutcome,
  StatusAfterComplete,
  WrongKindPurchase,
} from '../protocol';

export const AUTH_CODE_TTL_MS = 10 * 60 * 1000;
export const ACCESS_TOKEN_TTL_MS = 60 * 60 * 1000;
export const REFRESH_TOKEN_TTL_MS = 14 * 24 * 60 * 60 * 1000;

export interface MockUser {
  userKey: number;
  createdAt: string;
}

export interface AuthCode {
  code: string;
  userKey: number;
  referrer: 'DEFAULT' | 'SANDBOX';
  expiresAt: number;
  used: boolean;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  userKey: number;
  accessExpiresAt: number;
  refreshExpiresAt: number;
  revoked: boolean;
}

/** Where the money is. `paid` reads PAYMENT_COMPLETED, PURCHASED or FAILED by the status reading (see `orderStatus`). */
export type Payment = 'paid' | 'failed' | 'in-progress' | 'refunded';

export interface MockOrder {
  orderId: string;
  userKey: number;
  /** The catalog SKU (a sandbox purchase is mapped through `sandboxSkuMap`). */
  sku: string;
  /** The SKU the mini-app saw and asked for (differs from `sku` only in the sandbox). */
  clientSku: string;
  /** The SKU is not in this app's catalog: the order belongs to another mini-app (MINIAPP_MISMATCH). */
  foreign: boolean;
  payment: Payment;
  /** The grant callback's answer as Toss received it: null = no answer received (yet). Follows `grantEnding`. */
  granted: boolean | null;
  /** How the grant ended; null = still open (in progress, or an order with no grant step: legacy apps, control API). */
  grantEnding: GrantEnding | null;
  /** When an open grant ends as 'no-answer' by itself (mock clock); null = no deadline. */
  grantDeadlineAt: string | null;
  /** `completeProductGrant` was called for it. */
  completed: boolean;
  amount: number;
  createdAt: string;
  paidAt: string | null;
  completedAt: string | null;
  refundedAt: string | null;
  subscriptionId: string | null;
  /** Renewal orders point at the subscription's first order. */
  renewalOf: string | null;
  /** How many upcoming `completeProductGrant` calls for this order fail ('complete-fails'). */
  completeFailures: number;
}

export interface MockSubscription {
  subscriptionId: string;
  orderId: string;
  userKey: number;
  sku: string;
  catalogId: number;
  status: SubscriptionStatus;
  expiresAt: string | null;
  isAutoRenew: boolean;
  gracePeriodExpiresAt: string | null;
  renewals: number;
  /** Day of month (UTC) periods end on, clamped to shorter months: Jan 31 → Feb 28 → Mar 31. */
  anchorDay: number;
  /**
   * Where the paid cycles are counted from (the first payment, the end of a free trial, or a restart after a lapse):
   * `expiresAt` = cycleEnd(anchorAt, cycle, paidCycles) — the contract's calendar, the one the server uses.
   */
  anchorAt: string;
  /** Paid cycles since `anchorAt` that still count: a refunded renewal no longer does (the team's reading). */
  paidCycles: number;
}

export type FaultKind = 'latency' | 'error5xx' | 'timeout' | 'malformed';
export interface Fault {
  id: number;
  kind: FaultKind;
  rate: number;
  ms: number;
  /** Remaining matches; null = unlimited. */
  count: number | null;
  path: string | null;
}

export interface QueuedOutcome {
  outcome: PurchaseOutcome;
  userKey: number | null;
}

export interface Checkout {
  checkoutId: string;
  userKey: number;
  clientSku: string;
  product: CatalogProduct | null;
  catalogSku: string;
  kind: PurchaseKind;
  offerId: string | null;
  displayName: string;
  amount: number;
  outcome: PurchaseOutcome;
  /** A legacy (old Toss app) purchase: Toss never waits for a grant answer. */
  legacy: boolean;
}

export interface LedgerOptions {
  statusReading: StatusReading;
  grantDeadlineMs: number;
  /** Add the undocumented `sku` to get-order-status answers (default false: exactly `{ orderId, status, reason }`). */
  revealSku: boolean;
  /** Orders per page of getCompletedOrRefundedOrders. */
  pageSize: number;
  /** Undocumented rules, as named readings (protocol.ts). Defaults: the first of each. */
  historyReading: HistoryReading;
  statusAfterComplete: StatusAfterComplete;
  wrongKindPurchase: WrongKindPurchase;
}

export const defaultUndocumentedReadings = {
  historyReading: 'after-complete-grant',
  statusAfterComplete: 'unchanged',
  wrongKindPurchase: 'refused',
} as const satisfies Pick<LedgerOptions, 'historyReading' | 'statusAfterComplete' | 'wrongKindPurchase'>;

export const controlOrderStatuses = [
  'PAYMENT_COMPLETED',
  'PURCHASED',
  'COMPLETED',
  'ORDER_IN_PROGRESS',
  'FAILED',
  'REFUNDED',
] as const;
export type ControlOrderStatus = (typeof controlOrderStatuses)[number];
export const subscriptionActions = ['renew', 'expire', 'grace', 'revoke'] as const;
export type SubscriptionAction = (typeof subscriptionActions)[number];

export type LedgerResult<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

export function fail(code: string, message: string): { ok: false; code: string; message: string } {
  return { ok: false, code, message };
}

export interface CreateLedgerDeps {
  clock: MockClock;
  catalog: Catalog;
  options: LedgerOptions;
  /** Where product icons are served (the control API's URL); set once it listens (`setIconBaseUrl`). */
  iconBaseUrl?: string;
}

/** Everything the mock remembers. The maps and arrays keep their identity across `reset` (tests hold them). */
export interface LedgerState {
  readonly clock: MockClock;
  catalog: Catalog;
  iconBaseUrl: string;
  /** What `reset` goes back to. */
  readonly initialOptions: Readonly<LedgerOptions>;
  readonly options: LedgerOptions;
  readonly users: Map<number, MockUser>;
  readonly codes: Map<string, AuthCode>;
  readonly tokens: TokenPair[];
  readonly orders: Map<string, MockOrder>;
  readonly subscriptions: Map<string, MockSubscription>;
  readonly checkouts: Map<string, Checkout>;
  readonly outcomes: QueuedOutcome[];
  readonly faults: Fault[];
  nextUserKey: number;
  nextFaultId: number;
}

export function createLedgerState(deps: CreateLedgerDeps): LedgerState {
  return {
    clock: deps.clock,
    catalog: deps.catalog,
    iconBaseUrl: deps.iconBaseUrl ?? 'http://127.0.0.1:3101',
    initialOptions: { ...deps.options },
    options: { ...deps.options },
    users: new Map(),
    codes: new Map(),
    tokens: [],
    orders: new Map(),
    subscriptions: new Map(),
    checkouts: new Map(),
    outcomes: [],
    faults: [],
    // A random 9-digit start, kept across resets: a browser that remembers user 123456789 from an earlier run
    // never silently becomes the user a test or the seed script just created.
    nextUserKey: 100_000_000 + (randomBytes(4).readUInt32BE(0) % 800_000_000),
    nextFaultId: 1,
  };
}

export const nowMs = (s: LedgerState) => s.clock.now().getTime();
export const nowIso = (s: LedgerState) => s.clock.now().toISOString();
export const token = (prefix: string) => `${prefix}_${randomBytes(24).toString('base64url')}`;
export const findProduct = (s: LedgerState, sku: string) =>
  s.catalog.products.find((p) => p.sku === sku) ?? null;
export const catalogId = (s: LedgerState, sku: string) =>
  s.catalog.products.findIndex((p) => p.sku === sku) + 1;

/** The answer Toss received for a grant ending (null: none reached it). */
export const answerOf = (ending: GrantEnding | null): boolean | null =>
  ending === 'granted' ? true : ending === 'not-granted' ? false : null;
