/**
 * Configuration, read once from the environment and validated with zod. Every variable is listed (with its default)
 * in `.env.example`. A bad value stops the server at start with a message naming the variable.
 * Customization point: add your own settings here (and to `.env.example`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { logLevels } from './log';

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

const EnvSchema = z.object({
  PORT: intFrom('PORT', 3000),
  HOST: z.string().optional().default('0.0.0.0'),
  TRUST_PROXY: z.string().optional().default('false'),
  DATABASE_PATH: z.string().optional(),
  DATABASE_URL: z.string().optional(),
  DATABASE_POOL_SIZE: intFrom('DATABASE_POOL_SIZE', 10, 2),
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
  RATE_LIMIT_LOGIN_PER_MINUTE: intFrom('RATE_LIMIT_LOGIN_PER_MINUTE', 20, 1),
  RATE_LIMIT_FULFILL_PER_MINUTE: intFrom('RATE_LIMIT_FULFILL_PER_MINUTE', 120, 1),
  BODY_LIMIT_BYTES: intFrom('BODY_LIMIT_BYTES', 100_000, 1_024),
  SHUTDOWN_GRACE_MS: intFrom('SHUTDOWN_GRACE_MS', 10_000, 0),
  LOG_LEVEL: z.enum(logLevels).optional().default('info'),
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
  /** Express `trust proxy`: false, true, a hop count, or a list of proxy addresses (for per-IP rate limits). */
  trustProxy: boolean | number | string;
  /** SQLite file (used unless `databaseUrl` is set). */
  databasePath: string;
  /** PostgreSQL `postgres://…` URL from DATABASE_URL, or null for SQLite. */
  databaseUrl: string | null;
  /** PostgreSQL: connections per process (pg pool `max`). */
  databasePoolSize: number;
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
  reconcile: { intervalSeconds: number; lookbackDays: number; alertAfterSeconds: number; limit: number };
  rateLimits: { loginPerMinute: number; fulfillPerMinute: number };
  bodyLimitBytes: number;
  shutdownGraceMs: number;
  logLevel: (typeof logLevels)[number];
  /** HMAC key for user-key tags in logs; null = a random per-process secret. */
  logHashSecret: string | null;
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

function parseTrustProxy(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
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
  const cert = readPem(env, 'TOSS_MTLS_CERT', 'TOSS_MTLS_CERT_PEM', problems);
  const key = readPem(env, 'TOSS_MTLS_KEY', 'TOSS_MTLS_KEY_PEM', problems);
  const ca = readPem(env, 'TOSS_MTLS_CA', 'TOSS_MTLS_CA_PEM', problems);
  if ((cert && !key) || (!cert && key)) {
    problems.push('TOSS_MTLS_CERT and TOSS_MTLS_KEY (or their _PEM forms) must be set together');
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
  // DATABASE_URL=postgres://… selects PostgreSQL; any other value is a SQLite file path (like DATABASE_PATH).
  const databaseUrl = e.DATABASE_URL?.trim();
  const postgres = databaseUrl !== undefined && /^postgres(ql)?:\/\//i.test(databaseUrl);
  if (
    databaseUrl &&
    !postgres &&
    !databaseUrl.startsWith('file:') &&
    /^[a-z][a-z0-9+.-]*:\/\//i.test(databaseUrl)
  ) {
    problems.push(
      `DATABASE_URL: "${databaseUrl.split(':')[0]}://" is not supported (postgres://… or a SQLite file path)`,
    );
  }
  let sqlitePath = (!postgres && databaseUrl) || e.DATABASE_PATH;
  if (sqlitePath?.startsWith('file://')) sqlitePath = fileURLToPath(sqlitePath);
  else if (sqlitePath?.startsWith('file:')) sqlitePath = sqlitePath.slice('file:'.length);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port: e.PORT,
    host: e.HOST,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    databasePath: path.resolve(sqlitePath || path.join(repoRoot, '.dev', 'app.db')),
    databaseUrl: postgres ? databaseUrl : null,
    databasePoolSize: e.DATABASE_POOL_SIZE,
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
    },
    rateLimits: {
      loginPerMinute: e.RATE_LIMIT_LOGIN_PER_MINUTE,
      fulfillPerMinute: e.RATE_LIMIT_FULFILL_PER_MINUTE,
    },
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    logLevel: e.LOG_LEVEL,
    logHashSecret: e.LOG_HASH_SECRET?.trim() ? e.LOG_HASH_SECRET : null,
  };
}
