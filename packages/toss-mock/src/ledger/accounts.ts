/** Users, one-time login codes and token pairs: what `appLogin()` and the partner API's OAuth endpoints use. */
import {
  ACCESS_TOKEN_TTL_MS,
  AUTH_CODE_TTL_MS,
  fail,
  type LedgerResult,
  type LedgerState,
  type MockUser,
  nowIso,
  nowMs,
  REFRESH_TOKEN_TTL_MS,
  type TokenPair,
  token,
} from './state';

/** The user with this key (created on first sight), or a new user with the next free key. */
export function ensureUser(s: LedgerState, userKey?: number): MockUser {
  if (userKey !== undefined) {
    const existing = s.users.get(userKey);
    if (existing) return existing;
    const user = { userKey, createdAt: nowIso(s) };
    s.users.set(userKey, user);
    s.nextUserKey = Math.max(s.nextUserKey, userKey + 1);
    return user;
  }
  const user = { userKey: s.nextUserKey++, createdAt: nowIso(s) };
  s.users.set(user.userKey, user);
  return user;
}

/** A one-time authorization code, valid 10 minutes (what `appLogin()` returns). */
export function issueAuthorizationCode(
  s: LedgerState,
  userKey: number,
  referrer: 'DEFAULT' | 'SANDBOX' = 'DEFAULT',
): string {
  ensureUser(s, userKey);
  const code = token('code');
  s.codes.set(code, { code, userKey, referrer, expiresAt: nowMs(s) + AUTH_CODE_TTL_MS, used: false });
  return code;
}

function newTokenPair(s: LedgerState, userKey: number): TokenPair {
  const pair = {
    accessToken: token('at'),
    refreshToken: token('rt'),
    userKey,
    accessExpiresAt: nowMs(s) + ACCESS_TOKEN_TTL_MS,
    refreshExpiresAt: nowMs(s) + REFRESH_TOKEN_TTL_MS,
    revoked: false,
  };
  s.tokens.push(pair);
  return pair;
}

export function exchangeCode(s: LedgerState, code: string, referrer: string): LedgerResult<TokenPair> {
  const record = s.codes.get(code);
  if (!record) return fail('INVALID_AUTHORIZATION_CODE', 'unknown authorization code');
  if (record.used) return fail('INVALID_AUTHORIZATION_CODE', 'authorization code already used');
  if (record.expiresAt <= nowMs(s)) return fail('INVALID_AUTHORIZATION_CODE', 'authorization code expired');
  if (record.referrer !== referrer) {
    return fail(
      'INVALID_AUTHORIZATION_CODE',
      `referrer ${referrer} does not match the code (${record.referrer})`,
    );
  }
  record.used = true;
  return { ok: true, value: newTokenPair(s, record.userKey) };
}

export function refresh(s: LedgerState, refreshToken: string): LedgerResult<TokenPair> {
  const pair = s.tokens.find((t) => t.refreshToken === refreshToken);
  if (!pair || pair.revoked) return fail('INVALID_REFRESH_TOKEN', 'unknown or revoked refresh token');
  if (pair.refreshExpiresAt <= nowMs(s)) return fail('INVALID_REFRESH_TOKEN', 'refresh token expired');
  pair.revoked = true;
  return { ok: true, value: newTokenPair(s, pair.userKey) };
}

export function userForAccessToken(s: LedgerState, accessToken: string): LedgerResult<TokenPair> {
  const pair = s.tokens.find((t) => t.accessToken === accessToken);
  if (!pair || pair.revoked) return fail('INVALID_ACCESS_TOKEN', 'unknown or revoked access token');
  if (pair.accessExpiresAt <= nowMs(s)) return fail('INVALID_ACCESS_TOKEN', 'access token expired');
  return { ok: true, value: pair };
}

export function revokeAccessToken(s: LedgerState, accessToken: string): LedgerResult<true> {
  const found = userForAccessToken(s, accessToken);
  if (!found.ok) return found;
  found.value.revoked = true;
  return { ok: true, value: true };
}

export function revokeUserTokens(s: LedgerState, userKey: number): number {
  let n = 0;
  for (const pair of s.tokens) {
    if (pair.userKey === userKey && !pair.revoked) {
      pair.revoked = true;
      n++;
    }
  }
  return n;
}
