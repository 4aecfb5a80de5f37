/**
 * Structured logs on pino behind a small `Logger` interface: one JSON line per event
 * (`{"level","time","requestId"?,...fields,"event"}`), e.g. one line per order state change. Errors anywhere at the
 * top level of the fields are written with their stack and `cause` chain. Lines written while a request is being
 * handled carry its `requestId` (and whatever else `runWithLogFields` / `addLogFields` put in the request's scope).
 * `format: 'pretty'` turns each line into a short readable one (for `pnpm dev` in a terminal).
 * No personal data: user keys go through `hashUserKey` before they reach a log line. You probably don't need to
 * edit this file; point `sink` somewhere else to ship logs.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHmac, randomBytes } from 'node:crypto';
import pino from 'pino';
import type { Clock } from './clock';

export const logLevels = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

export const logFormats = ['json', 'pretty'] as const;
export type LogFormat = (typeof logFormats)[number];

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
  /** Where lines go (one call per line, no trailing newline); default stdout. */
  sink?: (line: string) => void;
  /** `json` (default): one JSON object per line. `pretty`: `12:00:00.000 INFO  event key=value …`. */
  format?: LogFormat;
  /** Colors in the pretty format (default: when stdout is a terminal). */
  color?: boolean;
}

// The request scope ------------------------------------------------------------------------------------------------

const scope = new AsyncLocalStorage<LogFields>();

/** Run `fn` with `fields` on every log line written inside it (its whole async call tree). */
export function runWithLogFields<T>(fields: LogFields, fn: () => T): T {
  return scope.run({ ...fields }, fn);
}

/** Add fields to the current scope (e.g. the user once the session is known); outside a scope, does nothing. */
export function addLogFields(fields: LogFields): void {
  const store = scope.getStore();
  if (store) Object.assign(store, fields);
}

// The logger -------------------------------------------------------------------------------------------------------

function serializeFields(fields: LogFields | undefined): LogFields {
  if (!fields) return {};
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error ? pino.stdSerializers.errWithCause(value) : value;
  }
  return out;
}

export function createLogger({
  level,
  clock,
  sink = (line) => process.stdout.write(`${line}\n`),
  format = 'json',
  color = Boolean(process.stdout.isTTY),
}: LoggerOptions): Logger {
  const destination = {
    write(chunk: string) {
      const line = chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk;
      sink(format === 'pretty' ? prettyLine(line, color) : line);
    },
  };
  const logger = pino(
    {
      level,
      base: null,
      messageKey: 'event',
      timestamp: () => `,"time":"${new Date(clock.now()).toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => ({ ...scope.getStore() }),
    },
    destination,
  );
  // Fields are serialized only for a level that is written (the per-request debug line is off by default).
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (event: string, fields?: LogFields): void => {
      if (logger.isLevelEnabled(level)) logger[level](serializeFields(fields), event);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** `LOG_FORMAT=auto` → pretty on a terminal, JSON elsewhere (files, pipes, log shippers). */
export function resolveLogFormat(setting: LogFormat | 'auto', isTty: boolean): LogFormat {
  if (setting === 'auto') return isTty ? 'pretty' : 'json';
  return setting;
}

const levelStyle: Record<string, [label: string, ansi: string]> = {
  debug: ['DEBUG', '90'],
  info: ['INFO ', '32'],
  warn: ['WARN ', '33'],
  error: ['ERROR', '31'],
};

/** One JSON log line → `12:00:00.000 INFO  event key=value …`, with error stacks on the lines below. */
export function prettyLine(json: string, color: boolean): string {
  let record: LogFields;
  try {
    record = JSON.parse(json) as LogFields;
  } catch {
    return json;
  }
  const paint = (code: string, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const { time, level, event, requestId, ...rest } = record;
  const [label, ansi] = levelStyle[String(level)] ?? [String(level).toUpperCase(), '0'];
  const clockTime = typeof time === 'string' ? time.slice(11, 23) : '';
  const stacks: string[] = [];
  const pairs = Object.entries(rest).map(([key, value]) => {
    if (value && typeof value === 'object' && 'stack' in value) {
      for (let error: unknown = value; error && typeof error === 'object'; ) {
        const { stack, cause } = error as { stack?: unknown; cause?: unknown };
        if (typeof stack === 'string') stacks.push(stacks.length === 0 ? stack : `caused by: ${stack}`);
        error = cause;
      }
      return `${key}=${JSON.stringify((value as { message?: unknown }).message ?? '')}`;
    }
    return `${key}=${typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value)}`;
  });
  const head = [
    paint('90', clockTime),
    paint(ansi, label),
    paint('1', String(event ?? '')),
    ...(requestId ? [paint('90', `[${String(requestId)}]`)] : []),
    ...pairs,
  ].join(' ');
  return stacks.length === 0 ? head : `${head}\n${paint('90', stacks.join('\n'))}`;
}

// User keys in logs ------------------------------------------------------------------------------------------------

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
    if (secret !== hashSecret) hashedUserKeys.clear();
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

/** Tags already computed under the current secret (an HMAC per log line was a visible cost on the grant path). */
const hashedUserKeys = new Map<string, string>();
const HASHED_USER_KEYS_MAX = 10_000;

/** A short, stable (per secret), non-reversible tag for a Toss user key, safe for logs: HMAC-SHA256 under `secret`. */
export function hashUserKey(userKey: string | number, secret: string | Buffer = hashSecret): string {
  const remember = secret === hashSecret;
  const key = String(userKey);
  const known = remember ? hashedUserKeys.get(key) : undefined;
  if (known !== undefined) return known;
  const tag = createHmac('sha256', secret).update(`toss-user:${key}`).digest('hex').slice(0, 16);
  if (remember) {
    if (hashedUserKeys.size >= HASHED_USER_KEYS_MAX) hashedUserKeys.clear();
    hashedUserKeys.set(key, tag);
  }
  return tag;
}
