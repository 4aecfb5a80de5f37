/**
 * The support console's API on the admin listener (ADMIN_PORT): who may call what (anonymous → 401, viewer reads,
 * approver decides, viewer → 403 with nothing changed), the Origin + JSON guard on changes, the session cookie's
 * flags and expiry (injected clock), the sign-in rate limit (per address and per name), orders found by their short
 * reference, clear answers for an unknown order and for a decision already taken, the audit CSV — and that none of it
 * is reachable on the public port. Against toss-mock over real mTLS, on SQLite and PostgreSQL.
 */
import { orderReference } from '@ait-iap/iap-contract';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createOperator } from '../src/auth/operators';
import { createManualClock } from '../src/clock';
import type { AppDatabase } from '../src/db/database';
import { type AppServer, createServer } from '../src/server';
import {
  apiClient,
  loginUser,
  type MockHarness,
  startMock,
  type TestDatabase,
  tempDir,
  testConfig,
  testDatabase,
} from './helpers';

const cheapScrypt = { N: 1024, r: 8, p: 1 };
const ttlSeconds = 3600;

interface Reply<T = unknown> {
  status: number;
  data?: T;
  error?: {
    message: string;
    data: {
      consoleCode: string;
      httpStatus: number;
      decided: { state: string; by: string | null; at: string | null } | null;
    };
  };
  headers: Headers;
}

/** A browser tab on the console: keeps its cookie, sends the console's Origin and JSON (unless told otherwise). */
function consoleClient(adminUrl: string, options: { origin?: string | null; forwardedFor?: string } = {}) {
  let cookie: string | null = null;
  const origin = options.origin === undefined ? adminUrl : options.origin;
  const base = adminUrl;
  const parse = async <T>(response: Response): Promise<Reply<T>> => {
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) {
      const value = /ait_console_session=([^;]*)/.exec(setCookie)?.[1] ?? '';
      cookie = value ? `ait_console_session=${value}` : null;
    }
    const json = (await response.json().catch(() => ({}))) as {
      result?: { data: T };
      error?: Reply['error'];
    };
    return {
      status: response.status,
      ...(json.result ? { data: json.result.data } : {}),
      ...(json.error ? { error: json.error } : {}),
      headers: response.headers,
    };
  };
  const headers = (extra: Record<string, string> = {}) => ({
    ...(cookie ? { cookie } : {}),
    ...(origin ? { origin } : {}),
    ...(options.forwardedFor ? { 'x-forwarded-for': options.forwardedFor } : {}),
    ...extra,
  });
  return {
    get cookie() {
      return cookie;
    },
    setCookie(value: string | null) {
      cookie = value;
    },
    mutation: async <T = unknown>(path: string, input: unknown, contentType = 'application/json') =>
      parse<T>(
        await fetch(`${base}/trpc/${path}`, {
          method: 'POST',
          headers: headers({ 'content-type': contentType }),
          body: JSON.stringify(input ?? {}),
        }),
      ),
    query: async <T = unknown>(path: string, input?: unknown) =>
      parse<T>(
        await fetch(
          `${base}/trpc/${path}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`,
          { headers: headers() },
        ),
      ),
    raw: (path: string, init: RequestInit = {}) =>
      fetch(`${base}${path}`, { ...init, headers: { ...headers(), ...(init.headers ?? {}) } }),
  };
}
type ConsoleClient = ReturnType<typeof consoleClient>;

let tmp: Awaited<ReturnType<typeof tempDir>>;
let mock: MockHarness;
let database: TestDatabase;
let server: AppServer;
let publicUrl: string;
let adminUrl: string;
const clock = createManualClock(Date.now());
const passwords: Record<string, string> = {};

async function addOperator(db: AppDatabase, name: string, role: 'viewer' | 'approver') {
  const { password } = await createOperator({ database: db, clock, scrypt: cheapScrypt }, { name, role });
  passwords[name] = password;
}

