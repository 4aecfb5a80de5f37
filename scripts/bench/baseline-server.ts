/**
 * The BASELINE the server is measured against: bare node:http + better-sqlite3 (the server's own build), no
 * framework, no validation, no partner call, prepared statements. Two routes, each doing what the server's does:
 *  - `POST /fulfill {orderId, sku}`, user id in `x-user-id`: a grant's write — in one BEGIN IMMEDIATE transaction,
 *    look up the product and the order, insert the order (GRANTED), the wallet entry (unique idempotency key) and the
 *    attempt row, move the cached balance — with the server's pragmas (WAL, foreign keys, its `synchronous` level,
 *    passed in BENCH_SQLITE_SYNCHRONOUS). → `{ granted, reason }`.
 *  - `GET /inventory` (Bearer token) and `GET /catalog`: the SELECTs of `me.inventory` (session lookup by the token's
 *    SHA-256, currencies, wallets, live entitlements) and `catalog.list`, on the SERVER's database file (WAL readers
 *    don't block its writer), answering in the same shape (`{"result":{"data":…}}`).
 * DATABASE_PATH must be a file the server made (its migrations and catalog), so every table and index a grant updates
 * is the server's own; each route prepares its statements on first use.
 */
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const serverPackage = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../apps/server/package.json',
);
// The server's own better-sqlite3 build; untyped here (the bench takes no dependency of its own).
// biome-ignore lint/suspicious/noExplicitAny: a row of a query written in this file
type Row = Record<string, any>;
const Database = createRequire(serverPackage)('better-sqlite3');

const db = new Database(process.env.DATABASE_PATH, { fileMustExist: true });
db.pragma('journal_mode = WAL');
db.pragma('foreign_keys = ON');
db.pragma('busy_timeout = 5000');
db.pragma('temp_store = MEMORY'); // the server's (its group commit's savepoints need it; no effect here)
const synchronous = process.env.BENCH_SQLITE_SYNCHRONOUS ?? ''; // the server's level, never a guess
if (!/^(OFF|NORMAL|FULL|EXTRA)$/i.test(synchronous)) throw new Error(`bad synchronous "${synchronous}"`);
db.pragma(`synchronous = ${synchronous}`);

/** Prepared on first use, so a route never used costs nothing. */
const lazy = <T>(make: () => T) => {
  let value: T | undefined;
  return () => (value ??= make());
};

const write = lazy(() => ({
  begin: db.prepare('begin immediate'),
  commit: db.prepare('commit'),
  rollback: db.prepare('rollback'),
  user: db.prepare('insert or ignore into users (id, user_key, created_at, updated_at) values (?, ?, ?, ?)'),
  product: db.prepare(
    'select type, grant_currency, grant_amount, sale_price from products where sku = ? and active = 1',
  ),
  order: db.prepare('select user_id from orders where order_id = ?'),
  insertOrder: db.prepare(
    `insert into orders (order_id, user_id, sku, product_type, state, last_reason, toss_status, sku_verified,
       subscription_id, created_at, updated_at, granted_at, revoked_at, sale_price)
     values (?, ?, ?, ?, 'GRANTED', 'GRANTED', 'PAYMENT_COMPLETED', 1, null, ?, ?, ?, null, ?)`,
  ),
  attempt: db.prepare(
    `insert into fulfillment_attempts (id, order_id, user_id, sku, source, outcome, retryable, toss_status, detail, created_at)
     values (?, ?, ?, ?, 'grant', ?, 0, 'PAYMENT_COMPLETED', null, ?)`,
  ),
  entry: db.prepare(
    `insert into wallet_entries (id, user_id, currency, amount, order_id, kind, idempotency_key, reason, created_at)
     values (?, ?, ?, ?, ?, 'GRANT', ?, null, ?) on conflict (idempotency_key) do nothing`,
  ),
  wallet: db.prepare(
    `insert into wallets (user_id, currency, balance, updated_at) values (?, ?, ?, ?)
     on conflict (user_id, currency) do update set balance = wallets.balance + excluded.balance, updated_at = excluded.updated_at`,
  ),
}));

