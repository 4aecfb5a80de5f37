/**
 * Operator accounts — the people who decide held orders — and their console sessions.
 *  - An operator has a unique name, a role (`viewer` reads; `approver` also decides) and a password stored as a
 *    scrypt hash (memory-hard; N, r, p and the salt are kept in the hash, so the cost can be raised later and old
 *    hashes still verify). Created, disabled and listed from the CLI (`ops operator …`); never deleted, because the
 *    audit log names them.
 *  - `verifyOperatorLogin` costs one scrypt whether or not the name exists, compares in constant time, and refuses a
 *    disabled account. Rate-limiting logins is the caller's job (the console).
 *  - A session is 32 random bytes handed to the browser (an HttpOnly cookie); only its SHA-256 is stored. It expires
 *    after a TTL read from the injected clock, and stops working at once when revoked or the operator is disabled.
 * You probably don't need to edit this file.
 */
import { createHash, randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { type Clock, isoAt } from '../clock';
import { type AppDatabase, writeTransaction } from '../db/database';
import type { OperatorsTable, Tx } from '../db/schema';
import { type Actor, writeAudit } from '../ops/audit';

export const operatorRoles = ['viewer', 'approver'] as const;
export type OperatorRole = (typeof operatorRoles)[number];

/** 1–64 characters: letters, digits, `.`, `_`, `-` (it appears in audit rows and command lines). */
export const OperatorName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'an operator name is 1–64 letters, digits, ".", "_" or "-"');

export interface Operator {
  id: string;
  name: string;
  role: OperatorRole;
  createdAt: string;
  disabledAt: string | null;
}

/** scrypt cost. The default (N=2^15, r=8: 32 MiB, ~0.1 s) follows OWASP; tests pass a cheaper one. */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}
export const defaultScryptParams: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };

export interface OperatorsDeps {
  database: AppDatabase;
  clock: Clock;
  /** Cost for NEW hashes (existing hashes verify with the parameters stored in them). */
  scrypt?: ScryptParams;
}

/** How long a console session lasts unless the caller says otherwise (8 hours: one working day). */
export const DEFAULT_OPERATOR_SESSION_TTL_SECONDS = 8 * 60 * 60;

export class OperatorError extends Error {
  constructor(
    public readonly code: 'INVALID_NAME' | 'NAME_TAKEN' | 'NOT_FOUND' | 'WEAK_PASSWORD',
    message: string,
  ) {
    super(message);
    this.name = 'OperatorError';
  }
}

// --- 1. Passwords ------------------------------------------------------------------------------------------------

const KEY_LENGTH = 32;

function scryptAsync(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem: scrypt needs 128·N·r bytes; allow twice that.
    scrypt(password, salt, KEY_LENGTH, { ...params, maxmem: 256 * params.N * params.r }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** `scrypt$N$r$p$<salt base64>$<hash base64>`. */
export async function hashPassword(
  password: string,
  params: ScryptParams = defaultScryptParams,
): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** True when `password` matches `stored`; a malformed hash never matches. Constant-time comparison. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  if (![params.N, params.r, params.p].every((v) => Number.isInteger(v) && v > 0)) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), params);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** A generated password: 18 random bytes, base64url (24 characters). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

// --- 2. Accounts -------------------------------------------------------------------------------------------------

function toOperator(row: OperatorsTable): Operator {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    createdAt: row.created_at,
    disabledAt: row.disabled_at,
  };
}

function checkName(name: string): string {
  const parsed = OperatorName.safeParse(name);
  if (!parsed.success) throw new OperatorError('INVALID_NAME', parsed.error.issues[0]?.message ?? 'bad name');
  return parsed.data;
}

function checkPassword(password: string): string {
  if (password.length < 12) throw new OperatorError('WEAK_PASSWORD', 'a password has at least 12 characters');
  return password;
}

/**
 * The account change's `audit_log` row, written in its transaction (no order, no user). Every change has one: a caller
 * that names no actor (a script, a seed) is recorded as `system`.
 */
