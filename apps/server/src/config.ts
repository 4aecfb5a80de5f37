/**
 * Configuration, read once from the environment and validated with zod. Every variable is listed (with its default)
 * in `.env.example`. A bad value stops the server at start with a message naming the variable.
 * Customization point: add your own settings here (and to `.env.example`).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { classifyDatabaseUrl } from './db/url';
import { logFormats, logLevels } from './log';

/** The repository root (apps/server/src → ../../..), used for the default paths. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const intFrom = (name: string, fallback: number, min = 0) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return fallback;
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < min) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a whole number ≥ ${min} (got "${value}")` });
        return z.NEVER;
      }
      return parsed;
    });

const booleanFlag = (name: string) =>
  z
    .enum(['true', 'false'], { error: `${name} must be true or false` })
    .optional()
    .default('false')
    .transform((value) => value === 'true');

/** More proxies than this in front of one server is a configuration mistake, not a deployment. */
const maxProxyHops = 5;

export const tossEnvironments = ['production', 'sandbox'] as const;
export type TossEnvironment = (typeof tossEnvironments)[number];

const EnvSchema = z.object({
  NODE_ENV: z.string().optional(),
  PORT: intFrom('PORT', 3000),
  HOST: z.string().optional().default('0.0.0.0'),
  TRUST_PROXY_HOPS: intFrom('TRUST_PROXY_HOPS', 0, 0).refine((hops) => hops <= maxProxyHops, {
    error: `TRUST_PROXY_HOPS must be at most ${maxProxyHops} (count the proxies that append to X-Forwarded-For)`,
  }),
  TRUST_PROXY_SUBNETS: z.string().optional(),
  TOSS_ENVIRONMENT: z
    .enum(tossEnvironments, { error: 'TOSS_ENVIRONMENT must be production or sandbox' })
    .optional(),
  ALLOW_SANDBOX_IN_PRODUCTION: booleanFlag('ALLOW_SANDBOX_IN_PRODUCTION'),
  DATABASE_PATH: z.string().optional(),
  DATABASE_URL: z.string().optional(),
  DATABASE_POOL_SIZE: intFrom('DATABASE_POOL_SIZE', 10, 2),
  DATABASE_ACQUIRE_TIMEOUT_MS: intFrom('DATABASE_ACQUIRE_TIMEOUT_MS', 5_000, 100),
  DATABASE_STATEMENT_TIMEOUT_MS: intFrom('DATABASE_STATEMENT_TIMEOUT_MS', 10_000, 100),
  CATALOG_PATH: z.string().optional(),
  SESSION_TTL_SECONDS: intFrom('SESSION_TTL_SECONDS', 86_400, 60),
  TOSS_API_BASE_URL: z
    .string()
    .optional()
    .default('https://apps-in-toss-api.toss.im')
    .pipe(
      z.url({
        protocol: /^https$/,
        error: 'TOSS_API_BASE_URL must be an https:// URL (the partner API needs mTLS)',
      }),
    ),
  TOSS_MTLS_CERT: z.string().optional(),
  TOSS_MTLS_KEY: z.string().optional(),
  TOSS_MTLS_CA: z.string().optional(),
  TOSS_MTLS_CERT_PEM: z.string().optional(),
  TOSS_MTLS_KEY_PEM: z.string().optional(),
  TOSS_MTLS_CA_PEM: z.string().optional(),
  TOSS_TIMEOUT_MS: intFrom('TOSS_TIMEOUT_MS', 4_000, 1),
  TOSS_RETRIES: intFrom('TOSS_RETRIES', 2, 0),
  TOSS_TOTAL_TIMEOUT_MS: intFrom('TOSS_TOTAL_TIMEOUT_MS', 12_000, 1),
  TOSS_REQUIRE_VERIFIED_SKU: z.enum(['true', 'false', '']).optional().default('false'),
  CORS_ORIGINS: z.string().optional().default('http://localhost:5173,http://127.0.0.1:5173'),
  RECONCILE_INTERVAL_SECONDS: intFrom('RECONCILE_INTERVAL_SECONDS', 300, 0),
  RECONCILE_LOOKBACK_DAYS: intFrom('RECONCILE_LOOKBACK_DAYS', 30, 1),
  RECONCILE_ALERT_AFTER_SECONDS: intFrom('RECONCILE_ALERT_AFTER_SECONDS', 600, 0),
  RECONCILE_BATCH_SIZE: intFrom('RECONCILE_BATCH_SIZE', 200, 1),
  RECONCILE_REFUND_HORIZON_DAYS: intFrom('RECONCILE_REFUND_HORIZON_DAYS', 180, 1),
  INTENT_STALE_AFTER_MINUTES: intFrom('INTENT_STALE_AFTER_MINUTES', 60, 1),
  RATE_LIMIT_LOGIN_PER_MINUTE: intFrom('RATE_LIMIT_LOGIN_PER_MINUTE', 20, 1),
  RATE_LIMIT_LOGIN_GLOBAL_PER_MINUTE: intFrom('RATE_LIMIT_LOGIN_GLOBAL_PER_MINUTE', 1_200, 1),
  RATE_LIMIT_PUBLIC_PER_MINUTE: intFrom('RATE_LIMIT_PUBLIC_PER_MINUTE', 300, 1),
  RATE_LIMIT_FULFILL_PER_MINUTE: intFrom('RATE_LIMIT_FULFILL_PER_MINUTE', 120, 1),
  BODY_LIMIT_BYTES: intFrom('BODY_LIMIT_BYTES', 100_000, 1_024),
  URL_LIMIT_BYTES: intFrom('URL_LIMIT_BYTES', 8_192, 256),
  SHUTDOWN_GRACE_MS: intFrom('SHUTDOWN_GRACE_MS', 10_000, 0),
  SHUTDOWN_DRAIN_MS: intFrom('SHUTDOWN_DRAIN_MS', 0, 0),
  METRICS_PORT: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return null;
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) {
        ctx.addIssue({ code: 'custom', message: `METRICS_PORT must be a port 0–65535 (got "${value}")` });
        return z.NEVER;
      }
      return parsed;
    }),
  METRICS_HOST: z.string().optional().default('127.0.0.1'),
  ADMIN_PORT: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return null;
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) {
        ctx.addIssue({ code: 'custom', message: `ADMIN_PORT must be a port 0–65535 (got "${value}")` });
        return z.NEVER;
      }
      return parsed;
    }),
  ADMIN_HOST: z.string().optional().default('127.0.0.1'),
  ADMIN_ORIGINS: z.string().optional(),
  ADMIN_SESSION_TTL_SECONDS: intFrom('ADMIN_SESSION_TTL_SECONDS', 8 * 3600, 60),
  ADMIN_LOGIN_PER_MINUTE: intFrom('ADMIN_LOGIN_PER_MINUTE', 10, 1),
  ADMIN_CONSOLE_DIR: z.string().optional(),
  LOG_LEVEL: z.enum(logLevels).optional().default('info'),
  LOG_FORMAT: z
    .enum(['auto', ...logFormats], { error: 'LOG_FORMAT must be auto, json or pretty' })
    .optional()
    .default('auto'),
  LOG_HASH_SECRET: z.string().optional(),
});

