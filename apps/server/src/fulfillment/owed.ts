/**
 * Money users owe: a refund of coins already spent leaves a NEGATIVE balance (grants.ts writes the full reversal; we
 * keep it, never clamp it). This lists those users for operators (`ops negative`, the console). A fork that settles
 * debts differently (e.g. forgives small ones) changes the policy in grants.ts, not here.
 */
import type { AppDeps } from '../context';

export interface NegativeBalance {
  userId: string;
  currency: string;
  balance: number;
  /** When the balance last moved (usually the refund that took it below zero). */
  since: string;
}

/** Users whose balance is below zero, most owed first. */
export async function listNegativeBalances(
  deps: Pick<AppDeps, 'database'>,
  limit = 200,
): Promise<NegativeBalance[]> {
  const rows = await deps.database.db
    .selectFrom('wallets')
    .select(['user_id', 'currency', 'balance', 'updated_at'])
    .where('balance', '<', 0)
    .orderBy('balance')
    .orderBy('user_id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    userId: row.user_id,
    currency: row.currency,
    balance: Number(row.balance),
    since: row.updated_at,
  }));
}
