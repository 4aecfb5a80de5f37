/**
 * Structured logs: one JSON line per event (`{"time","level","event",...}`), e.g. one line per order state change.
 * No personal data: user keys go through `hashUserKey` before they reach a log line. You probably don't need to
 * edit this file; point `sink` somewhere else to ship logs.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Clock } from './clock';

export const logLevels = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];
const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

export interface LoggerOptions {
  level: LogLevel;
  clock: Clock;
  /** Where lines go; default stdout. */
  sink?: (line: string) => void;
}

export function createLogger({
  level,
  clock,
  sink = (line) => process.stdout.write(`${line}\n`),
}: LoggerOptions): Logger {
  const write = (lineLevel: Exclude<LogLevel, 'silent'>, event: string, fields?: LogFields) => {
    if (rank[lineLevel] < rank[level]) return;
    const record: LogFields = {
      time: new Date(clock.now()).toISOString(),
      level: lineLevel,
      event,
      ...fields,
    };
    sink(
      JSON.stringify(record, (_key, value) =>
        value instanceof Error ? { name: value.name, message: value.message } : value,
      ),
    );
  };
  return {
    debug: (event, fields) => write('debug', event, fields),
    info: (event, fields) => write('info', event, fields),
    warn: (event, fields) => write('warn', event, fields),
    error: (event, fields) => write('error', event, fields),
  };
}

/**
 * The secret keying `hashUserKey` (LOG_HASH_SECRET). User keys are small integers: an unsalted hash of one is
 * reversed by hashing every candidate, so the tag is an HMAC under a secret. Unset: a random per-process secret
 * (tags then don't correlate across restarts or instances).
 */
let hashSecret: string | Buffer = randomBytes(32);
let announcedRandomSecret = false;

/** Set the log-hash secret from config; when there is none, keep the random one and say so once per process. */
export function configureLogHashSecret(secret: string | null, log: Logger): void {
  if (secret) {
    hashSecret = secret;
    return;
  }
  if (announcedRandomSecret) return;
  announcedRandomSecret = true;
  log.info('log.hash_secret_random', {
    message:
      "LOG_HASH_SECRET is not set: user keys in logs are hashed with a random per-process secret, so hashes won't correlate across restarts or instances",
  });
}

/** A short, stable (per secret), non-reversible tag for a Toss user key, safe for logs: HMAC-SHA256 under `secret`. */
export function hashUserKey(userKey: string | number, secret: string | Buffer = hashSecret): string {
  return createHmac('sha256', secret).update(`toss-user:${userKey}`).digest('hex').slice(0, 16);
}