/** Every environment variable the server reads (each one is documented in `.env.example`). */
export const envVariables = Object.keys(EnvSchema.shape);

export interface MtlsConfig {
  cert: string;
  key: string;
  ca?: string;
}

export interface Config {
  port: number;
  host: string;
  /**
   * Express `trust proxy`: how many proxy hops in front of this server append to X-Forwarded-For (0 = none: the
   * socket's peer is the client), or the addresses/subnets of the proxies. Never `true` (that would trust a client's
   * own X-Forwarded-For and let it pick the key of the per-client rate limits).
   */
  trustProxy: number | string[];
  /** TOSS_ENVIRONMENT: `production` refuses SANDBOX logins and sandbox SKU aliases unless `allowSandbox`. */
  environment: TossEnvironment;
  /** ALLOW_SANDBOX_IN_PRODUCTION (only meaningful with environment = production). */
  allowSandbox: boolean;
  /** SQLite file (used unless `databaseUrl` is set). */
  databasePath: string;
  /** PostgreSQL `postgres://…` URL from DATABASE_URL, or null for SQLite. */
  databaseUrl: string | null;
  /** PostgreSQL: connections per process (pg pool `max`). */
  databasePoolSize: number;
  /** PostgreSQL: longest wait for a pooled connection before the query fails (pg `connectionTimeoutMillis`). */
  databaseAcquireTimeoutMs: number;
  /** PostgreSQL: longest one statement (or an idle open transaction) may run (`statement_timeout`). */
  databaseStatementTimeoutMs: number;
  catalogPath: string;
  sessionTtlSeconds: number;
  toss: {
    baseUrl: string;
    /** PEM text (read from the files, or given inline). `null` when not configured: partner calls then fail loudly. */
    mtls: MtlsConfig | null;
    timeoutMs: number;
    retries: number;
    totalTimeoutMs: number;
    /** Refuse grants whose SKU Toss's order status did not state (for when the API returns it). */
    requireVerifiedSku: boolean;
  };
  corsOrigins: string[];
  reconcile: {
    intervalSeconds: number;
    lookbackDays: number;
    alertAfterSeconds: number;
    limit: number;
    /** Grants older than `lookbackDays` and younger than this are re-checked by the horizon walk (`limit` a run). */
    refundHorizonDays: number;
  };
  /** Purchase intents (`iap.beginPurchase`): listed for operators when no granted order followed within this time. */
  intents: { staleAfterMinutes: number };
  rateLimits: {
    loginPerMinute: number;
    loginGlobalPerMinute: number;
    publicPerMinute: number;
    fulfillPerMinute: number;
  };
  bodyLimitBytes: number;
  /** Longest request target (path + query) accepted, in bytes; longer → 414. */
  urlLimitBytes: number;
  shutdownGraceMs: number;
  /** On SIGTERM: how long `/readyz` answers 503 (while still serving) before the listener closes. */
  shutdownDrainMs: number;
  /** `/metrics` (Prometheus) on its own listener at `host:port`; null = no metrics endpoint. */
  metrics: { host: string; port: number } | null;
  logLevel: (typeof logLevels)[number];
  logFormat: 'auto' | (typeof logFormats)[number];
  /** HMAC key for user-key tags in logs; null = a random per-process secret. */
  logHashSecret: string | null;
  /** Findings that refuse a production start but only warn elsewhere (logged by `createServer`). */
  warnings: string[];
  /** The support console's listener (ADMIN_PORT; null = not started). See src/console/. */
  admin: AdminConfig | null;
}

