/**
 * Operators are accounts, and every change they make is signed: operator accounts (scrypt passwords, sessions that
 * expire on the injected clock, disabled = locked out), the audit row of every mutation — approve, deny, regrant,
 * revoke, credit, recheck --apply, approve-that-finds-the-order-refunded — naming the actor in the change's own
 * transaction, and a decision taken twice happening once. Runs on SQLite and PostgreSQL.
 */

import { orderReference } from '@ait-iap/iap-contract';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  createOperator,
  createOperatorSession,
  disableOperator,
  listOperators,
  OperatorError,
  operatorFromSession,
  revokeOperatorSession,
  setOperatorPassword,
  verifyOperatorLogin,
} from '../src/auth/operators';
import { createManualClock } from '../src/clock';
import {
  type Actor,
  applyRecheck,
  operatorApprove,
  operatorCredit,
  operatorDeny,
  operatorRegrant,
  operatorRevoke,
} from '../src/ops/actions';
import { findOrdersByReference, resolveOrder } from '../src/ops/lookup';
import {
  ledgerViolations,
  loginUser,
  type MockHarness,
  type ServerHarness,
  startMock,
  startServer,
  type TestDatabase,
  tempDir,
  testConfig,
  testDatabase,
} from './helpers';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let mock: MockHarness;
let server: ServerHarness;
let database: TestDatabase;

beforeAll(async () => {
  tmp = await tempDir();
  mock = await startMock(`${tmp.dir}/certs`);
  database = await testDatabase(tmp.dir, 'operators');
  server = await startServer(
    testConfig(mock.mock, database, { TOSS_TIMEOUT_MS: '5000', TOSS_TOTAL_TIMEOUT_MS: '10000' }),
  );
});
afterEach(async () => {
  expect(await ledgerViolations(server.server.deps.database)).toEqual([]);
});
afterAll(async () => {
  await server?.close();
  await mock?.close();
  await tmp?.remove();
});

const deps = () => server.server.deps;
const cheap = { N: 1024, r: 8, p: 1 };
const accounts = (clock = createManualClock()) => ({ database: deps().database, clock, scrypt: cheap });
const fulfill = (token: string, orderId: string, sku: string) =>
  server.api.mutation<{ reason: string; granted: boolean }>('iap.fulfill', { orderId, sku }, token);
const coins = async (token: string) =>
  (await server.api.query<{ balances: Record<string, number> }>('me.inventory', undefined, token)).data
    ?.balances.COIN ?? 0;
const orderRow = (orderId: string) =>
  deps()
    .database.db.selectFrom('orders')
    .selectAll()
    .where('order_id', '=', orderId)
    .executeTakeFirstOrThrow();
const auditRows = (orderId: string) =>
  deps()
    .database.db.selectFrom('audit_log')
    .selectAll()
    .where('order_id', '=', orderId)
    .orderBy('created_at')
    .execute();

const kim: Actor = { kind: 'operator', id: 'op-kim', name: 'kim' };
const lee: Actor = { kind: 'operator', id: 'op-lee', name: 'lee' };
const cli: Actor = { kind: 'cli', name: 'park', osUser: 'park', operatorId: null };

/** A FAILED order the server never saw paid: held (UNDER_REVIEW) for an operator. */
async function heldOrder() {
  const user = await loginUser(server.api, mock.control);
  const { orderId } = await mock.control.order(user.userKey, 'coin_100', 'FAILED');
  expect((await fulfill(user.token, orderId, 'coin_100')).data?.reason).toBe('UNDER_REVIEW');
  return { user, orderId };
}