async function signIn(name: string, url = adminUrl): Promise<ConsoleClient> {
  const client = consoleClient(url);
  const reply = await client.mutation('operator.login', { name, password: passwords[name] });
  expect(reply.status).toBe(200);
  return client;
}

beforeAll(async () => {
  tmp = await tempDir('ait-console-');
  mock = await startMock(`${tmp.dir}/certs`);
  database = await testDatabase(tmp.dir, 'console');
  const config = testConfig(mock.mock, database, {
    ADMIN_PORT: '0',
    ADMIN_SESSION_TTL_SECONDS: String(ttlSeconds),
    ADMIN_LOGIN_PER_MINUTE: '1000',
  });
  server = await createServer(config, { clock });
  const listening = await server.listen(0, '127.0.0.1');
  publicUrl = listening.url;
  adminUrl = listening.adminUrl ?? '';
  await addOperator(server.deps.database, 'vera', 'viewer');
  await addOperator(server.deps.database, 'kim', 'approver');
  await addOperator(server.deps.database, 'lee', 'approver');
});

afterAll(async () => {
  await server?.close();
  await mock?.close();
  await tmp?.remove();
});

const publicApi = () => apiClient(publicUrl);

/** A mini-app user whose FAILED order is held (`UNDER_REVIEW`), as in the held e2e scenario. */
async function heldOrder(sku = 'coin_100') {
  const user = await loginUser(publicApi(), mock.control);
  const { orderId } = await mock.control.order(user.userKey, sku, 'FAILED');
  const reply = await publicApi().mutation<{ reason: string }>('iap.fulfill', { orderId, sku }, user.token);
  expect(reply.data?.reason).toBe('UNDER_REVIEW');
  return { user, orderId };
}

const db = () => server.deps.database.db;
const orderState = async (orderId: string) =>
  (await db().selectFrom('orders').select('state').where('order_id', '=', orderId).executeTakeFirst())?.state;
const auditRows = (orderId: string) =>
  db().selectFrom('audit_log').selectAll().where('order_id', '=', orderId).execute();
const walletEntries = (orderId: string) =>
  db().selectFrom('wallet_entries').selectAll().where('order_id', '=', orderId).execute();

type Role = 'anonymous' | 'viewer' | 'approver';
const unknownOrder = { orderId: 'no-such-order-0000' };

/** Every console procedure, how it is called, and the least role that may call it. */
const procedures: Array<{ path: string; kind: 'query' | 'mutation'; input: unknown; least: Role }> = [
  { path: 'operator.me', kind: 'query', input: undefined, least: 'viewer' },
  { path: 'operator.logout', kind: 'mutation', input: {}, least: 'viewer' },
  { path: 'ops.inbox', kind: 'query', input: undefined, least: 'viewer' },
  { path: 'ops.review', kind: 'query', input: undefined, least: 'viewer' },
  { path: 'ops.search', kind: 'query', input: { query: 'nobody' }, least: 'viewer' },
  { path: 'ops.order', kind: 'query', input: unknownOrder, least: 'viewer' },
  { path: 'ops.user', kind: 'query', input: { userId: 'nobody' }, least: 'viewer' },
  { path: 'ops.askToss', kind: 'mutation', input: unknownOrder, least: 'viewer' },
  { path: 'ops.audit', kind: 'query', input: {}, least: 'viewer' },
  { path: 'ops.settlement', kind: 'query', input: {}, least: 'viewer' },
  { path: 'ops.approve', kind: 'mutation', input: { ...unknownOrder, reason: 'r' }, least: 'approver' },
  { path: 'ops.deny', kind: 'mutation', input: { ...unknownOrder, reason: 'r' }, least: 'approver' },
  { path: 'ops.regrant', kind: 'mutation', input: { ...unknownOrder, reason: 'r' }, least: 'approver' },
  { path: 'ops.revoke', kind: 'mutation', input: { ...unknownOrder, reason: 'r' }, least: 'approver' },
  {
    path: 'ops.credit',
    kind: 'mutation',
    input: { userId: 'nobody', currency: 'COIN', amount: 10, reason: 'r' },
    least: 'approver',
  },
];
const rank: Record<Role, number> = { anonymous: 0, viewer: 1, approver: 2 };

