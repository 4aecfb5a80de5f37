/**
 * Runtime settings, read once at start from Vite's env (values are baked in at build time).
 * A fork sets VITE_API_URL for its deployed server; the rest are sensible defaults.
 */

export interface WebConfig {
  /** Base URL of the fulfillment server; tRPC is served at `${apiUrl}/trpc`. */
  apiUrl: string;
  /** processProductGrant must answer well inside Toss's 30 s; we give the server this long. */
  grantTimeoutMs: number;
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

export function readConfig(env: ImportMetaEnv = import.meta.env): WebConfig {
  return {
    apiUrl: parseUrl('VITE_API_URL', env.VITE_API_URL, 'http://127.0.0.1:3000'),
    grantTimeoutMs: 20_000,
    completeTimeoutMs: 10_000,
    recoveryTimeoutMs: 15_000,
  };
}
