/**
 * Toss login → our own session. The authorization code is exchanged with Toss server-side (generate-token, then
 * login-me for the userKey); the user is upserted by userKey; the mini-app gets OUR token (32 random bytes, stored
 * only as its SHA-256, expiring after SESSION_TTL_SECONDS, revocable). Toss tokens never leave the server — this
 * starter does not even keep them, it only needs the userKey. You probably don't need to edit this file.
 *
 * A resolved session is remembered for a few seconds (SQLite only, see `SessionCache`), so a request does not read
 * the sessions table again; logout, expiry and any write by another process take effect on the very next call.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { AppErrorCode, LoginInput, LoginOutput } from '@ait-iap/iap-contract';
import { isoAt } from '../clock';
import type { Config, TossEnvironment } from '../config';
import type { AppDeps, SessionUser } from '../context';
import { type AppDatabase, DatabaseBusyError, ensureWritable, writeTransaction } from '../db/database';
import { AppError } from '../errors';
import { hashUserKey } from '../log';
import { TossError } from '../toss/client';

export type { SessionUser } from '../context';

/**
 * The environment of a login: `sandbox` for the sandbox app (referrer SANDBOX) or any login on a server running
 * TOSS_ENVIRONMENT=sandbox; `production` only for the live Toss app on a production server. A production server
 * refuses SANDBOX logins (null) unless ALLOW_SANDBOX_IN_PRODUCTION=true.
 */
