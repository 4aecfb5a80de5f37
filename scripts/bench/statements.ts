/**
 * Statements per grant, MEASURED: the real server (`createServer`, the in-process partner API, a fresh SQLite file)
 * runs inside the bench process with better-sqlite3 instrumented (sqlite-hooks.ts), and the statements SQLite
 * executes are counted for one request at a time:
 *  - a NEW order (`iap.fulfill`, first call: verify with the partner, bind, grant, record the attempt),
 *  - the REPEATED call for the same order (`ALREADY_GRANTED`),
 *  - `me.inventory` and `catalog.list` (the read path).
 * Each count comes after one identical warm-up request, so a statement the server had to prepare (compile) in the
 * measured request is a miss of its prepared-statement cache, reported as such. A regression shows as a larger count.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { loadConfig } from '../../apps/server/src/config';
import { createServer } from '../../apps/server/src/server';
import { serverApi } from './api';
import { createFakePartnerTransport } from './fake-partner';
import { createJsonClient, type JsonResponse } from './http';
import { observeSqlite } from './sqlite-hooks';

export interface StatementCount {
  /** Statements SQLite executed (every `run`/`get`/`all`/`iterate`, and `exec` scripts), BEGIN and COMMIT included. */
  executed: number;
  /** By leading keyword: select, insert, update, begin, commit, … */
  byKind: Record<string, number>;
  /** Statements SQLite had to compile during the request (misses of the server's statement cache). */
  prepared: number;
  /** The statements, in order (whitespace collapsed, cut at 120 characters). */
  sql: string[];
}

export interface StatementsResult {
  newOrder: StatementCount;
  repeatedCall: StatementCount;
  inventory: StatementCount;
  catalogList: StatementCount;
}

const kindOf = (sql: string) => /^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase() ?? '?';

/** Count what SQLite executes while `request` runs (and until the event loop has settled after it). */
async function counted(request: () => Promise<JsonResponse>, what: string): Promise<StatementCount> {
  const count: StatementCount = { executed: 0, byKind: {}, prepared: 0, sql: [] };
  const stop = observeSqlite({
    onExecute(sql) {
      count.executed += 1;
      const kind = kindOf(sql);
      count.byKind[kind] = (count.byKind[kind] ?? 0) + 1;
      count.sql.push(sql.replace(/\s+/g, ' ').trim().slice(0, 120));
    },
    onPrepare() {
      count.prepared += 1;
    },
  });
  try {
    const res = await request();
    if (res.status !== 200) throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    // Anything the server does right after answering (none today) still belongs to this request.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    stop();
  }
  return count;
}

export async function countStatements(tmpDir: string): Promise<StatementsResult> {
  const config = loadConfig({
    DATABASE_PATH: path.join(tmpDir, 'statements.db'),
    DATABASE_URL: path.join(tmpDir, 'statements.db'),
    TOSS_API_BASE_URL: 'https://partner.bench.invalid',
    LOG_LEVEL: 'silent',
    RECONCILE_INTERVAL_SECONDS: '0',
  });
  const server = await createServer(config, { tossTransport: createFakePartnerTransport() });
  const { url } = await server.listen(0, '127.0.0.1');
  const client = createJsonClient({ maxSockets: 1 });
  try {
    const api = serverApi(client, url);
    const { token } = await api.login('bench-1');
    const fulfill = (orderId: string) => () => api.fulfillRaw(token, orderId, 'coin_100');
    const granted = (res: JsonResponse, reason: string) => {
      const got = (res.body as { result?: { data?: { reason?: string } } }).result?.data?.reason;
      if (got !== reason) throw new Error(`expected ${reason}, got ${JSON.stringify(res.body)}`);
    };
    // Warm-up: the same four requests once, so the counted ones run with a warm statement cache.
    const warm = randomUUID();
    granted(await fulfill(warm)(), 'GRANTED');
    granted(await fulfill(warm)(), 'ALREADY_GRANTED');
    await api.inventoryRaw(token);
    await api.catalogListRaw();

    const orderId = randomUUID();
    let last: JsonResponse | undefined;
    const keep = (call: () => Promise<JsonResponse>) => async () => {
      last = await call();
      return last;
    };
    const newOrder = await counted(keep(fulfill(orderId)), 'iap.fulfill (new order)');
    granted(last as JsonResponse, 'GRANTED');
    const repeatedCall = await counted(keep(fulfill(orderId)), 'iap.fulfill (repeated)');
    granted(last as JsonResponse, 'ALREADY_GRANTED');
    const inventory = await counted(() => api.inventoryRaw(token), 'me.inventory');
    const catalogList = await counted(() => api.catalogListRaw(), 'catalog.list');
    return { newOrder, repeatedCall, inventory, catalogList };
  } finally {
    client.close();
    await server.close();
  }
}

/** "14 (begin 1, select 6, insert 4, update 2, commit 1)". */
export function describeCount(count: StatementCount): string {
  const kinds = Object.entries(count.byKind)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  return kinds ? `${count.executed} (${kinds})` : `${count.executed}`;
}
