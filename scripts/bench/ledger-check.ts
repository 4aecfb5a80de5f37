/**
 * The ledger invariants, read straight from the server's SQLite file (better-sqlite3, the server's own build):
 *  - no order granted twice: at most one GRANT wallet entry / entitlement per order;
 *  - no paid order lost: every paid order the bench bought is GRANTED in `orders` (after recovery);
 *  - wallets equal their ledgers: each cached balance = the sum of its wallet entries, and = what the GRANTED
 *    orders should have credited (catalog amount per SKU);
 *  - subscription dates are derived: each live entitlement expires at its subscription's derived paid end (anchor +
 *    paid cycles; shorter only after an app report), its grace at most one catalog grace later
 *    (`subscriptionDateViolations`, the server's own rule).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  type SubscriptionRowFacts,
  subscriptionDateViolations,
} from '../../apps/server/src/fulfillment/subscription-periods';
import { repoRoot } from '../lib/processes.mjs';

type Sqlite = {
  prepare(source: string): { all(...args: unknown[]): unknown[]; get(...args: unknown[]): unknown };
  close(): void;
};
const BetterSqlite3 = createRequire(path.join(repoRoot, 'apps/server/package.json'))(
  'better-sqlite3',
) as new (
  file: string,
  options?: { fileMustExist?: boolean; readonly?: boolean },
) => Sqlite;

export interface LedgerReport {
  ordersInLedger: number;
  grantedOrders: number;
  /** Grant effects written: wallet GRANT entries + entitlement rows (one per granted order when all is well). */
  grantEffects: number;
  /** Orders with more than one grant effect (wallet GRANT entries + entitlement rows). */
  doubleGrants: number;
  doubleGrantOrderIds: string[];
  /** Paid orders (given by the caller) that are not GRANTED. */
  lostGrants: number;
  /** The paid orders by ledger state (`NOT_RECORDED` = never bound: recoverable from Toss's pending orders). */
  paidByState: Record<string, number>;
  lostOrderIds: string[];
  /** Wallets whose cached balance differs from the sum of their entries, or from what GRANTED orders credit. */
  walletMismatches: number;
  walletDetails: string[];
  /** Live subscription entitlements whose dates are not the derived ones (see `subscriptionDateViolations`). */
  subscriptionDateMismatches: number;
  subscriptionDetails: string[];
}

/** `readonly` while the server is still running (a reader never blocks its writes). */
export function checkLedger(
  databasePath: string,
  paidOrderIds: readonly string[],
  options: { readonly?: boolean } = {},
): LedgerReport {
  const db = new BetterSqlite3(databasePath, { fileMustExist: true, readonly: options.readonly ?? false });
  try {
    const effects = db
      .prepare(
        `select order_id, count(*) as n from (
           select order_id from wallet_entries where kind in ('GRANT', 'OPERATOR_GRANT') and order_id is not null
           union all
           select order_id from entitlements
         ) group by order_id having count(*) > 1`,
      )
      .all() as { order_id: string; n: number }[];

    const grantEffects = (
      db
        .prepare(
          `select (select count(*) from wallet_entries where kind in ('GRANT', 'OPERATOR_GRANT'))
                + (select count(*) from entitlements) as n`,
        )
        .get() as { n: number }
    ).n;

    const states = new Map(
      (db.prepare('select order_id, state from orders').all() as { order_id: string; state: string }[]).map(
        (r) => [r.order_id, r.state],
      ),
    );
    const lost = paidOrderIds.filter((id) => states.get(id) !== 'GRANTED');
    const paidByState: Record<string, number> = {};
    for (const id of paidOrderIds) {
      const state = states.get(id) ?? 'NOT_RECORDED';
      paidByState[state] = (paidByState[state] ?? 0) + 1;
    }

    const walletDetails: string[] = [];
    const vsEntries = db
      .prepare(
        `select w.user_id, w.currency, w.balance, coalesce((select sum(e.amount) from wallet_entries e
            where e.user_id = w.user_id and e.currency = w.currency), 0) as ledger
         from wallets w`,
      )
      .all() as { user_id: string; currency: string; balance: number; ledger: number }[];
    for (const row of vsEntries) {
      if (row.balance !== row.ledger) {
        walletDetails.push(`${row.user_id} ${row.currency}: balance ${row.balance} ≠ entries ${row.ledger}`);
      }
    }
    const orphanEntries = db
      .prepare(
        `select e.user_id, e.currency, sum(e.amount) as total from wallet_entries e
         left join wallets w on w.user_id = e.user_id and w.currency = e.currency
         where w.user_id is null group by e.user_id, e.currency`,
      )
      .all() as { user_id: string; currency: string; total: number }[];
    for (const row of orphanEntries)
      walletDetails.push(`${row.user_id} ${row.currency}: entries ${row.total} but no wallet`);
    // What the GRANTED (not revoked) currency orders should have credited, per wallet.
    const vsOrders = db
      .prepare(
        `select w.user_id, w.currency, w.balance, coalesce((
            select sum(p.grant_amount) from orders o join products p on p.sku = o.sku
            where o.user_id = w.user_id and o.state = 'GRANTED' and p.grant_kind = 'currency'
              and p.grant_currency = w.currency), 0) as expected
         from wallets w`,
      )
      .all() as { user_id: string; currency: string; balance: number; expected: number }[];
    for (const row of vsOrders) {
      if (row.balance !== row.expected) {
        walletDetails.push(
          `${row.user_id} ${row.currency}: balance ${row.balance} ≠ granted orders ${row.expected}`,
        );
      }
    }
    const subscriptionDetails = subscriptionDateViolations(
      db
        .prepare(
          `select e.user_id, e.sku, e.order_id, o.created_at as order_created_at, e.revoked_at, e.expires_at,
                  e.grace_expires_at, e.toss_reported_at, p.renewal_cycle, p.grace_period_days
           from entitlements e join orders o on o.order_id = e.order_id join products p on p.sku = e.sku
           where e.type = 'SUBSCRIPTION'`,
        )
        .all() as SubscriptionRowFacts[],
    );
    const granted = [...states.values()].filter((s) => s === 'GRANTED').length;
    return {
      ordersInLedger: states.size,
      grantedOrders: granted,
      grantEffects,
      doubleGrants: effects.length,
      doubleGrantOrderIds: effects.slice(0, 10).map((r) => r.order_id),
      lostGrants: lost.length,
      lostOrderIds: lost.slice(0, 10),
      paidByState,
      walletMismatches: walletDetails.length,
      walletDetails: walletDetails.slice(0, 10),
      subscriptionDateMismatches: subscriptionDetails.length,
      subscriptionDetails: subscriptionDetails.slice(0, 10),
    };
  } finally {
    db.close();
  }
}