describe('authorization of every console procedure', () => {
  for (const role of ['anonymous', 'viewer', 'approver'] as const) {
    for (const procedure of procedures) {
      const allowed = rank[role] >= rank[procedure.least];
      test(`${role} calling ${procedure.path} is ${allowed ? 'let through' : 'refused'}`, async () => {
        const client =
          role === 'anonymous' ? consoleClient(adminUrl) : await signIn(role === 'viewer' ? 'vera' : 'kim');
        const reply =
          procedure.kind === 'query'
            ? await client.query(procedure.path, procedure.input)
            : await client.mutation(procedure.path, procedure.input);
        if (!allowed) {
          expect(reply.status).toBe(role === 'anonymous' ? 401 : 403);
          expect(reply.error?.data.consoleCode).toBe(role === 'anonymous' ? 'UNAUTHORIZED' : 'FORBIDDEN');
        } else {
          // Let through: answered (unknown order/user → a clear 404), never 401/403.
          expect([200, 404]).toContain(reply.status);
          if (reply.status === 404) expect(reply.error?.data.consoleCode).toBe('NOT_FOUND');
        }
      });
    }
  }
});

test('a viewer trying to approve or deny a held order gets 403 and nothing changes', async () => {
  const { orderId } = await heldOrder();
  const viewer = await signIn('vera');
  for (const path of ['ops.approve', 'ops.deny']) {
    const reply = await viewer.mutation(path, { orderId, reason: 'customer called' });
    expect(reply.status).toBe(403);
  }
  expect(await orderState(orderId)).toBe('HELD');
  expect(await auditRows(orderId)).toEqual([]);
  expect(await walletEntries(orderId)).toEqual([]);
  // …and the viewer can still read it.
  expect((await viewer.query<{ order: { state: string } }>('ops.order', { orderId })).data?.order.state).toBe(
    'HELD',
  );
});

test('an approver finds a held order by the reference the app shows, asks Toss (nothing changes), approves it once; the audit row names them', async () => {
  const { user, orderId } = await heldOrder();
  const kim = await signIn('kim');
  const reference = orderReference(orderId);
  const found = await kim.query<{ orders: Array<{ orderId: string }> }>('ops.search', {
    query: reference.toLowerCase().replace('-', ''),
  });
  expect(found.data?.orders.map((o) => o.orderId)).toEqual([orderId]);
  const byReference = await kim.query<{ orderId: string; reference: string }>('ops.order', {
    orderId: reference,
  });
  expect(byReference.data).toMatchObject({ orderId, reference });
  const inbox = await kim.query<{ held: Array<{ orderId: string; reference: string; sku: string }> }>(
    'ops.inbox',
  );
  expect(inbox.data?.held).toContainEqual(expect.objectContaining({ orderId, reference, sku: 'coin_100' }));

  const asked = await kim.mutation<{ status: string; decision: string; ledgerState: string }>('ops.askToss', {
    orderId: reference,
  });
  expect(asked.data).toMatchObject({ status: 'FAILED', decision: 'hold', ledgerState: 'HELD' });
  expect(await orderState(orderId)).toBe('HELD');
  expect(await auditRows(orderId)).toEqual([]);

  const approved = await kim.mutation<{ ok: boolean; from: string; to: string }>('ops.approve', {
    orderId: reference,
    reason: 'settlement shows 1,050 KRW paid',
  });
  expect(approved.data).toMatchObject({ ok: true, from: 'HELD', to: 'GRANTED' });
  expect(await walletEntries(orderId)).toEqual([expect.objectContaining({ amount: 100 })]);
  expect((await auditRows(orderId)).map((row) => [row.action, row.operator, row.actor_kind])).toEqual([
    ['approve', 'kim', 'operator'],
  ]);
  const inventory = await publicApi().query<{ balances: Record<string, number> }>(
    'me.inventory',
    undefined,
    user.token,
  );
  expect(inventory.data?.balances.COIN).toBe(100);
});

