/**
 * Toss login → our own session. The authorization code is exchanged with Toss server-side (generate-token, then
 * login-me for the userKey); the user is upserted by userKey; the mini-app gets OUR token (32 random bytes, stored
 * only as its SHA-256, expiring after SESSION_TTL_SECONDS, revocable). Toss tokens never leave the server — this
 * starter does not even keep them, it only needs the userKey. You probably don't need to edit this file.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { AppErrorCode, LoginInput, LoginOutput } from '@ait-iap/iap-contract';
import { isoAt } from '../clock';
import type { Config, TossEnvironment } from '../config';
import type { AppDeps, SessionUser } from '../context';
import { writeTransaction } from '../db/database';
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
  await deps.database.db
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
    .execute();
  return { token, expiresAt };
}

export async function login(deps: AppDeps, input: LoginInput): Promise<LoginOutput> {
  const environment = loginEnvironment(deps.config, input.referrer);
  if (environment === null) {
    // Before Toss is asked: a production server never turns a sandbox app's code into a session.
    deps.log.warn('auth.login_sandbox_refused', { referrer: input.referrer });
    throw new AppError('LOGIN_FAILED', 'This server only accepts logins from the live Toss app');
  }
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

export async function logout(deps: AppDeps, session: SessionUser): Promise<{ ok: true }> {
  await deps.database.db
    .updateTable('sessions')
    .set({ revoked_at: isoAt(deps.clock.now()) })
    .where('id', '=', session.sessionId)
    .where('revoked_at', 'is', null)
    .execute();
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
    .where('sessions.token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!row || row.revoked_at !== null) return { ok: false, code: 'UNAUTHORIZED' };
  if (row.expires_at <= isoAt(deps.clock.now())) return { ok: false, code: 'SESSION_EXPIRED' };
  return {
    ok: true,
    session: {
      sessionId: row.sessionId,
      userId: row.userId,
      userKey: row.user_key,
      // Sessions from before migration 005 have none: they were created under this server's environment.
      environment: row.environment ?? deps.config.environment,
    },
  };
}
