/**
 * The READ baseline: a bare node:http handler doing the same SELECTs as the server's `me.inventory` and
 * `catalog.list`, on the server's own SQLite file (opened while the server may still run: WAL readers don't block),
 * with prepared statements and the same answer shape (`{"result":{"data":…}}`), so the gap to the server is what
 * the framework, validation and the rest add to a pure read.
 *  - `GET /inventory` with `Authorization: Bearer <token>`: the session lookup (SHA-256 of the token, sessions ⨝
 *    users, revoked/expired refused), the catalog's currencies, the user's wallets and live entitlements.
 *  - `GET /catalog`: the active, visible products in catalog order, as `catalog.list` items.
 * Run as its own process: `PORT=… DATABASE_PATH=… node --import tsx scripts/bench/read-baseline-server.ts`.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const requireFromServer = createRequire(path.join(repoRoot, 'apps/server/package.json'));
type Statement = { get(...args: unknown[]): unknown; all(...args: unknown[]): unknown[] };
type Sqlite = { pragma(source: string): unknown; prepare(source: string): Statement; close(): void };
const BetterSqlite3 = requireFromServer('better-sqlite3') as new (file: string) => Sqlite;

const databasePath = process.env.DATABASE_PATH;
if (!databasePath) throw new Error('DATABASE_PATH (the server database to read) is required');
const db = new BetterSqlite3(databasePath);
db.pragma('busy_timeout = 5000');
db.pragma('journal_mode = WAL');

const stmt = {
  session: db.prepare(
    `select sessions.id as session_id, sessions.expires_at, sessions.revoked_at, users.id as user_id
     from sessions inner join users on users.id = sessions.user_id where sessions.token_hash = ?`,
  ),
  currencies: db.prepare(
    "select distinct grant_currency from products where grant_kind = 'currency' and active = 1",
  ),
  wallets: db.prepare('select currency, balance from wallets where user_id = ?'),
  entitlements: db.prepare(
    'select * from entitlements where user_id = ? and revoked_at is null order by starts_at, id',
  ),
  products: db.prepare('select * from products where active = 1 and visible = 1 order by created_at, sku'),
};

type Entitlement = {
  entitlement: string;
  sku: string;
  type: string;
  order_id: string;
  created_at: string;
  expires_at: string | null;
  grace_expires_at: string | null;
};

function inventory(userId: string) {
  const now = new Date().toISOString();
  const balances: Record<string, number> = {};
  for (const row of stmt.currencies.all() as { grant_currency: string | null }[])
    if (row.grant_currency) balances[row.grant_currency] = 0;
  for (const row of stmt.wallets.all(userId) as { currency: string; balance: number }[])
    balances[row.currency] = row.balance;
  const entitlements: object[] = [];
  for (const row of stmt.entitlements.all(userId) as Entitlement[]) {
    const expiresAt = row.expires_at ?? now;
    if (row.type !== 'NON_CONSUMABLE' && (row.grace_expires_at ?? expiresAt) <= now) continue;
    entitlements.push({
      entitlement: row.entitlement,
      sku: row.sku,
      type: row.type,
      orderId: row.order_id,
      grantedAt: row.created_at,
    });
  }
  return { balances, entitlements };
}

type Product = {
  sku: string;
  type: string;
  name: string;
  description: string;
  sale_price: number;
  grant_kind: string;
  grant_currency: string | null;
  grant_amount: number | null;
  grant_entitlement: string | null;
  renewal_cycle: string | null;
  offers_json: string;
};

function catalog() {
  const products = (stmt.products.all() as Product[]).map((row) => ({
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
      ? { renewalCycle: row.renewal_cycle, offers: JSON.parse(row.offers_json) as unknown }
      : {}),
  }));
  return { products };
}

function send(res: http.ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const server = http.createServer((req, res) => {
  try {
    if (req.method === 'GET' && req.url === '/healthz') return send(res, 200, { ok: true });
    if (req.method === 'GET' && req.url === '/catalog')
      return send(res, 200, { result: { data: catalog() } });
    if (req.method === 'GET' && req.url === '/inventory') {
      const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
      const session = token
        ? (stmt.session.get(createHash('sha256').update(token).digest('hex')) as
            | { user_id: string; expires_at: string; revoked_at: string | null }
            | undefined)
        : undefined;
      if (!session || session.revoked_at !== null || session.expires_at <= new Date().toISOString())
        return send(res, 401, { error: { message: 'unauthorized' } });
      return send(res, 200, { result: { data: inventory(session.user_id) } });
    }
    send(res, 404, { error: { message: 'not found' } });
  } catch (error) {
    send(res, 500, { error: { message: (error as Error).message } });
  }
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  console.log(
    JSON.stringify({
      event: 'read-baseline.listening',
      port: typeof address === 'object' ? address?.port : null,
    }),
  );
});
const stop = () => server.close(() => db.close());
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
