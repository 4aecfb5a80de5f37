/**
 * The BASELINE the fulfillment server is measured against: a bare node:http handler doing the same SQLite
 * write a grant does — in one BEGIN IMMEDIATE transaction, look up the product and the order, insert the order
 * (GRANTED), the wallet ledger entry (unique idempotency key) and the attempt row, and move the cached balance —
 * with the same pragmas (WAL, the server's `synchronous` level, foreign keys) and the same tables and indexes as
 * migration 001.
 * No framework, no session lookup (the user id comes in a header), no validation, no partner API call.
 * Run as its own process: `PORT=… DATABASE_PATH=… node --import tsx scripts/bench/baseline-server.ts`.
 * `POST /fulfill {orderId, sku}` with `x-user-id` → `{ granted, reason }`; `GET /healthz` → `{ ok: true }`.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// better-sqlite3 is the server's dependency; load the very same build from there.
const requireFromServer = createRequire(path.join(repoRoot, 'apps/server/package.json'));
type Statement = { run(...args: unknown[]): { changes: number }; get(...args: unknown[]): unknown };
type Sqlite = {
  pragma(source: string): unknown;
  exec(source: string): void;
  prepare(source: string): Statement;
  close(): void;
};
const BetterSqlite3 = requireFromServer('better-sqlite3') as new (file: string) => Sqlite;

const db = new BetterSqlite3(process.env.DATABASE_PATH ?? ':memory:');
db.pragma('journal_mode = WAL');
db.pragma('foreign_keys = ON');
db.pragma('busy_timeout = 5000');
// The server's durability setting (targets.ts reads it from the server's source, so the two stay the same).
const synchronous = process.env.BENCH_SQLITE_SYNCHRONOUS ?? 'FULL';
if (!/^(OFF|NORMAL|FULL|EXTRA)$/i.test(synchronous))
  throw new Error(`bad BENCH_SQLITE_SYNCHRONOUS "${synchronous}"`);
db.pragma(`synchronous = ${synchronous}`);
db.exec(`
  create table if not exists users (id text primary key, user_key text not null unique, created_at text not null, updated_at text not null);
  create table if not exists products (sku text primary key, type text not null, grant_currency text, grant_amount integer, active integer not null);
  create table if not exists orders (
    order_id text primary key, user_id text not null references users(id), sku text not null references products(sku),
    product_type text not null, state text not null, last_reason text, toss_status text, sku_verified integer not null,
    subscription_id text, created_at text not null, updated_at text not null, granted_at text, revoked_at text);
  create index if not exists orders_user_id on orders(user_id, created_at);
  create index if not exists orders_state on orders(state, updated_at);
  create table if not exists fulfillment_attempts (
    id text primary key, order_id text not null, user_id text not null references users(id), sku text not null,
    source text not null, outcome text not null, retryable integer not null, toss_status text, detail text, created_at text not null);
  create index if not exists fulfillment_attempts_order on fulfillment_attempts(order_id, created_at);
  create index if not exists fulfillment_attempts_retryable on fulfillment_attempts(retryable, created_at);
  create table if not exists wallet_entries (
    id text primary key, user_id text not null references users(id), currency text not null, amount integer not null,
    order_id text references orders(order_id), kind text not null, idempotency_key text not null unique, reason text,
    created_at text not null);
  create index if not exists wallet_entries_user on wallet_entries(user_id, currency);
  create index if not exists wallet_entries_order on wallet_entries(order_id);
  create table if not exists wallets (user_id text not null references users(id), currency text not null,
    balance integer not null, updated_at text not null, primary key (user_id, currency));
  insert or ignore into products values ('coin_100', 'CONSUMABLE', 'COIN', 100, 1), ('coin_550', 'CONSUMABLE', 'COIN', 550, 1);
`);

const stmt = {
  begin: db.prepare('begin immediate'),
  commit: db.prepare('commit'),
  rollback: db.prepare('rollback'),
  user: db.prepare('insert or ignore into users (id, user_key, created_at, updated_at) values (?, ?, ?, ?)'),
  product: db.prepare(
    'select sku, type, grant_currency, grant_amount from products where sku = ? and active = 1',
  ),
  order: db.prepare('select user_id, state from orders where order_id = ?'),
  insertOrder: db.prepare(
    `insert into orders (order_id, user_id, sku, product_type, state, last_reason, toss_status, sku_verified,
       subscription_id, created_at, updated_at, granted_at, revoked_at)
     values (?, ?, ?, ?, 'GRANTED', 'GRANTED', 'PAYMENT_COMPLETED', 1, null, ?, ?, ?, null)`,
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
};

type Product = { sku: string; type: string; grant_currency: string; grant_amount: number };

function fulfill(userId: string, orderId: string, sku: string): { granted: boolean; reason: string } {
  const now = new Date().toISOString();
  stmt.begin.run();
  try {
    stmt.user.run(userId, `key-${userId}`, now, now);
    const product = stmt.product.get(sku) as Product | undefined;
    let result: { granted: boolean; reason: string };
    if (!product) result = { granted: false, reason: 'UNKNOWN_SKU' };
    else {
      const existing = stmt.order.get(orderId) as { user_id: string; state: string } | undefined;
      if (existing) {
        result =
          existing.user_id === userId
            ? { granted: true, reason: 'ALREADY_GRANTED' }
            : { granted: false, reason: 'ORDER_CONFLICT' };
      } else {
        stmt.insertOrder.run(orderId, userId, sku, product.type, now, now, now);
        const inserted = stmt.entry.run(
          randomUUID(),
          userId,
          product.grant_currency,
          product.grant_amount,
          orderId,
          `grant:${orderId}`,
          now,
        );
        if (inserted.changes > 0) stmt.wallet.run(userId, product.grant_currency, product.grant_amount, now);
        result = { granted: true, reason: 'GRANTED' };
      }
    }
    stmt.attempt.run(randomUUID(), orderId, userId, sku, result.reason, now);
    stmt.commit.run();
    return result;
  } catch (error) {
    stmt.rollback.run();
    throw error;
  }
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    return;
  }
  if (req.method !== 'POST' || req.url !== '/fulfill') {
    res.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { orderId: string; sku: string };
      const userId = String(req.headers['x-user-id'] ?? 'anonymous');
      const result = fulfill(userId, body.orderId, body.sku);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
    } catch (error) {
      res
        .writeHead(500, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: (error as Error).message }));
    }
  });
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  console.log(
    JSON.stringify({ event: 'baseline.listening', port: typeof address === 'object' ? address?.port : null }),
  );
});
const stop = () => server.close(() => db.close());
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