test('two approvers approving the same held order at once grant it once; the other is told who decided and the state now', async () => {
  const { orderId } = await heldOrder();
  const [kim, lee] = await Promise.all([signIn('kim'), signIn('lee')]);
  const replies = await Promise.all([
    kim.mutation('ops.approve', { orderId, reason: 'paid per settlement' }),
    lee.mutation('ops.approve', { orderId, reason: 'paid per settlement' }),
  ]);
  expect(replies.map((r) => r.status).sort()).toEqual([200, 409]);
  const loser = replies.find((r) => r.status === 409);
  const winner = replies[0]?.status === 200 ? 'kim' : 'lee';
  expect(loser?.error?.data).toMatchObject({
    consoleCode: 'ALREADY_DECIDED',
    decided: { state: 'GRANTED', by: winner },
  });
  expect(await walletEntries(orderId)).toHaveLength(1);
  // A later deny of the same order: the same clear answer, nothing changed.
  const deny = await lee.mutation('ops.deny', { orderId, reason: 'too late' });
  expect(deny.status).toBe(409);
  expect(deny.error?.data.decided).toMatchObject({ state: 'GRANTED', by: winner });
  expect(await orderState(orderId)).toBe('GRANTED');
  expect(await auditRows(orderId)).toHaveLength(1);
});

test('revoke and re-grant from the console each write one audit row naming the operator; revoking twice is refused with the state', async () => {
  const { user, orderId } = await heldOrder();
  const kim = await signIn('kim');
  expect((await kim.mutation('ops.approve', { orderId, reason: 'paid per settlement' })).status).toBe(200);
  const revoked = await kim.mutation<{ from: string; to: string }>('ops.revoke', {
    orderId,
    reason: 'refund by phone',
  });
  expect(revoked.data).toMatchObject({ from: 'GRANTED', to: 'REVOKED' });
  const again = await kim.mutation('ops.revoke', { orderId, reason: 'twice' });
  expect(again.status).toBe(409);
  expect(again.error?.data).toMatchObject({
    consoleCode: 'NOT_POSSIBLE',
    decided: { state: 'REVOKED', by: 'kim' },
  });
  const regranted = await kim.mutation<{ to: string }>('ops.regrant', {
    orderId,
    reason: 'refund cancelled',
  });
  expect(regranted.data).toMatchObject({ to: 'GRANTED' });
  expect((await auditRows(orderId)).map((row) => [row.action, row.operator]).sort()).toEqual(
    [
      ['approve', 'kim'],
      ['regrant', 'kim'],
      ['revoke', 'kim'],
    ].sort(),
  );
  const inventory = await publicApi().query<{ balances: Record<string, number> }>(
    'me.inventory',
    undefined,
    user.token,
  );
  expect(inventory.data?.balances.COIN).toBe(100);
});

test('the inbox shows the last result of the reconcile job once it has run', async () => {
  const kim = await signIn('kim');
  await server.reconcileOnce();
  const inbox = await kim.query<{ reconcile: { ok: boolean; summary: { held: number } } | null }>(
    'ops.inbox',
  );
  expect(inbox.data?.reconcile).toMatchObject({ ok: true, summary: { held: expect.any(Number) } });
});

test('an unknown order is a clear 404 for reads and decisions', async () => {
  const kim = await signIn('kim');
  const read = await kim.query('ops.order', { orderId: 'ZZZZ-9999' });
  expect(read.status).toBe(404);
  expect(read.error?.data.consoleCode).toBe('NOT_FOUND');
  const approve = await kim.mutation('ops.approve', { orderId: 'no-such-order', reason: 'x' });
  expect(approve.status).toBe(404);
});