describe('operator accounts', () => {
  test('an added operator signs in with the generated password; a wrong password or unknown name is refused alike', async () => {
    const { operator, password } = await createOperator(accounts(), { name: 'acct-kim', role: 'approver' });
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(await verifyOperatorLogin(accounts(), 'acct-kim', password)).toMatchObject({
      id: operator.id,
      role: 'approver',
    });
    expect(await verifyOperatorLogin(accounts(), 'acct-kim', `${password}x`)).toBeNull();
    expect(await verifyOperatorLogin(accounts(), 'nobody', password)).toBeNull();
    const stored = await deps()
      .database.db.selectFrom('operators')
      .select('password_hash')
      .where('id', '=', operator.id)
      .executeTakeFirstOrThrow();
    expect(stored.password_hash).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(stored.password_hash).not.toContain(password);
  });

  test('a name is taken once, and names must be plain', async () => {
    await createOperator(accounts(), { name: 'acct-twice', role: 'viewer' });
    await expect(createOperator(accounts(), { name: 'acct-twice', role: 'approver' })).rejects.toMatchObject({
      code: 'NAME_TAKEN',
    });
    await expect(
      createOperator(accounts(), { name: 'bad name; drop', role: 'viewer' }),
    ).rejects.toBeInstanceOf(OperatorError);
  });

  test('a session works until its TTL on the injected clock, and not after; sign-out ends it at once', async () => {
    const clock = createManualClock();
    const { operator } = await createOperator(accounts(clock), { name: 'acct-ttl', role: 'viewer' });
    const session = await createOperatorSession(accounts(clock), operator.id, { ttlSeconds: 60 });
    expect(await operatorFromSession(accounts(clock), session.token)).toMatchObject({ name: 'acct-ttl' });
    clock.advance(59_000);
    expect(await operatorFromSession(accounts(clock), session.token)).not.toBeNull();
    clock.advance(1_000);
    expect(await operatorFromSession(accounts(clock), session.token)).toBeNull();
    const second = await createOperatorSession(accounts(clock), operator.id);
    expect(await revokeOperatorSession(accounts(clock), second.token)).toBe(true);
    expect(await operatorFromSession(accounts(clock), second.token)).toBeNull();
    expect(await operatorFromSession(accounts(clock), 'not-a-token')).toBeNull();
  });

  test('a disabled operator cannot sign in, and their open sessions stop working', async () => {
    const { operator, password } = await createOperator(accounts(), { name: 'acct-gone', role: 'approver' });
    const session = await createOperatorSession(accounts(), operator.id);
    expect(await disableOperator(accounts(), 'acct-gone')).toMatchObject({ disabledAt: expect.any(String) });
    expect(await verifyOperatorLogin(accounts(), 'acct-gone', password)).toBeNull();
    expect(await operatorFromSession(accounts(), session.token)).toBeNull();
    expect((await listOperators(accounts())).find((o) => o.name === 'acct-gone')?.disabledAt).not.toBeNull();
    expect(await disableOperator(accounts(), 'no-such-operator')).toBeNull();
  });

  test('a new password replaces the old one and ends open sessions', async () => {
    const { operator, password } = await createOperator(accounts(), { name: 'acct-reset', role: 'viewer' });
    const session = await createOperatorSession(accounts(), operator.id);
    const reset = await setOperatorPassword(accounts(), { name: 'acct-reset' });
    expect(await verifyOperatorLogin(accounts(), 'acct-reset', password)).toBeNull();
    expect(await verifyOperatorLogin(accounts(), 'acct-reset', reset.password)).not.toBeNull();
    expect(await operatorFromSession(accounts(), session.token)).toBeNull();
  });
});