export function loginEnvironment(
  config: Pick<Config, 'environment' | 'allowSandbox'>,
  referrer: LoginInput['referrer'],
): TossEnvironment | null {
  if (config.environment === 'sandbox') return 'sandbox';
  if (referrer !== 'SANDBOX') return 'production';
  return config.allowSandbox ? 'sandbox' : null;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Find or create the user for a Toss userKey (safe under concurrent logins of the same user). */
export async function upsertUser(
  deps: Pick<AppDeps, 'database' | 'clock'>,
  userKey: string,
): Promise<string> {
  const now = isoAt(deps.clock.now());
  return writeTransaction(deps.database, async (trx) => {
    await trx
      .insertInto('users')
      .values({ id: randomUUID(), user_key: userKey, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('user_key').doNothing())
      .execute();
    const row = await trx
      .selectFrom('users')
      .select('id')
      .where('user_key', '=', userKey)
      .executeTakeFirstOrThrow();
    return row.id;
  });
}

/** Create a session for a user; returns the bearer token (shown once, stored hashed). */
export async function createSession(
  deps: Pick<AppDeps, 'database' | 'clock' | 'config'>,
  userId: string,
  environment: TossEnvironment = deps.config.environment,
): Promise<{ token: string; expiresAt: string }> {
  const token = randomBytes(32).toString('base64url');
  const now = deps.clock.now();
  const expiresAt = isoAt(now + deps.config.sessionTtlSeconds * 1000);
  await writeTransaction(deps.database, (trx) =>
    trx
      .insertInto('sessions')
      .values({
        id: randomUUID(),
        token_hash: hashToken(token),
        user_id: userId,
        created_at: isoAt(now),
        expires_at: expiresAt,
        revoked_at: null,
        environment,
      })
      .execute(),
  );
  return { token, expiresAt };
}

export async function login(deps: AppDeps, input: LoginInput): Promise<LoginOutput> {
  const environment = loginEnvironment(deps.config, input.referrer);
  if (environment === null) {
    // Before Toss is asked: a production server never turns a sandbox app's code into a session.
    deps.log.warn('auth.login_sandbox_refused', { referrer: input.referrer });
    throw new AppError('LOGIN_FAILED', 'This server only accepts logins from the live Toss app');
  }
  await writableBeforeToss(deps);
  let userKey: string;
  try {
    const token = await deps.toss.generateToken({
      authorizationCode: input.authorizationCode,
      referrer: input.referrer,
    });
    const me = await deps.toss.loginMe(token.accessToken);
    userKey = String(me.userKey);
  } catch (error) {
    if (error instanceof TossError && error.kind === 'rejected') {
      deps.log.info('auth.login_rejected', { errorCode: error.errorCode ?? null });
      throw new AppError('LOGIN_FAILED', 'Toss rejected the authorization code');
    }
    deps.log.warn('auth.login_upstream_error', {
      kind: error instanceof TossError ? error.kind : 'unknown',
      message: (error as Error)?.message,
    });
    throw new AppError('UPSTREAM_UNAVAILABLE', 'Toss login is unavailable, try again');
  }
  const userId = await upsertUser(deps, userKey);
  const session = await createSession(deps, userId, environment);
  deps.log.info('auth.login', { userId, userKeyHash: hashUserKey(userKey), environment });
  return { token: session.token, expiresAt: session.expiresAt, user: { id: userId } };
}

/**
 * A Toss authorization code can be exchanged once. Check that the database can take the login's writes BEFORE the
 * exchange (SQLite: another process may hold the write lock for longer than the bound), so a busy database answers a
 * retryable error and the app simply logs in again with the same code, instead of a 500 after the code is spent.
 */
async function writableBeforeToss(deps: AppDeps): Promise<void> {
  try {
    await ensureWritable(deps.database);
  } catch (error) {
    deps.log.warn('auth.login_database_busy', { message: (error as Error)?.message });
    if (error instanceof DatabaseBusyError) throw error;
    throw new AppError('INTERNAL', 'The database cannot take a login now; try again', error);
  }
}

/**
 * Resolved sessions, remembered for at most `SESSION_CACHE_MS` and `SESSION_CACHE_SIZE` entries (oldest dropped),
 * keyed by the token's hash. Only where the database says when it changed (SQLite's `externalChanges`): an entry
 * counts only while no other connection has committed since it was read, so a session revoked by another process
 * (an ops tool, a second server) is refused on the next call, as is one this process logged out (dropped at
 * once) or one whose `expires_at` has passed (checked against the clock on every hit). On PostgreSQL, where several
 * instances share the sessions table and nothing tells this one about another's logout, every call reads the table.
 */
export const SESSION_CACHE_MS = 5_000;
export const SESSION_CACHE_SIZE = 10_000;

interface CachedSession {
  session: SessionUser;
  expiresAt: string;
  cachedAt: number;
  changes: number;
}

class SessionCache {
  private readonly byHash = new Map<string, CachedSession>();
  /** Bumped by every logout: a lookup that started before one must not store what it read. */
  epoch = 0;

  constructor(private readonly externalChanges: () => number) {}

  get(tokenHash: string, now: number): CachedSession | undefined {
    const hit = this.byHash.get(tokenHash);
    if (!hit) return undefined;
    if (
      now - hit.cachedAt >= SESSION_CACHE_MS ||
      now < hit.cachedAt ||
      hit.changes !== this.externalChanges()
    ) {
      this.byHash.delete(tokenHash);
      return undefined;
    }
    return hit;
  }

  /**
   * `changes`: `externalChanges()` read BEFORE the row was, so another process's write in between makes the entry
   * stale at once; `epoch`: this cache's epoch then, so a logout in between keeps the entry out.
   */
  set(tokenHash: string, entry: CachedSession, epoch: number): void {
    if (epoch !== this.epoch) return;
    this.byHash.delete(tokenHash);
    if (this.byHash.size >= SESSION_CACHE_SIZE) {
      const oldest = this.byHash.keys().next().value;
      if (oldest !== undefined) this.byHash.delete(oldest);
    }
    this.byHash.set(tokenHash, entry);
  }

  forget(sessionId: string): void {
    this.epoch += 1;
    for (const [hash, entry] of this.byHash)
      if (entry.session.sessionId === sessionId) this.byHash.delete(hash);
  }
}

const caches = new WeakMap<AppDatabase, SessionCache | null>();

function sessionCache(database: AppDatabase): SessionCache | null {
  let cache = caches.get(database);
  if (cache === undefined) {
    cache = database.externalChanges ? new SessionCache(database.externalChanges) : null;
    caches.set(database, cache);
  }
  return cache;
}

export async function logout(deps: AppDeps, session: SessionUser): Promise<{ ok: true }> {
  await writeTransaction(deps.database, (trx) =>
    trx
      .updateTable('sessions')
      .set({ revoked_at: isoAt(deps.clock.now()) })
      .where('id', '=', session.sessionId)
      .where('revoked_at', 'is', null)
      .execute(),
  );
  // After the write: whatever a concurrent lookup read before it is dropped, or never stored (the epoch moved).
  sessionCache(deps.database)?.forget(session.sessionId);
  deps.log.info('auth.logout', { userId: session.userId });
  return { ok: true };
}

export type SessionLookup =
  | { ok: true; session: SessionUser }
  | { ok: false; code: Extract<AppErrorCode, 'UNAUTHORIZED' | 'SESSION_EXPIRED'> };

export async function resolveSession(
  deps: Pick<AppDeps, 'database' | 'clock' | 'config'>,
  token: string,
): Promise<SessionLookup> {
  const tokenHash = hashToken(token);
  const now = deps.clock.now();
  const cache = sessionCache(deps.database);
  const hit = cache?.get(tokenHash, now);
  if (hit) {
    if (hit.expiresAt <= isoAt(now)) return { ok: false, code: 'SESSION_EXPIRED' };
    return { ok: true, session: hit.session };
  }
  const changes = deps.database.externalChanges?.() ?? 0;
  const epoch = cache?.epoch ?? 0;
  const row = await deps.database.db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'sessions.id as sessionId',
      'sessions.expires_at',
      'sessions.revoked_at',
      'sessions.environment',
      'users.id as userId',
      'users.user_key',
    ])
    .where('sessions.token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (!row || row.revoked_at !== null) return { ok: false, code: 'UNAUTHORIZED' };
  if (row.expires_at <= isoAt(now)) return { ok: false, code: 'SESSION_EXPIRED' };
  const session: SessionUser = {
    sessionId: row.sessionId,
    userId: row.userId,
    userKey: row.user_key,
    // Sessions from before migration 005 have none: they were created under this server's environment.
    environment: row.environment ?? deps.config.environment,
  };
  cache?.set(tokenHash, { session, expiresAt: row.expires_at, cachedAt: now, changes }, epoch);
  return { ok: true, session };
}
