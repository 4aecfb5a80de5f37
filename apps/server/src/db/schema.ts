/**
 * The database's tables as TypeScript types (Kysely). Portable on purpose: integer money, ISO-8601 UTC text
 * timestamps, integer 0/1 booleans, text ids — so the same queries run on SQLite and PostgreSQL.
 * Change this together with a new migration in `migrations.ts`; never edit a shipped migration.
 */
import type {
  FulfillReason,
  OrderState,
  ProductType,
  PurchaseReportOutcome,
  SubscriptionStatus,
} from '@ait-iap/iap-contract';
import type { Kysely, Transaction } from 'kysely';

export interface UsersTable {
  id: string;
  /** Toss `userKey` (a number, stored as text). Needed for order lookups; never logged in clear. */
  user_key: string;
  created_at: string;
  updated_at: string;
}

export interface SessionsTable {
  id: string;
  /** SHA-256 (hex) of the bearer token; the token itself is never stored. */
  token_hash: string;
  user_id: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  /** `production` | `sandbox` (migration 005): where the login came from; null for sessions created before 005. */
  environment: 'production' | 'sandbox' | null;
}

export interface ProductsTable {
  sku: string;
  type: ProductType;
  name: string;
  description: string;
  supply_price: number;
  sale_price: number;
  grant_kind: 'currency' | 'entitlement';
  grant_currency: string | null;
  grant_amount: number | null;
  grant_entitlement: string | null;
  renewal_cycle: 'WEEKLY' | 'MONTHLY' | 'YEARLY' | null;
  grace_period_days: number;
  offers_json: string;
  min_app_version: string;
  image: string;
  /** 0/1: listed in the shop (console "노출 여부"). */
  visible: number;
  /** 0/1: present in the catalog file. Removed SKUs are deactivated, never deleted (orders reference them). */
  active: number;
  /** Canonical JSON of the product as synced, to tell "unchanged" from "updated". */
  definition: string;
  created_at: string;
  updated_at: string;
}

export interface SkuAliasesTable {
  /** A SKU as some client may name it (e.g. the sandbox app's test products). */
  alias: string;
  sku: string;
}

/** The ledger: one row per Toss order this server verified for a user. `order_id` is the primary key. */
export interface OrdersTable {
  order_id: string;
  user_id: string;
  sku: string;
  product_type: ProductType;
  state: OrderState;
  last_reason: FulfillReason | null;
  toss_status: string | null;
  /** 0 when the partner API did not say which SKU the order was for and the client's (active) SKU was used. */
  sku_verified: number;
  subscription_id: string | null;
  created_at: string;
  updated_at: string;
  granted_at: string | null;
  revoked_at: string | null;
  /** Last time the reconcile job confirmed this order's status with Toss. */
  checked_at: string | null;
  /** Why the order is (or was) HELD for an operator; null for orders never held. */
  hold_reason: HoldReason | null;
  /** The SKU's sale price (KRW) when the order was recorded: what the console's settlement should show for it. */
  sale_price: number | null;
  /**
   * `production` | `sandbox` (migration 005): the environment of the session that first recorded the order; null
   * when unknown (orders from before 005, or first recorded by reconcile/an operator without a session).
   */
  environment: 'production' | 'sandbox' | null;
}

/**
 * Why an order waits for an operator (state HELD):
 * - `FAILED_NOT_SEEN_PAID`: Toss reads FAILED and this server never recorded a paid reading of it. Under Toss staff's
 *   account a paid order whose grant callback answered false/late reads FAILED, so it may have been paid — or not.
 * - `UNVERIFIED_SKU`: Toss confirmed payment but did not state the SKU, and the SKU the client named is not on sale
 *   now (retired or hidden): the client's word is not enough for it.
 */
export type HoldReason = 'FAILED_NOT_SEEN_PAID' | 'UNVERIFIED_SKU';

/** Every fulfillment attempt and its outcome, including the ones that could not reach Toss (ops + recovery). */
export interface FulfillmentAttemptsTable {
  id: string;
  order_id: string;
  /** The caller. Not proof of ownership: only `orders.user_id` is (set after Toss verified it). */
  user_id: string;
  sku: string;
  source: string;
  outcome: FulfillReason;
  retryable: number;
  toss_status: string | null;
  detail: string | null;
  created_at: string;
}

/** Wallet ledger: every credit and debit. A wallet's balance always equals the sum of its entries. */
export interface WalletEntriesTable {
  id: string;
  user_id: string;
  currency: string;
  amount: number;
  order_id: string | null;
  kind: 'GRANT' | 'REVOKE' | 'OPERATOR_GRANT' | 'OPERATOR_REVOKE' | 'SPEND';
  /** Unique: the same effect can never be written twice (e.g. `grant:<orderId>`). */
  idempotency_key: string;
  reason: string | null;
  created_at: string;
}

