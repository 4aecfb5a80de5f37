/**
 * The ledger invariants, read straight from the server's SQLite file (better-sqlite3, the server's own build):
 *  - nothing doubled: at most one grant effect (GRANT wallet entry or entitlement row) per order;
 *  - nothing lost: every paid order the caller names is GRANTED in `orders`;
 *  - wallet = ledger: each cached balance = the sum of its wallet entries = what its GRANTED orders credit (catalog
 *    amount per SKU), and no entries without a wallet;
 *  - subscription dates are derived (`subscriptionDateViolations`, the server's own rule).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  type SubscriptionRowFacts,
  subscriptionDateViolations,
} from '../../apps/server/src/fulfillment/subscription-periods';
import { repoRoot } from '../lib/processes.mjs';

// biome-ignore lint/suspicious/noExplicitAny: a row of a query written in this file
type Row = Record<string, any>;
const Database = createRequire(path.join(repoRoot, 'apps/server/package.json'))('better-sqlite3');

export interface LedgerReport {
  grantedOrders: number;
  /** GRANT wallet entries + entitlement rows: one per granted order when all is well. */
  grantEffects: number;
  doubleGrants: number;
  /** Paid orders (named by the caller) not GRANTED. */
  lostGrants: number;
  /** The paid orders by ledger state (`NOT_RECORDED`: never bound; Toss still lists it as pending). */
  paidByState: Record<string, number>;
  walletMismatches: number;
  subscriptionDateMismatches: number;
  /** The first few problems, named. */
  details: string[];
}

const doubled = `select order_id from (
    select order_id from wallet_entries where kind in ('GRANT', 'OPERATOR_GRANT') and order_id is not null
    union all select order_id from entitlements) group by order_id having count(*) > 1`;
const effects = `select (select count(*) from wallet_entries where kind in ('GRANT', 'OPERATOR_GRANT'))
    + (select count(*) from entitlements) as n`;
const walletsVsEntries = `select w.user_id, w.currency, w.balance, coalesce((select sum(e.amount) from wallet_entries e
    where e.user_id = w.user_id and e.currency = w.currency), 0) as other, 'entries' as what from wallets w
  union all select e.user_id, e.currency, null, sum(e.amount), 'entries without a wallet' from wallet_entries e
    left join wallets w on w.user_id = e.user_id and w.currency = e.currency where w.user_id is null
    group by e.user_id, e.currency
  union all select w.user_id, w.currency, w.balance, coalesce((select sum(p.grant_amount) from orders o
    join products p on p.sku = o.sku where o.user_id = w.user_id and o.state = 'GRANTED'
    and p.grant_kind = 'currency' and p.grant_currency = w.currency), 0), 'granted orders' from wallets w`;
const subscriptions = `select e.user_id, e.sku, e.order_id, o.created_at as order_created_at, e.revoked_at, e.expires_at,
    e.grace_expires_at, e.toss_reported_at, p.renewal_cycle, p.grace_period_days
  from entitlements e join orders o on o.order_id = e.order_id join products p on p.sku = e.sku
  where e.type = 'SUBSCRIPTION'`;

const orderStates = (db: InstanceType<typeof Database>) =>
  new Map<string, string>(
    db
      .prepare('select order_id, state from orders')
      .all()
      .map((r: Row) => [r.order_id, r.state]),
  );

/** The orders among `ids` that are not GRANTED in the ledger. */
export function notGranted(databasePath: string, ids: Iterable<string>): string[] {
  const db = new Database(databasePath, { fileMustExist: true });
  try {
    const states = orderStates(db);
    return [...ids].filter((id) => states.get(id) !== 'GRANTED');
  } finally {
    db.close();
  }
}

/** `readonly` while the server still runs (a reader never blocks its writes). */
export function checkLedger(
  databasePath: string,
  paidOrderIds: readonly string[],
  readonly = false,
): LedgerReport {
  const db = new Database(databasePath, { fileMustExist: true, readonly });
  try {
    const states = orderStates(db);
    const paidByState: Record<string, number> = {};
    for (const id of paidOrderIds) {
      const state = states.get(id) ?? 'NOT_RECORDED';
      paidByState[state] = (paidByState[state] ?? 0) + 1;
    }
    const doubles = db
      .prepare(doubled)
      .all()
      .map((r: Row) => `order ${r.order_id} granted twice`);
    const lost = paidOrderIds
      .filter((id) => states.get(id) !== 'GRANTED')
      .map((id) => `paid order ${id} not granted`);
    const wallets = db
      .prepare(walletsVsEntries)
      .all()
      .filter((r: Row) => r.balance !== r.other)
      .map((r: Row) => `${r.user_id} ${r.currency}: balance ${r.balance ?? 'none'} ≠ ${r.what} ${r.other}`);
    const dates = subscriptionDateViolations(db.prepare(subscriptions).all() as SubscriptionRowFacts[]);
    return {
      grantedOrders: [...states.values()].filter((s) => s === 'GRANTED').length,
      grantEffects: db.prepare(effects).get().n,
      doubleGrants: doubles.length,
      lostGrants: lost.length,
      paidByState,
      walletMismatches: wallets.length,
      subscriptionDateMismatches: dates.length,
      details: [...doubles, ...lost, ...wallets, ...dates].slice(0, 10),
    };
  } finally {
    db.close();
  }
}