test('a decision without a reason is refused before anything changes', async () => {
  const { orderId } = await heldOrder();
  const kim = await signIn('kim');
  const reply = await kim.mutation('ops.deny', { orderId, reason: '   ' });
  expect(reply.status).toBe(400);
  expect(await orderState(orderId)).toBe('HELD');
});

test('a goodwill credit lands in the wallet with an audit row naming the operator', async () => {
  const user = await loginUser(publicApi(), mock.control);
  const kim = await signIn('kim');
  const reply = await kim.mutation<{ ok: boolean; balance: number }>('ops.credit', {
    userId: user.userId,
    currency: 'COIN',
    amount: 30,
    reason: 'apology for the outage',
  });
  expect(reply.data).toMatchObject({ ok: true, balance: 30 });
  const rows = await db().selectFrom('audit_log').selectAll().where('user_id', '=', user.userId).execute();
  expect(rows.map((row) => [row.action, row.operator])).toEqual([['credit', 'kim']]);
  const detail = await kim.query<{ wallets: Array<{ currency: string; balance: number }> }>('ops.user', {
    userId: user.userId,
  });
  expect(detail.data?.wallets).toEqual([expect.objectContaining({ currency: 'COIN', balance: 30 })]);
});

describe('changes come only from the console origin, as JSON', () => {
  test('a change from another origin is refused, signed in or not, and changes nothing', async () => {
    const { orderId } = await heldOrder();
    const kim = await signIn('kim');
    const evil = consoleClient(adminUrl, { origin: 'https://evil.example' });
    evil.setCookie(kim.cookie);
    const reply = await evil.mutation('ops.deny', { orderId, reason: 'csrf' });
    expect(reply.status).toBe(403);
    const login = await evil.mutation('operator.login', { name: 'kim', password: passwords.kim });
    expect(login.status).toBe(403);
    expect(await orderState(orderId)).toBe('HELD');
  });

  test('a change with no Origin header, or not sent as JSON, is refused', async () => {
    const { orderId } = await heldOrder();
    const kim = await signIn('kim');
    const noOrigin = consoleClient(adminUrl, { origin: null });
    noOrigin.setCookie(kim.cookie);
    expect((await noOrigin.mutation('ops.deny', { orderId, reason: 'x' })).status).toBe(403);
    const form = await kim.mutation('ops.deny', { orderId, reason: 'x' }, 'text/plain');
    expect(form.status).toBe(415);
    expect(await orderState(orderId)).toBe('HELD');
  });
});

describe('the session cookie', () => {
  test('sign-in sets an HttpOnly, SameSite=Strict cookie that expires with the session', async () => {
    const client = consoleClient(adminUrl);
    const reply = await client.mutation('operator.login', { name: 'vera', password: passwords.vera });
    const setCookie = reply.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^ait_console_session=[A-Za-z0-9_-]{20,};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).toContain(`Max-Age=${ttlSeconds}`);
    expect(setCookie).toContain(`Expires=${new Date(clock.now() + ttlSeconds * 1000).toUTCString()}`);
    expect(reply.data).toEqual({ name: 'vera', role: 'viewer' });
  });

  test('a wrong password is refused without saying which part was wrong', async () => {
    const wrong = await consoleClient(adminUrl).mutation('operator.login', { name: 'kim', password: 'nope' });
    const unknown = await consoleClient(adminUrl).mutation('operator.login', {
      name: 'nobody',
      password: 'nope',
    });
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    expect(wrong.error?.message).toBe(unknown.error?.message);
    expect(wrong.headers.get('set-cookie')).toBeNull();
  });

  test('a session stops working when it expires (injected clock), and after sign-out', async () => {
    const client = await signIn('vera');
    expect((await client.query('operator.me')).status).toBe(200);
    clock.advance(ttlSeconds * 1000 + 1);
    const expired = await client.query('operator.me');
    expect(expired.status).toBe(401);
    expect(expired.headers.get('set-cookie')).toContain('Max-Age=0');

    const again = await signIn('vera');
    const cookie = again.cookie;
    expect((await again.mutation('operator.logout', {})).status).toBe(200);
    again.setCookie(cookie);
    expect((await again.query('operator.me')).status).toBe(401);
  });
});