function fulfill(userId: string, orderId: string, sku: string): { granted: boolean; reason: string } {
  const s = write();
  const now = new Date().toISOString();
  s.begin.run();
  try {
    s.user.run(userId, `key-${userId}`, now, now);
    const product = s.product.get(sku);
    const existing = product && s.order.get(orderId);
    const mine = existing?.user_id === userId;
    let result = {
      granted: mine,
      reason: existing ? (mine ? 'ALREADY_GRANTED' : 'ORDER_CONFLICT') : 'UNKNOWN_SKU',
    };
    if (product && !existing) {
      const { type, grant_currency: currency, grant_amount: amount } = product;
      s.insertOrder.run(orderId, userId, sku, type, now, now, now, product.sale_price);
      const key = `grant:${orderId}`;
      if (s.entry.run(randomUUID(), userId, currency, amount, orderId, key, now).changes > 0)
        s.wallet.run(userId, currency, amount, now);
      result = { granted: true, reason: 'GRANTED' };
    }
    s.attempt.run(randomUUID(), orderId, userId, sku, result.reason, now);
    s.commit.run();
    return result;
  } catch (error) {
    s.rollback.run();
    throw error;
  }
}

const read = lazy(() => ({
  session: db.prepare(
    `select sessions.expires_at, sessions.revoked_at, users.id as user_id
     from sessions inner join users on users.id = sessions.user_id where sessions.token_hash = ?`,
  ),
  currencies: db.prepare(
    "select distinct grant_currency from products where grant_kind = 'currency' and active = 1",
  ),
  wallets: db.prepare('select currency, balance from wallets where user_id = ?'),
  entitlements: db.prepare(
    `select entitlement, sku, type, order_id as orderId, created_at as grantedAt, expires_at, grace_expires_at
     from entitlements where user_id = ? and revoked_at is null order by starts_at, id`,
  ),
  products: db.prepare('select * from products where active = 1 and visible = 1 order by created_at, sku'),
}));

function inventory(token: string) {
  const s = read();
  const now = new Date().toISOString();
  const session = s.session.get(createHash('sha256').update(token).digest('hex'));
  if (!session || session.revoked_at !== null || session.expires_at <= now) return null;
  const balances: Record<string, number> = {};
  for (const row of s.currencies.all()) if (row.grant_currency) balances[row.grant_currency] = 0;
  for (const row of s.wallets.all(session.user_id)) balances[row.currency] = row.balance;
  const live = (row: Row) =>
    row.type === 'NON_CONSUMABLE' || (row.grace_expires_at ?? row.expires_at ?? now) > now;
  const entitlements = s.entitlements
    .all(session.user_id)
    .filter(live)
    .map(({ expires_at, grace_expires_at, ...entitlement }: Row) => entitlement);
  return { balances, entitlements };
}

function catalog() {
  const products = read()
    .products.all()
    .map((row: Row) => ({
      sku: row.sku,
      type: row.type,
      name: row.name,
      description: row.description,
      salePrice: row.sale_price,
      displayAmount: `${Math.trunc(row.sale_price).toLocaleString('en-US')}원`,
      grant:
        row.grant_kind === 'currency'
          ? { kind: 'currency', currency: row.grant_currency ?? '', amount: row.grant_amount ?? 0 }
          : { kind: 'entitlement', entitlement: row.grant_entitlement ?? '' },
      ...(row.type === 'SUBSCRIPTION' && row.renewal_cycle
        ? { renewalCycle: row.renewal_cycle, offers: JSON.parse(row.offers_json) }
        : {}),
    }));
  return { products };
}

const send = (res: http.ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

function route(req: http.IncomingMessage, body: string) {
  if (req.url === '/healthz') return { ok: true };
  if (req.url === '/fulfill') {
    const { orderId, sku } = JSON.parse(body);
    return fulfill(String(req.headers['x-user-id']), orderId, sku);
  }
  if (req.url === '/catalog') return { result: { data: catalog() } };
  if (req.url === '/inventory') {
    const data = inventory(/^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
    return data && { result: { data } };
  }
  return undefined;
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    try {
      const answer = route(req, Buffer.concat(chunks).toString('utf8'));
      if (answer === undefined) send(res, 404, { error: 'not found' });
      else if (answer === null) send(res, 401, { error: 'unauthorized' });
      else send(res, 200, answer);
    } catch (error) {
      send(res, 500, { error: (error as Error).message });
    }
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
const stop = () => server.close(() => db.close());
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
