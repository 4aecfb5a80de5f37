/**
 * Token buckets in the database, for several server instances on one PostgreSQL: every instance takes from the same
 * bucket, so the limits hold for the whole deployment instead of multiplying by the instance count. The same
 * algorithm as the in-memory buckets (rate-limit.ts: capacity `burst`, refilled at `perMinute`, the injected clock),
 * done in ONE statement — an upsert on the bucket's row, which PostgreSQL serializes per key — so concurrent takes on
 * any number of instances never over-spend. Rows of idle buckets (full again) are deleted now and then.
 * You probably don't need to edit this file.
 */
import { sql } from 'kysely';
import type { Db } from '../db/schema';
import type { RateLimiter, RateLimiterOptions } from './rate-limit';

/** A bucket idle this long is full again (every limit refills its burst within a minute): its row can go. */
const idleRowMs = 5 * 60_000;
/** Delete idle rows once every this many takes (per limiter and process). */
const cleanupEvery = 1_000;

export function createDatabaseRateLimiter(
  db: Db,
  options: RateLimiterOptions & { name: string },
): RateLimiter {
  const capacity = options.burst ?? options.perMinute;
  const refillPerMs = options.perMinute / 60_000;
  let calls = 0;

  /** Take `n` tokens (`all`: all or none) or up to `n` (`upTo`); returns how many were taken. */
  async function takeFrom(key: string, n: number, mode: 'all' | 'upTo'): Promise<number> {
    const now = options.clock.now();
    calls += 1;
    if (calls % cleanupEvery === 0) {
      await sql`delete from rate_limits where at < ${now - idleRowMs}`.execute(db);
    }
    const firstTake = mode === 'all' ? (n <= capacity ? n : 0) : Math.min(n, Math.floor(capacity));
    // The bucket's tokens now (refilled since `at`, capped at the capacity).
    const current = sql<number>`least(${capacity}::float8, r.tokens + greatest(0, ${now}::bigint - r.at) * ${refillPerMs}::float8)`;
    const taken =
      mode === 'all'
        ? sql<number>`(case when ${current} >= ${n} then ${n}::integer else 0 end)`
        : sql<number>`least(${n}::integer, floor(greatest(${current}, 0))::integer)`;
    const result = await sql<{ taken: number }>`
      insert into rate_limits as r (key, tokens, at, taken)
      values (${`${options.name}:${key}`}, ${capacity - firstTake}::float8, ${now}::bigint, ${firstTake}::integer)
      on conflict (key) do update set
        tokens = ${current} - ${taken},
        at = ${now}::bigint,
        taken = ${taken}
      returning taken`.execute(db);
    return Number(result.rows[0]?.taken ?? 0);
  }

  return {
    async take(key, count = 1) {
      return (await takeFrom(key, count, 'all')) === count;
    },
    takeUpTo(key, max) {
      return takeFrom(key, max, 'upTo');
    },
  };
}