test('the audit log exports as CSV to a signed-in operator only', async () => {
  const { orderId } = await heldOrder();
  const kim = await signIn('kim');
  await kim.mutation('ops.deny', { orderId, reason: 'not paid, "per" settlement' });
  const anonymous = await consoleClient(adminUrl).raw(`/audit.csv?orderId=${orderId}`);
  expect(anonymous.status).toBe(401);
  const csv = await kim.raw(`/audit.csv?orderId=${encodeURIComponent(orderReference(orderId))}`);
  expect(csv.status).toBe(200);
  expect(csv.headers.get('content-type')).toContain('text/csv');
  const lines = (await csv.text())
    .replace(/^\uFEFF/, '')
    .trim()
    .split('\r\n');
  expect(lines[0]).toBe('created_at,operator,action,order_id,user_id,reason,detail,id');
  expect(lines).toHaveLength(2);
  expect(lines[1]).toContain(`"kim","deny","${orderId}"`);
  expect(lines[1]).toContain('"not paid, ""per"" settlement"');
});

test('the console is not reachable on the public port', async () => {
  for (const path of ['/trpc/operator.me', '/trpc/ops.inbox', '/audit.csv', '/']) {
    expect((await fetch(`${publicUrl}${path}`)).status).toBe(404);
  }
  const login = await fetch(`${publicUrl}/trpc/operator.login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'kim', password: passwords.kim }),
  });
  expect(login.status).toBe(404);
  expect(login.headers.get('set-cookie')).toBeNull();
});

test('sign-in is rate-limited per client address and per operator name', async () => {
  // Its own server behind one (pretend) proxy, so clients at different addresses can be told apart.
  const limited = await createServer(
    testConfig(mock.mock, database, {
      ADMIN_PORT: '0',
      ADMIN_LOGIN_PER_MINUTE: '3',
      TRUST_PROXY_HOPS: '1',
    }),
    { clock, skipCatalogSync: true },
  );
  try {
    const { adminUrl: url } = await limited.listen(0, '127.0.0.1');
    const at = (address: string) => consoleClient(url ?? '', { forwardedFor: address });
    // Per name: three wrong guesses at kim from one address; the right password from another is refused too.
    for (let i = 0; i < 3; i += 1) {
      expect(
        (await at('203.0.113.2').mutation('operator.login', { name: 'kim', password: 'guess' })).status,
      ).toBe(401);
    }
    const rightPassword = await at('203.0.113.3').mutation('operator.login', {
      name: 'kim',
      password: passwords.kim,
    });
    expect(rightPassword.status).toBe(429);
    expect(rightPassword.error?.data.consoleCode).toBe('RATE_LIMITED');
    // Per address: three guesses at three names; a fourth name from that address is refused.
    for (const name of ['a1', 'a2', 'a3']) {
      expect((await at('203.0.113.4').mutation('operator.login', { name, password: 'guess' })).status).toBe(
        401,
      );
    }
    expect(
      (await at('203.0.113.4').mutation('operator.login', { name: 'lee', password: passwords.lee })).status,
    ).toBe(429);
    // Another address and name still sign in; and a minute later the limited ones do too.
    expect(
      (await at('203.0.113.5').mutation('operator.login', { name: 'lee', password: passwords.lee })).status,
    ).toBe(200);
    clock.advance(61_000);
    expect(
      (await at('203.0.113.3').mutation('operator.login', { name: 'kim', password: passwords.kim })).status,
    ).toBe(200);
  } finally {
    await limited.close();
  }
});