export interface WalletsTable {
  user_id: string;
  currency: string;
  balance: number;
  updated_at: string;
}

export interface EntitlementsTable {
  id: string;
  user_id: string;
  entitlement: string;
  sku: string;
  type: 'NON_CONSUMABLE' | 'SUBSCRIPTION';
  /** The order that granted it (unique: one entitlement row per order). */
  order_id: string;
  subscription_id: string | null;
  starts_at: string;
  /** Subscriptions: end of the paid period. */
  expires_at: string | null;
  /** Subscriptions: end of the grace period after `expires_at`. */
  grace_expires_at: string | null;
  revoked_at: string | null;
  created_at: string;
  /** Subscriptions: Toss's status as last reported by the mini-app (`iap.syncSubscriptions`); null = never reported. */
  toss_status: SubscriptionStatus | null;
  /** Subscriptions: 0/1 auto-renew as last reported; null = never reported. */
  auto_renew: number | null;
  /** When a report last changed this row. */
  toss_reported_at: string | null;
}

/** What operators did, and why. */
export interface AuditLogTable {
  id: string;
  operator: string;
  action: string;
  order_id: string | null;
  user_id: string | null;
  reason: string;
  detail: string | null;
  created_at: string;
  /** Migration 006: who acted — `operator` (a signed-in console account), `cli` (the ops CLI), `system`; null before 006. */
  actor_kind: 'operator' | 'cli' | 'system' | null;
  /** The operator account's id (`operators.id`) when the actor is one; null for an OS user at the CLI. */
  actor_id: string | null;
  /** The CLI's OS login user (also when it acted `--as` an operator account). */
  os_user: string | null;
}

/** Migration 006: support staff accounts (the console; `ops operator add|disable|list`). */
export interface OperatorsTable {
  id: string;
  name: string;
  /** `viewer` reads; `approver` also decides (approve, deny, regrant, revoke, credit). */
  role: 'viewer' | 'approver';
  /** `scrypt$N$r$p$salt$hash` (base64): see auth/operators.ts. */
  password_hash: string;
  created_at: string;
  /** Disabled accounts cannot sign in; their sessions stop working. Never deleted (the audit log names them). */
  disabled_at: string | null;
}

/** Migration 006: a console sign-in. The cookie's token is never stored, only its SHA-256. */
export interface OperatorSessionsTable {
  id: string;
  token_hash: string;
  operator_id: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
}

/** A purchase the app was about to open Toss's checkout for (`iap.beginPurchase`, migration 008). No order id yet. */
export interface PurchaseIntentsTable {
  id: string;
  user_id: string;
  sku: string;
  app_version: string | null;
  created_at: string;
}

/**
 * What the app reported about a purchase that ended without a grant (`iap.reportPurchase`, migration 008): the SDK's
 * error, the server's refusal, or an outbox entry dropped on ORDER_NOT_FOUND / UNKNOWN_SKU. Never trusted for money.
 */
export interface PurchaseReportsTable {
  id: string;
  user_id: string;
  /** The reporting user's own intent, or null (an unknown or another user's intent id is not linked). */
  intent_id: string | null;
  order_id: string | null;
  sku: string;
  outcome: PurchaseReportOutcome;
  error_code: string | null;
  server_reason: string | null;
  created_at: string;
}

/** One reconcile run and its report as JSON (migration 008): what operators see as "the last reconcile". */
export interface ReconcileRunsTable {
  id: string;
  started_at: string;
  finished_at: string;
  result: string;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  products: ProductsTable;
  sku_aliases: SkuAliasesTable;
  orders: OrdersTable;
  fulfillment_attempts: FulfillmentAttemptsTable;
  wallet_entries: WalletEntriesTable;
  wallets: WalletsTable;
  entitlements: EntitlementsTable;
  audit_log: AuditLogTable;
  operators: OperatorsTable;
  operator_sessions: OperatorSessionsTable;
  purchase_intents: PurchaseIntentsTable;
  purchase_reports: PurchaseReportsTable;
  reconcile_runs: ReconcileRunsTable;
  rate_limits: RateLimitsTable;
}

/** Shared rate-limit buckets (PostgreSQL; migration 009). */
export interface RateLimitsTable {
  key: string;
  tokens: number;
  at: number;
  taken: number;
}

export type Db = Kysely<Database>;
export type Tx = Transaction<Database> | Kysely<Database>;
