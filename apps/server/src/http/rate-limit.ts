/**
 * Token buckets (per user or per IP) with an injected clock: in memory (one process: SQLite, or tests), or in the
 * database (`rate-limit-store.ts`: PostgreSQL, shared by every instance, so N instances don't multiply the limits).
 * Customization point: limits come from config (RATE_LIMIT_*).
 */
import type { Clock } from '../clock';

export interface RateLimiter {
  /**
   * Take `count` tokens (default 1) for `key`, all or none: false (and nothing taken) when fewer are left. A request
   * that fans out (e.g. `iap.sync` checking n orders with Toss) takes one token per partner call it will make.
   */
  take(key: string, count?: number): Promise<boolean>;
  /** Take as many whole tokens as are left, up to `max`; returns how many were taken (0 when none are left). */
  takeUpTo(key: string, max: number): Promise<number>;
}

export interface RateLimiterOptions {
  perMinute: number;
  burst?: number;
  clock: Clock;
}

export function createRateLimiter(options: RateLimiterOptions & { maxKeys?: number }): RateLimiter {
  const capacity = options.burst ?? options.perMinute;
  const refillPerMs = options.perMinute / 60_000;
  const maxKeys = options.maxKeys ?? 50_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  function refill(key: string) {
    const now = options.clock.now();
    let bucket = buckets.get(key);
    if (!bucket) {
      if (buckets.size >= maxKeys) {
        // Forget the oldest bucket (Map keeps insertion order): bounded memory under a flood of keys.
        const oldest = buckets.keys().next().value;
        if (oldest !== undefined) buckets.delete(oldest);
      }
      bucket = { tokens: capacity, at: now };
      buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(capacity, bucket.tokens + Math.max(0, now - bucket.at) * refillPerMs);
    bucket.at = now;
    return bucket;
  }
  return {
    async take(key, count = 1) {
      const bucket = refill(key);
      if (bucket.tokens < count) return false;
      bucket.tokens -= count;
      return true;
    },
    async takeUpTo(key, max) {
      const bucket = refill(key);
      const taken = Math.max(0, Math.min(max, Math.floor(bucket.tokens)));
      bucket.tokens -= taken;
      return taken;
    },
  };
}

/**
 * The part of a client address that names one client for rate limiting. An IPv4 address is itself; an IPv6 address
 * counts by its /64 prefix, the block one subscriber or host usually holds (one client rotating through the
 * addresses of its /64 must not get a fresh bucket each time, and so spend the global login ceiling alone).
 */
export function clientAddressKey(ip: string): string {
  const address = ip.split('%')[0] ?? ip; // drop a zone id (fe80::1%eth0)
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1] as string;
  if (!address.includes(':')) return address;
  const [head = '', tail] = address.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups =
    tail === undefined
      ? headGroups
      : [
          ...headGroups,
          ...Array(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill('0'),
          ...tailGroups,
        ];
  const prefix = groups.slice(0, 4).map((group) => Number.parseInt(group || '0', 16).toString(16));
  return `${prefix.join(':')}::/64`;
}
