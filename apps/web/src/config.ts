/**
 * Runtime settings, read once at start from Vite's env (values are baked in at build time).
 * A fork sets VITE_API_URL for its deployed server; the rest are sensible defaults.
 */
import { copy } from './copy';
import type { GrantRetryPolicy } from './iap/grant';

export interface WebConfig {
  /** Base URL of the fulfillment server; tRPC is served at `${apiUrl}/trpc`. */
  apiUrl: string;
  /**
   * processProductGrant answers Toss within this long (Toss gives up after 30 s), retrying iap.fulfill inside it while
   * requests fail on the way. 25 s; `VITE_GRANT_WINDOW_MS` shortens it where the Toss host's deadline is shorter
   * (the e2e suite's toss-mock gives 12 s).
   */
  grantWindowMs: number;
  /** How iap.fulfill is retried inside the grant window (iap/grant.ts `defaultGrantRetryPolicy` when unset). */
  grantRetry?: GrantRetryPolicy;
  /** How long to wait for `completeProductGrant` before leaving the order to recovery. */
  completeTimeoutMs: number;
  /** Recovery has no Toss deadline: it waits longer for our server (per pending order). */
  recoveryTimeoutMs: number;
}

function parseUrl(name: string, value: string | undefined, fallback: string): string {
  const raw = value === undefined || value.trim() === '' ? fallback : value.trim();
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
    return url.toString().replace(/\/$/, '');
  } catch {
    throw new Error(`${name} must be an http(s) URL, got "${raw}"`);
  }
}

function parseMs(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined || value.trim() === '') return fallback;
  const ms = Number(value.trim());
  if (!Number.isInteger(ms) || ms < min || ms > max)
    throw new Error(`${name} must be a whole number of milliseconds from ${min} to ${max}, got "${value}"`);
  return ms;
}

/** Toss waits 30 s for the grant answer; answering by 25 s leaves room for the answer's own trip. */
export const defaultGrantWindowMs = 25_000;

export function readConfig(env: ImportMetaEnv = import.meta.env): WebConfig {
  readSupportUrl(env); // a bad VITE_SUPPORT_URL stops the app at start, like a bad VITE_API_URL
  return {
    apiUrl: parseUrl('VITE_API_URL', env.VITE_API_URL, 'http://127.0.0.1:3000'),
    grantWindowMs: parseMs(
      'VITE_GRANT_WINDOW_MS',
      env.VITE_GRANT_WINDOW_MS,
      defaultGrantWindowMs,
      2_000,
      28_000,
    ),
    completeTimeoutMs: 10_000,
    recoveryTimeoutMs: 15_000,
  };
}

/** Where "고객센터 문의" leads: VITE_SUPPORT_URL (your team's support page), else the fallback in copy.ts. */
export function readSupportUrl(env: ImportMetaEnv = import.meta.env): string {
  const raw = env.VITE_SUPPORT_URL?.trim() || copy.supportUrl;
  parseUrl('VITE_SUPPORT_URL', raw.replace('{ref}', 'ref'), raw); // throws on a bad value, like VITE_API_URL
  return raw;
}

/**
 * The support link for one order: `{ref}` in the URL is replaced by the order's short reference (`A1B2-C3D4`);
 * without the placeholder the reference is added as the `ref` query parameter. No order → the page itself.
 */
export function supportLink(base: string, reference?: string | null): string {
  if (!reference) return base.replace('{ref}', '');
  if (base.includes('{ref}')) return base.replace('{ref}', encodeURIComponent(reference));
  const url = new URL(base);
  url.searchParams.set('ref', reference);
  return url.toString();
}