export interface AdminConfig {
  port: number;
  /** ADMIN_HOST: loopback by default; reach it through an SSH tunnel or a VPN, never the public internet. */
  host: string;
  /**
   * ADMIN_ORIGINS: the origins the console is opened from (`https://console.example.com` behind a proxy); empty =
   * http://127.0.0.1:<port> and http://localhost:<port>. A change from any other origin is refused.
   */
  origins: string[];
  sessionTtlSeconds: number;
  /** Sign-in attempts per minute, per client address and (separately) per operator name. */
  loginPerMinute: number;
  /** The built console (apps/console/dist) served on the admin port. */
  consoleDir: string;
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid server configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function readPem(
  env: Record<string, string | undefined>,
  fileVar: string,
  pemVar: string,
  problems: string[],
): string | undefined {
  const inline = env[pemVar];
  if (inline?.trim()) return inline.replace(/\\n/g, '\n');
  const file = env[fileVar];
  if (!file?.trim()) return undefined;
  try {
    return readFileSync(path.resolve(file), 'utf8');
  } catch (error) {
    problems.push(`${fileVar}: cannot read "${file}" (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
}

/** Null when the certificate and key are well-formed PEM and belong together, else the one-line problem. */
function checkMtlsPair(certPem: string, keyPem: string): string | null {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certPem);
  } catch {
    return 'TOSS_MTLS_CERT: not a PEM certificate';
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(keyPem);
  } catch {
    return 'TOSS_MTLS_KEY: not a PEM private key (an encrypted key is not supported)';
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    return 'TOSS_MTLS_CERT and TOSS_MTLS_KEY: the key does not belong to the certificate';
  }
  return null;
}

const proxyNames = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** `10.0.0.0/8, 192.168.1.10, loopback` → the list, or problems for entries Express would not understand. */
function parseProxySubnets(value: string, problems: string[]): string[] {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  for (const entry of entries) {
    if (proxyNames.has(entry)) continue;
    const [address = '', prefix, ...extra] = entry.split('/');
    const family = isIP(address);
    const maxPrefix = family === 6 ? 128 : 32;
    const prefixOk =
      prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix && extra.length === 0);
    if (family === 0 || !prefixOk) {
      problems.push(
        `TRUST_PROXY_SUBNETS: "${entry}" is not an IP address, a subnet (10.0.0.0/8) or loopback/linklocal/uniquelocal`,
      );
    } else if (prefix !== undefined && Number(prefix) === 0) {
      problems.push(
        `TRUST_PROXY_SUBNETS: "${entry}" trusts every address, so any client could pick its own rate-limit key: list your proxies' subnets`,
      );
    }
  }
  return entries;
}