describe('every change writes one audit row naming its actor', () => {
  test('approve (console operator) and deny (CLI as the OS user) say who, and how they signed in', async () => {
    const approved = await heldOrder();
    expect(
      await operatorApprove(deps(), {
        orderId: approved.orderId,
        reason: 'settlement shows it paid',
        actor: kim,
      }),
    ).toMatchObject({ ok: true, to: 'GRANTED' });
    expect(await auditRows(approved.orderId)).toEqual([
      expect.objectContaining({
        action: 'approve',
        operator: 'kim',
        actor_kind: 'operator',
        actor_id: 'op-kim',
        os_user: null,
        reason: 'settlement shows it paid',
      }),
    ]);
    const denied = await heldOrder();
    expect(
      await operatorDeny(deps(), { orderId: denied.orderId, reason: 'no settlement row', actor: cli }),
    ).toMatchObject({ ok: true, to: 'REFUSED' });
    expect(await auditRows(denied.orderId)).toEqual([
      expect.objectContaining({
        action: 'deny',
        operator: 'park',
        actor_kind: 'cli',
        actor_id: null,
        os_user: 'park',
      }),
    ]);
  });

  test('revoke and regrant each write their row with the effect', async () => {
    const user = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'coin_100');
    await fulfill(user.token, orderId, 'coin_100');
    expect(await operatorRevoke(deps(), { orderId, reason: 'chargeback', actor: kim })).toMatchObject({
      ok: true,
      to: 'REVOKED',
    });
    expect(await coins(user.token)).toBe(0);
    expect(
      await operatorRegrant(deps(), { orderId, reason: 'chargeback withdrawn', actor: lee }),
    ).toMatchObject({ ok: true, to: 'GRANTED' });
    expect(await coins(user.token)).toBe(100);
    expect((await auditRows(orderId)).map((r) => [r.action, r.operator, r.actor_kind])).toEqual([
      ['revoke', 'kim', 'operator'],
      ['regrant', 'lee', 'operator'],
    ]);
  });

  test('a goodwill credit adds a wallet entry and its audit row together; bad amounts and unknown currencies change nothing', async () => {
    const user = await loginUser(server.api, mock.control);
    const result = await operatorCredit(deps(), {
      user: user.userId,
      currency: 'COIN',
      amount: 50,
      reason: 'outage apology',
      actor: kim,
    });
    expect(result).toMatchObject({ ok: true, balance: 50, amount: 50 });
    expect(await coins(user.token)).toBe(50);
    const rows = await deps()
      .database.db.selectFrom('audit_log')
      .selectAll()
      .where('user_id', '=', user.userId)
      .execute();
    expect(rows).toEqual([
      expect.objectContaining({ action: 'credit', order_id: null, operator: 'kim', detail: 'COIN +50' }),
    ]);
    const entries = await deps()
      .database.db.selectFrom('wallet_entries')
      .selectAll()
      .where('user_id', '=', user.userId)
      .execute();
    expect(entries).toEqual([
      expect.objectContaining({
        kind: 'OPERATOR_GRANT',
        amount: 50,
        idempotency_key: `credit:${result.ok ? result.auditId : ''}`,
      }),
    ]);
    for (const bad of [0, -5, 1.5, 10_000_000]) {
      expect(
        await operatorCredit(deps(), {
          user: user.userId,
          currency: 'COIN',
          amount: bad,
          reason: 'x',
          actor: kim,
        }),
      ).toMatchObject({ ok: false, code: 'INVALID_AMOUNT' });
    }
    expect(
      await operatorCredit(deps(), {
        user: user.userId,
        currency: 'GEMS',
        amount: 5,
        reason: 'x',
        actor: kim,
      }),
    ).toMatchObject({ ok: false, code: 'UNKNOWN_CURRENCY' });
    expect(
      await operatorCredit(deps(), {
        user: user.userId,
        currency: 'COIN',
        amount: 5,
        reason: ' ',
        actor: kim,
      }),
    ).toMatchObject({ ok: false, code: 'REASON_REQUIRED' });
    expect(await coins(user.token)).toBe(50);
  });

  test('recheck --apply that grants a held order Toss now reads paid writes a recheck row', async () => {
    const { user, orderId } = await heldOrder();
    const order = mock.mock.state.orders.get(orderId);
    if (!order) throw new Error('mock order missing');
    order.payment = 'paid';
    const applied = await applyRecheck(deps(), { orderId, userId: user.userId, actor: cli });
    expect(applied).toMatchObject({ effect: 'granted', auditId: expect.any(String) });
    expect(await coins(user.token)).toBe(100);
    expect(await auditRows(orderId)).toEqual([
      expect.objectContaining({
        id: applied.auditId,
        action: 'recheck',
        actor_kind: 'cli',
        os_user: 'park',
        detail: expect.stringContaining('HELD -> GRANTED'),
      }),
    ]);
  });

  test('recheck --apply that revokes a refunded grant writes a recheck row; one that changes nothing writes none', async () => {
    const user = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'coin_100');
    await fulfill(user.token, orderId, 'coin_100');
    expect(await applyRecheck(deps(), { orderId, userId: user.userId, actor: cli })).toMatchObject({
      effect: 'none',
    });
    expect(await auditRows(orderId)).toEqual([]);
    await mock.control.refund(orderId);
    const applied = await applyRecheck(deps(), {
      orderId,
      userId: user.userId,
      reason: 'customer says refunded',
      actor: cli,
    });
    expect(applied).toMatchObject({ effect: 'revoked', auditId: expect.any(String) });
    expect(await coins(user.token)).toBe(0);
    expect(await auditRows(orderId)).toEqual([
      expect.objectContaining({
        action: 'recheck',
        reason: 'customer says refunded',
        detail: expect.stringContaining('GRANTED -> REVOKED'),
      }),
    ]);
  });

  test('approve that finds the order refunded refuses it (HELD → REFUSED), audited, and answers a failure', async () => {
    const user = await loginUser(server.api, mock.control);
    // Paid for a hidden SKU: held (the SKU only the client vouches for). Then refunded before anyone decided.
    const { orderId } = await mock.control.order(user.userKey, 'coin_1200_event');
    expect((await fulfill(user.token, orderId, 'coin_1200_event')).data?.reason).toBe('UNDER_REVIEW');
    await mock.control.refund(orderId);
    const result = await operatorApprove(deps(), { orderId, reason: 'looks paid', actor: kim });
    expect(result).toMatchObject({
      ok: false,
      code: 'NOT_APPROVED',
      state: 'REFUSED',
      auditId: expect.any(String),
    });
    expect((await orderRow(orderId)).state).toBe('REFUSED');
    expect(await auditRows(orderId)).toEqual([
      expect.objectContaining({
        action: 'approve_found_refunded',
        operator: 'kim',
        detail: expect.stringContaining('from HELD'),
      }),
    ]);
    expect(await coins(user.token)).toBe(0);
  });
});

