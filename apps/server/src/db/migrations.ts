/**
 * Versioned migrations, applied in order on start (Kysely's Migrator records them in `kysely_migration`).
 * Written with Kysely's schema builder so they run on SQLite and PostgreSQL alike.
 * To change the schema: append a new migration (`'002_...'`), never edit one that has shipped.
 */
import type { Kysely } from 'kysely';
import { type Migration, type MigrationProvider, Migrator } from 'kysely/migration';

const m001: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_key', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('revoked_at', 'text')
      .execute();
    await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute();

    await db.schema
      .createTable('products')
      .addColumn('sku', 'text', (c) => c.primaryKey())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('supply_price', 'integer', (c) => c.notNull())
      .addColumn('sale_price', 'integer', (c) => c.notNull())
      .addColumn('grant_kind', 'text', (c) => c.notNull())
      .addColumn('grant_currency', 'text')
      .addColumn('grant_amount', 'integer')
      .addColumn('grant_entitlement', 'text')
      .addColumn('renewal_cycle', 'text')
      .addColumn('grace_period_days', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('offers_json', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('min_app_version', 'text', (c) => c.notNull())
      .addColumn('image', 'text', (c) => c.notNull())
      .addColumn('visible', 'integer', (c) => c.notNull())
      .addColumn('active', 'integer', (c) => c.notNull())
      .addColumn('definition', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('sku_aliases')
      .addColumn('alias', 'text', (c) => c.primaryKey())
      .addColumn('sku', 'text', (c) => c.notNull().references('products.sku'))
      .execute();

    await db.schema
      .createTable('orders')
      .addColumn('order_id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('sku', 'text', (c) => c.notNull().references('products.sku'))
      .addColumn('product_type', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('last_reason', 'text')
      .addColumn('toss_status', 'text')
      .addColumn('sku_verified', 'integer', (c) => c.notNull())
      .addColumn('subscription_id', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('granted_at', 'text')
      .addColumn('revoked_at', 'text')
      .execute();
    await db.schema.createIndex('orders_user_id').on('orders').columns(['user_id', 'created_at']).execute();
    await db.schema.createIndex('orders_state').on('orders').columns(['state', 'updated_at']).execute();

    await db.schema
      .createTable('fulfillment_attempts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('order_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('sku', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('retryable', 'integer', (c) => c.notNull())
      .addColumn('toss_status', 'text')
      .addColumn('detail', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('fulfillment_attempts_order')
      .on('fulfillment_attempts')
      .columns(['order_id', 'created_at'])
      .execute();
    await db.schema
      .createIndex('fulfillment_attempts_retryable')
      .on('fulfillment_attempts')
      .columns(['retryable', 'created_at'])
      .execute();

    await db.schema
      .createTable('wallet_entries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('amount', 'integer', (c) => c.notNull())
      .addColumn('order_id', 'text', (c) => c.references('orders.order_id'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
      .addColumn('reason', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('wallet_entries_user')
      .on('wallet_entries')
      .columns(['user_id', 'currency'])
      .execute();
    await db.schema.createIndex('wallet_entries_order').on('wallet_entries').column('order_id').execute();

    await db.schema
      .createTable('wallets')
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('balance', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('wallets_pk', ['user_id', 'currency'])
      .execute();

    await db.schema
      .createTable('entitlements')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('entitlement', 'text', (c) => c.notNull())
      .addColumn('sku', 'text', (c) => c.notNull().references('products.sku'))
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('order_id', 'text', (c) => c.notNull().unique().references('orders.order_id'))
      .addColumn('subscription_id', 'text')
      .addColumn('starts_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text')
      .addColumn('grace_expires_at', 'text')
      .addColumn('revoked_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('entitlements_user')
      .on('entitlements')
      .columns(['user_id', 'entitlement'])
      .execute();

    await db.schema
      .createTable('audit_log')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('operator', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('order_id', 'text')
      .addColumn('user_id', 'text')
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('detail', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
  },
  async down() {
    throw new Error('001_initial cannot be rolled back: it holds the order ledger');
  },
};

/** When the reconcile job last confirmed a granted order with Toss (it re-checks the least recently checked first). */
const m002: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('orders').addColumn('checked_at', 'text').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('orders').dropColumn('checked_at').execute();
  },
};

/**
 * What Toss last said about a subscription, as the mini-app reported it (`iap.syncSubscriptions`): its status,
 * whether it auto-renews, and when a report last changed the row. One column per statement (SQLite adds one at a time).
 */
const m003: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('entitlements').addColumn('toss_status', 'text').execute();
    await db.schema.alterTable('entitlements').addColumn('auto_renew', 'integer').execute();
    await db.schema.alterTable('entitlements').addColumn('toss_reported_at', 'text').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('entitlements').dropColumn('toss_reported_at').execute();
    await db.schema.alterTable('entitlements').dropColumn('auto_renew').execute();
    await db.schema.alterTable('entitlements').dropColumn('toss_status').execute();
  },
};

/**
 * Held orders and the audit of unverified grants: why an order is HELD (Toss read FAILED and the server never saw it
 * paid, or Toss did not state the SKU and the claimed one is not on sale), and the sale price of the SKU when the order
 * was recorded (what the console's settlement should show for it). Plus an index to list recent ORDER_CONFLICT claims.
 */
const m004: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('orders').addColumn('hold_reason', 'text').execute();
    await db.schema.alterTable('orders').addColumn('sale_price', 'integer').execute();
    await db.schema
      .createIndex('fulfillment_attempts_outcome')
      .on('fulfillment_attempts')
      .columns(['outcome', 'created_at'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('fulfillment_attempts_outcome').execute();
    await db.schema.alterTable('orders').dropColumn('sale_price').execute();
    await db.schema.alterTable('orders').dropColumn('hold_reason').execute();
  },
};

/**
 * Which Toss environment a session and an order belong to (`production` | `sandbox`, TOSS_ENVIRONMENT and the login's
 * referrer), so test purchases made with the sandbox app are never mistaken for real money. Nullable: rows written
 * before this migration (and orders recorded by code that does not pass it yet) have no environment.
 */
const m005: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('sessions').addColumn('environment', 'text').execute();
    await db.schema.alterTable('orders').addColumn('environment', 'text').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('orders').dropColumn('environment').execute();
    await db.schema.alterTable('sessions').dropColumn('environment').execute();
  },
};

/**
 * Operators as accounts (the support console and `ops operator …`): `operators` (a name, a role — viewer reads,
 * approver decides — a scrypt password hash, disabled_at instead of deletion so the audit log keeps its names) and
 * `operator_sessions` (the console's cookie, stored hashed like `sessions`). The audit log says WHO acted: `actor_kind`
 * (`operator` = a signed-in console account, `cli` = the ops CLI, `system`), `actor_id` (the operator's id, if any)
 * and `os_user` (the CLI's login user). Nullable: rows written before 006 only have the free-text `operator`.
 */
const m006: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('operators')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('disabled_at', 'text')
      .execute();
    await db.schema
      .createTable('operator_sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('operator_id', 'text', (c) => c.notNull().references('operators.id').onDelete('cascade'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('revoked_at', 'text')
      .execute();
    await db.schema
      .createIndex('operator_sessions_operator')
      .on('operator_sessions')
      .column('operator_id')
      .execute();
    await db.schema.alterTable('audit_log').addColumn('actor_kind', 'text').execute();
    await db.schema.alterTable('audit_log').addColumn('actor_id', 'text').execute();
    await db.schema.alterTable('audit_log').addColumn('os_user', 'text').execute();
    await db.schema.createIndex('audit_log_created').on('audit_log').column('created_at').execute();
    await db.schema
      .createIndex('audit_log_order')
      .on('audit_log')
      .columns(['order_id', 'created_at'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('audit_log_order').execute();
    await db.schema.dropIndex('audit_log_created').execute();
    await db.schema.alterTable('audit_log').dropColumn('os_user').execute();
    await db.schema.alterTable('audit_log').dropColumn('actor_id').execute();
    await db.schema.alterTable('audit_log').dropColumn('actor_kind').execute();
    await db.schema.dropTable('operator_sessions').execute();
    await db.schema.dropTable('operators').execute();
  },
};

/**
 * Every paid order leaves a trace (issue 21): purchase intents recorded before checkout opens and the app's reports of
 * purchases that ended without a grant (both feed operator lists only, never money), and the result of each reconcile
 * run (operators and the console read the last one). Plus an index for the refund-horizon walk over old grants.
 */
const m008: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('purchase_intents')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('sku', 'text', (c) => c.notNull())
      .addColumn('app_version', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('purchase_intents_user')
      .on('purchase_intents')
      .columns(['user_id', 'created_at'])
      .execute();
    await db.schema
      .createIndex('purchase_intents_created')
      .on('purchase_intents')
      .column('created_at')
      .execute();
    await db.schema
      .createTable('purchase_reports')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('intent_id', 'text')
      .addColumn('order_id', 'text')
      .addColumn('sku', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('error_code', 'text')
      .addColumn('server_reason', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('purchase_reports_outcome')
      .on('purchase_reports')
      .columns(['outcome', 'created_at'])
      .execute();
    await db.schema
      .createIndex('purchase_reports_user')
      .on('purchase_reports')
      .columns(['user_id', 'created_at'])
      .execute();
    await db.schema
      .createIndex('purchase_reports_intent')
      .on('purchase_reports')
      .column('intent_id')
      .execute();
    await db.schema
      .createTable('reconcile_runs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('started_at', 'text', (c) => c.notNull())
      .addColumn('finished_at', 'text', (c) => c.notNull())
      .addColumn('result', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('reconcile_runs_started').on('reconcile_runs').column('started_at').execute();
    await db.schema.createIndex('orders_granted').on('orders').columns(['state', 'granted_at']).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('orders_granted').execute();
    await db.schema.dropTable('reconcile_runs').execute();
    await db.schema.dropTable('purchase_reports').execute();
    await db.schema.dropTable('purchase_intents').execute();
  },
};

/**
 * Rate-limit buckets shared by every server instance on PostgreSQL (http/rate-limit-store.ts): one row per limit and
 * client, `tokens` left as of `at` (epoch ms), `taken` by the last take. Created on SQLite too (unused there: one
 * instance keeps its buckets in memory), so both backends have one schema.
 */
const m009: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('rate_limits')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('tokens', 'double precision', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('taken', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('rate_limits_at').on('rate_limits').column('at').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('rate_limits').execute();
  },
};

export const migrations: Record<string, Migration> = {
  '001_initial': m001,
  '002_orders_checked_at': m002,
  '003_entitlements_toss_status': m003,
  '004_orders_hold': m004,
  '005_sessions_orders_environment': m005,
  '006_operators_audit_actor': m006,
  '008_intents_reports_reconcile_runs': m008,
  '009_rate_limits': m009,
};

class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations;
  }
}

/** Apply every pending migration. Throws with the failing migration's name if one fails. */
export async function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Database migration ${failed?.migrationName ?? ''} failed: ${reason}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