async function auditAccount(
  trx: Tx,
  actor: Actor | undefined,
  change: { action: string; name: string; detail: string; now: number },
) {
  const { action, name, detail, now } = change;
  await writeAudit(trx, actor ?? { kind: 'system', name: 'system' }, {
    action,
    orderId: null,
    userId: null,
    reason: `operator ${name}`,
    detail,
    now,
  });
}

/**
 * Create an operator with a generated password (or the one given); returns the password once — it is not kept.
 * `actor` (who created it) is written to the audit log with it.
 */
export async function createOperator(
  deps: OperatorsDeps,
  input: { name: string; role: OperatorRole; password?: string },
  actor?: Actor,
): Promise<{ operator: Operator; password: string }> {
  const name = checkName(input.name);
  const role = z.enum(operatorRoles).parse(input.role);
  const password = checkPassword(input.password ?? generatePassword());
  const passwordHash = await hashPassword(password, deps.scrypt);
  const row: OperatorsTable = {
    id: randomUUID(),
    name,
    role,
    password_hash: passwordHash,
    created_at: isoAt(deps.clock.now()),
    disabled_at: null,
  };
  const inserted = await writeTransaction(deps.database, async (trx) => {
    const result = await trx
      .insertInto('operators')
      .values(row)
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0) === 1) {
      await auditAccount(trx, actor, {
        action: 'operator_add',
        name,
        detail: `role ${role}`,
        now: deps.clock.now(),
      });
    }
    return result;
  });
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) !== 1) {
    throw new OperatorError('NAME_TAKEN', `an operator named ${name} already exists`);
  }
  return { operator: toOperator(row), password };
}

/** Replace an operator's password (generated unless given) and end their sessions; returns the new password once. */
export async function setOperatorPassword(
  deps: OperatorsDeps,
  input: { name: string; password?: string },
  actor?: Actor,
): Promise<{ operator: Operator; password: string }> {
  const password = checkPassword(input.password ?? generatePassword());
  const passwordHash = await hashPassword(password, deps.scrypt);
  const now = isoAt(deps.clock.now());
  const row = await writeTransaction(deps.database, async (trx) => {
    const found = await trx
      .selectFrom('operators')
      .selectAll()
      .where('name', '=', input.name)
      .executeTakeFirst();
    if (!found) return null;
    await trx
      .updateTable('operators')
      .set({ password_hash: passwordHash })
      .where('id', '=', found.id)
      .execute();
    await revokeSessionsOf(trx, found.id, now);
    const detail = 'new password; sessions ended';
    await auditAccount(trx, actor, {
      action: 'operator_password',
      name: found.name,
      detail,
      now: deps.clock.now(),
    });
    return found;
  });
  if (!row) throw new OperatorError('NOT_FOUND', `no operator named ${input.name}`);
  return { operator: toOperator(row), password };
}