/** Parse the environment once. Throws `ConfigError` listing every problem. */
export function loadConfig(rawEnv: Record<string, string | undefined> = process.env): Config {
  // An empty value (`DATABASE_PATH=` in .env) means "use the default".
  const env = Object.fromEntries(
    Object.entries(rawEnv).filter(([, value]) => value !== undefined && value.trim() !== ''),
  );
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];
  // TRUST_PROXY (true/false/…) was replaced by an explicit hop count or subnet list: refuse it rather than guess.
  if (env.TRUST_PROXY !== undefined) {
    problems.push(
      `TRUST_PROXY was replaced: set TRUST_PROXY_HOPS to the number of proxies in front of the server (1 behind one load balancer) or TRUST_PROXY_SUBNETS to their addresses. ${
        env.TRUST_PROXY.trim() === 'true'
          ? '"true" is refused: it trusts whatever X-Forwarded-For a client sends, so any client could pick its own rate-limit key.'
          : ''
      }`.trim(),
    );
  }
  const trustProxySubnets = e.TRUST_PROXY_SUBNETS ? parseProxySubnets(e.TRUST_PROXY_SUBNETS, problems) : [];
  if (trustProxySubnets.length > 0 && e.TRUST_PROXY_HOPS > 0) {
    problems.push('TRUST_PROXY_HOPS and TRUST_PROXY_SUBNETS: set one of them, not both');
  }
  const nodeEnvProduction = e.NODE_ENV === 'production';
  if (nodeEnvProduction && e.TOSS_ENVIRONMENT === undefined) {
    problems.push(
      'TOSS_ENVIRONMENT: required when NODE_ENV=production (production for the live Toss app, sandbox for a test deployment)',
    );
  }
  const cert = readPem(env, 'TOSS_MTLS_CERT', 'TOSS_MTLS_CERT_PEM', problems);
  const key = readPem(env, 'TOSS_MTLS_KEY', 'TOSS_MTLS_KEY_PEM', problems);
  const ca = readPem(env, 'TOSS_MTLS_CA', 'TOSS_MTLS_CA_PEM', problems);
  const warnings: string[] = [];
  // Production refuses to start on missing or mismatched mTLS material (it would be "ready" while every login
  // fails); elsewhere the same findings are warnings, so a dev server without certificates still starts.
  const mtlsProblems = nodeEnvProduction ? problems : warnings;
  const unreadable = problems.some((problem) => problem.startsWith('TOSS_MTLS'));
  if (unreadable) {
    // Already said which file cannot be read.
  } else if ((cert && !key) || (!cert && key)) {
    problems.push('TOSS_MTLS_CERT and TOSS_MTLS_KEY (or their _PEM forms) must be set together');
  } else if (!cert && !key) {
    mtlsProblems.push(
      'TOSS_MTLS_CERT/TOSS_MTLS_KEY: not set, so every login and grant will fail (the partner API requires mTLS)',
    );
  } else if (cert && key) {
    const mismatch = checkMtlsPair(cert, key);
    if (mismatch) mtlsProblems.push(mismatch);
  }
  if (e.ALLOW_SANDBOX_IN_PRODUCTION && e.TOSS_ENVIRONMENT !== 'production') {
    problems.push(
      'ALLOW_SANDBOX_IN_PRODUCTION: only meaningful with TOSS_ENVIRONMENT=production (a sandbox server already accepts the sandbox app)',
    );
  }
  const corsOrigins = e.CORS_ORIGINS.split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin.length > 0);
  for (const origin of corsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      problems.push(
        `CORS_ORIGINS: "${origin}" must look like https://host[:port] (no path, no trailing slash)`,
      );
    }
  }
  // DATABASE_URL=postgres://… selects PostgreSQL; `file:…` or a plain path is a SQLite file (like DATABASE_PATH);
  // anything else is refused, never guessed (and never repeated: it may hold a password).
  const databaseUrl = e.DATABASE_URL ? classifyDatabaseUrl(e.DATABASE_URL) : null;
  if (databaseUrl?.kind === 'refused') problems.push(`DATABASE_URL: ${databaseUrl.reason} (value not shown)`);
  let sqlitePath = (databaseUrl?.kind === 'sqlite' && databaseUrl.path) || e.DATABASE_PATH;
  if (sqlitePath?.startsWith('file://')) sqlitePath = fileURLToPath(sqlitePath);
  else if (sqlitePath?.startsWith('file:')) sqlitePath = sqlitePath.slice('file:'.length);
  const admin = adminConfig(e, problems);
  if (e.RECONCILE_REFUND_HORIZON_DAYS < e.RECONCILE_LOOKBACK_DAYS) {
    problems.push(
      `RECONCILE_REFUND_HORIZON_DAYS (${e.RECONCILE_REFUND_HORIZON_DAYS}) must be at least RECONCILE_LOOKBACK_DAYS (${e.RECONCILE_LOOKBACK_DAYS}): refunds can come long after a purchase`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port: e.PORT,
    host: e.HOST,
    trustProxy: trustProxySubnets.length > 0 ? trustProxySubnets : e.TRUST_PROXY_HOPS,
    environment: e.TOSS_ENVIRONMENT ?? 'sandbox',
    allowSandbox: e.ALLOW_SANDBOX_IN_PRODUCTION,
    databasePath: path.resolve(sqlitePath || path.join(repoRoot, '.dev', 'app.db')),
    databaseUrl: databaseUrl?.kind === 'postgres' ? databaseUrl.url : null,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    databaseAcquireTimeoutMs: e.DATABASE_ACQUIRE_TIMEOUT_MS,
    databaseStatementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
    catalogPath: path.resolve(e.CATALOG_PATH ?? path.join(repoRoot, 'catalog', 'products.json')),
    sessionTtlSeconds: e.SESSION_TTL_SECONDS,
    toss: {
      baseUrl: e.TOSS_API_BASE_URL.replace(/\/+$/, ''),
      mtls: cert && key ? { cert, key, ...(ca ? { ca } : {}) } : null,
      timeoutMs: e.TOSS_TIMEOUT_MS,
      retries: e.TOSS_RETRIES,
      totalTimeoutMs: e.TOSS_TOTAL_TIMEOUT_MS,
      requireVerifiedSku: e.TOSS_REQUIRE_VERIFIED_SKU === 'true',
    },
    corsOrigins,
    reconcile: {
      intervalSeconds: e.RECONCILE_INTERVAL_SECONDS,
      lookbackDays: e.RECONCILE_LOOKBACK_DAYS,
      alertAfterSeconds: e.RECONCILE_ALERT_AFTER_SECONDS,
      limit: e.RECONCILE_BATCH_SIZE,
      refundHorizonDays: e.RECONCILE_REFUND_HORIZON_DAYS,
    },
    intents: { staleAfterMinutes: e.INTENT_STALE_AFTER_MINUTES },
    rateLimits: {
      loginPerMinute: e.RATE_LIMIT_LOGIN_PER_MINUTE,
      loginGlobalPerMinute: e.RATE_LIMIT_LOGIN_GLOBAL_PER_MINUTE,
      publicPerMinute: e.RATE_LIMIT_PUBLIC_PER_MINUTE,
      fulfillPerMinute: e.RATE_LIMIT_FULFILL_PER_MINUTE,
    },
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    urlLimitBytes: e.URL_LIMIT_BYTES,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
    metrics: e.METRICS_PORT === null ? null : { host: e.METRICS_HOST, port: e.METRICS_PORT },
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    logHashSecret: e.LOG_HASH_SECRET?.trim() ? e.LOG_HASH_SECRET : null,
    warnings,
    admin,
  };
}

function adminConfig(e: z.infer<typeof EnvSchema>, problems: string[]): AdminConfig | null {
  if (e.ADMIN_PORT === null) return null;
  const origins = (e.ADMIN_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin.length > 0);
  for (const origin of origins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      problems.push(
        `ADMIN_ORIGINS: "${origin}" must look like https://host[:port] (no path, no trailing slash)`,
      );
    }
  }
  return {
    port: e.ADMIN_PORT,
    host: e.ADMIN_HOST,
    origins,
    sessionTtlSeconds: e.ADMIN_SESSION_TTL_SECONDS,
    loginPerMinute: e.ADMIN_LOGIN_PER_MINUTE,
    consoleDir: path.resolve(e.ADMIN_CONSOLE_DIR ?? path.join(repoRoot, 'apps', 'console', 'dist')),
  };
}