describe('a decision taken twice happens once', () => {
  test('two operators approving at once: one grant, one ALREADY_DECIDED naming who decided, one audit row', async () => {
    const { user, orderId } = await heldOrder();
    const results = await Promise.all([
      operatorApprove(deps(), { orderId, reason: 'tab one', actor: kim }),
      operatorApprove(deps(), { orderId, reason: 'tab two', actor: lee }),
    ]);
    const granted = results.filter((r) => r.ok);
    const refused = results.filter((r) => !r.ok);
    expect(granted).toHaveLength(1);
    const winner = (await auditRows(orderId))[0]?.operator;
    expect(refused).toEqual([
      expect.objectContaining({
        code: 'ALREADY_DECIDED',
        state: 'GRANTED',
        movedBy: winner,
        movedAt: expect.any(String),
      }),
    ]);
    expect(await auditRows(orderId)).toHaveLength(1);
    expect(await coins(user.token)).toBe(100);
  });

  test('approve and deny racing: exactly one wins, the other is told the state and who moved it', async () => {
    const { user, orderId } = await heldOrder();
    const [approved, denied] = await Promise.all([
      operatorApprove(deps(), { orderId, reason: 'paid', actor: kim }),
      operatorDeny(deps(), { orderId, reason: 'not paid', actor: lee }),
    ]);
    expect([approved.ok, denied.ok].filter(Boolean)).toHaveLength(1);
    const loser = approved.ok ? denied : approved;
    const state = (await orderRow(orderId)).state;
    expect(loser).toMatchObject({
      ok: false,
      code: 'ALREADY_DECIDED',
      state,
      movedBy: approved.ok ? 'kim' : 'lee',
    });
    expect(await auditRows(orderId)).toHaveLength(1);
    expect(await coins(user.token)).toBe(state === 'GRANTED' ? 100 : 0);
  });

  test('a second revoke and a second deny change nothing and say so', async () => {
    const { orderId } = await heldOrder();
    expect((await operatorDeny(deps(), { orderId, reason: 'first', actor: kim })).ok).toBe(true);
    expect(await operatorDeny(deps(), { orderId, reason: 'second', actor: cli })).toMatchObject({
      ok: false,
      code: 'ALREADY_DECIDED',
      state: 'REFUSED',
      movedBy: 'kim',
      error: expect.stringContaining('moved by kim'),
    });
    expect(await operatorRevoke(deps(), { orderId, reason: 'x', actor: cli })).toMatchObject({
      ok: false,
      code: 'NOT_GRANTED',
      state: 'REFUSED',
    });
    expect(
      await operatorApprove(deps(), { orderId: 'no-such-order', reason: 'x', actor: cli }),
    ).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(await auditRows(orderId)).toHaveLength(1);
  });
});

describe('finding an order by the reference the app shows', () => {
  test('a reference finds its order in any case; a shared suffix returns every match', async () => {
    const { orderId } = await heldOrder();
    const reference = orderReference(orderId);
    expect(
      (await findOrdersByReference(deps().database.db, reference.toLowerCase())).map((o) => o.order_id),
    ).toEqual([orderId]);
    expect(await resolveOrder(deps().database.db, orderId)).toEqual({ kind: 'id', orderId });
    const row = await orderRow(orderId);
    const twin = `ffffffff-0000-7000-8000-0000${orderId.slice(-8)}`;
    await deps()
      .database.db.insertInto('orders')
      .values({ ...row, order_id: twin, state: 'REFUSED' })
      .execute();
    const both = await resolveOrder(deps().database.db, reference);
    expect(both.kind === 'reference' ? both.matches.map((o) => o.order_id).sort() : []).toEqual(
      [orderId, twin].sort(),
    );
    expect(await findOrdersByReference(deps().database.db, 'not a reference')).toEqual([]);
  });
});