async function revokeSessionsOf(trx: Tx, id: string, at: string) {
  await trx
    .updateTable('operator_sessions')
    .set({ revoked_at: at })
    .where('operator_id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();
}

/** Disable an operator (they can no longer sign in; their sessions end now). Null if no such operator. */
export async function disableOperator(
  deps: OperatorsDeps,
  name: string,
  actor?: Actor,
): Promise<Operator | null> {
  const now = isoAt(deps.clock.now());
  const row = await writeTransaction(deps.database, async (trx) => {
    const found = await trx.selectFrom('operators').selectAll().where('name', '=', name).executeTakeFirst();
    if (!found) return null;
    if (found.disabled_at === null) {
      await trx.updateTable('operators').set({ disabled_at: now }).where('id', '=', found.id).execute();
      const detail = 'sessions ended';
      await auditAccount(trx, actor, {
        action: 'operator_disable',
        name: found.name,
        detail,
        now: deps.clock.now(),
      });
    }
    await revokeSessionsOf(trx, found.id, now);
    return { ...found, disabled_at: found.disabled_at ?? now };
  });
  return row ? toOperator(row) : null;
}

/** Every operator, enabled and disabled, by name. */
export async function listOperators(deps: Pick<OperatorsDeps, 'database'>): Promise<Operator[]> {
  const rows = await deps.database.db.selectFrom('operators').selectAll().orderBy('name').execute();
  return rows.map(toOperator);
}

/** One operator by name (enabled or not), or null. */
export async function findOperator(
  deps: Pick<OperatorsDeps, 'database'>,
  name: string,
): Promise<Operator | null> {
  const row = await deps.database.db
    .selectFrom('operators')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst();
  return row ? toOperator(row) : null;
}

// --- 3. Sign-in and sessions -------------------------------------------------------------------------------------

let dummyHash: Promise<string> | null = null;

/**
 * The operator if `name` and `password` match an ENABLED account, else null (unknown name, wrong password and
 * disabled account look the same to the caller and cost the same: one scrypt).
 */
export async function verifyOperatorLogin(
  deps: OperatorsDeps,
  name: string,
  password: string,
): Promise<Operator | null> {
  const row =
    typeof name === 'string' && name.length <= 64
      ? await deps.database.db.selectFrom('operators').selectAll().where('name', '=', name).executeTakeFirst()
      : undefined;
  dummyHash ??= hashPassword(generatePassword(), deps.scrypt ?? defaultScryptParams);
  const matches = await verifyPassword(String(password), row?.password_hash ?? (await dummyHash));
  if (!row || !matches || row.disabled_at !== null) return null;
  return toOperator(row);
}

function hashSessionToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Start a console session for an enabled operator: the token (for the cookie) and when it expires. */
export async function createOperatorSession(
  deps: OperatorsDeps,
  operatorId: string,
  options: { ttlSeconds?: number } = {},
): Promise<{ token: string; expiresAt: string }> {
  const token = randomBytes(32).toString('base64url');
  const now = deps.clock.now();
  const expiresAt = isoAt(now + (options.ttlSeconds ?? DEFAULT_OPERATOR_SESSION_TTL_SECONDS) * 1000);
  await writeTransaction(deps.database, (trx) =>
    trx
      .insertInto('operator_sessions')
      .values({
        id: randomUUID(),
        token_hash: hashSessionToken(token),
        operator_id: operatorId,
        created_at: isoAt(now),
        expires_at: expiresAt,
        revoked_at: null,
      })
      .execute(),
  );
  return { token, expiresAt };
}

/** The operator a session token belongs to — null if unknown, expired (by the injected clock), revoked or disabled. */
export async function operatorFromSession(
  deps: Pick<OperatorsDeps, 'database' | 'clock'>,
  token: string,
): Promise<Operator | null> {
  if (typeof token !== 'string' || token.length === 0 || token.length > 128) return null;
  const row = await deps.database.db
    .selectFrom('operator_sessions as s')
    .innerJoin('operators as o', 'o.id', 's.operator_id')
    .selectAll('o')
    .select(['s.expires_at', 's.revoked_at'])
    .where('s.token_hash', '=', hashSessionToken(token))
    .executeTakeFirst();
  if (!row || row.revoked_at !== null || row.disabled_at !== null) return null;
  if (row.expires_at <= isoAt(deps.clock.now())) return null;
  return toOperator(row);
}

/** End a session (sign out). True if it was active. */
export async function revokeOperatorSession(
  deps: Pick<OperatorsDeps, 'database' | 'clock'>,
  token: string,
): Promise<boolean> {
  const result = await writeTransaction(deps.database, (trx) =>
    trx
      .updateTable('operator_sessions')
      .set({ revoked_at: isoAt(deps.clock.now()) })
      .where('token_hash', '=', hashSessionToken(String(token)))
      .where('revoked_at', 'is', null)
      .executeTakeFirst(),
  );
  return Number(result.numUpdatedRows) === 1;
}

/** May this role change anything (approve, deny, regrant, revoke, credit)? Viewers only read. */
export function canDecide(role: OperatorRole): boolean {
  return role === 'approver';
}
