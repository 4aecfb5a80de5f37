/**
 * Statements per request, MEASURED: the real server (`createServer`, the in-process partner, a fresh SQLite file)
 * runs inside the bench process with better-sqlite3 observed, and the statements SQLite executes are counted for one
 * request at a time — a NEW order (`iap.fulfill`: verify, bind, grant, record), the REPEATED call for it
 * (`ALREADY_GRANTED`), `me.inventory` and `catalog.list` — each after an identical warm-up request, so a statement
 * compiled during the counted one is a miss of the server's prepared-statement cache. A regression shows as more.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { repoRoot } from '../lib/processes.mjs';
import { type Answer, expectReason, jsonClient, serverApi } from './load';
import { inprocServer } from './server-inproc';

export interface SqliteObserver {
  /** A statement executed (`run`, `get`, `all`, `iterate`, or an `exec` script). */
  execute(sql: string): void;
  /** SQLite compiling a statement (`db.prepare`). */
  prepare(sql: string): void;
}
type Method = (this: { source?: string }, ...args: unknown[]) => unknown;

let observer: SqliteObserver | null = null;
let patched = false;

/** Tell `o` every statement any better-sqlite3 connection in this process runs, until the returned stop is called. */
export function observeSqlite(o: SqliteObserver): () => void {
  if (!patched) {
    patched = true;
    const Database = createRequire(path.join(repoRoot, 'apps/server/package.json'))('better-sqlite3');
    const probe = new Database(':memory:');
    const statement = Object.getPrototypeOf(probe.prepare('select 1'));
    probe.close();
    const wrap = (
      target: Record<string, Method>,
      name: string,
      what: 'execute' | 'prepare',
      argSql: boolean,
    ) => {
      const original = target[name]!;
      target[name] = function (...args) {
        observer?.[what](argSql ? String(args[0]) : (this.source ?? ''));
        return original.apply(this, args);
      };
    };
    for (const name of ['run', 'get', 'all', 'iterate']) wrap(statement, name, 'execute', false);
    wrap(Database.prototype, 'exec', 'execute', true);
    wrap(Database.prototype, 'prepare', 'prepare', true);
  }
  observer = o;
  return () => {
    observer = null;
  };
}

export interface StatementCount {
  executed: number;
  /** Compiled during the request: cache misses. */
  prepared: number;
  /** The statements in order (whitespace collapsed, cut at 120 characters). */
  sql: string[];
}
export type StatementsResult = Record<
  'newOrder' | 'repeatedCall' | 'inventory' | 'catalogList',
  StatementCount
>;

/** What SQLite runs while `request` runs, and until the event loop has settled after it. */
export async function counted(request: () => Promise<Answer>): Promise<StatementCount> {
  const count: StatementCount = { executed: 0, prepared: 0, sql: [] };
  const stop = observeSqlite({
    execute(sql) {
      count.executed += 1;
      count.sql.push(sql.replace(/\s+/g, ' ').trim().slice(0, 120));
    },
    prepare() {
      count.prepared += 1;
    },
  });
  try {
    const res = await request();
    if (res.status !== 200) throw new Error(`HTTP ${res.status} ${JSON.stringify(res.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    stop();
  }
  return count;
}

export async function countStatements(tmpDir: string): Promise<StatementsResult> {
  const server = await inprocServer(path.join(tmpDir, 'statements.db'));
  const { url } = await server.listen(0, '127.0.0.1');
  const client = jsonClient(1);
  try {
    const api = serverApi(client, url);
    const token = await api.login('bench-1');
    const fulfill = async (orderId: string, reason: string) => {
      const res = await api.fulfill(token, orderId);
      const problem = expectReason(res, reason);
      if (problem) throw new Error(`iap.fulfill: ${problem}`);
      return res;
    };
    const [warm, orderId] = [randomUUID(), randomUUID()];
    await fulfill(warm, 'GRANTED');
    await fulfill(warm, 'ALREADY_GRANTED');
    await api.inventory(token);
    await api.catalog();
    return {
      newOrder: await counted(() => fulfill(orderId, 'GRANTED')),
      repeatedCall: await counted(() => fulfill(orderId, 'ALREADY_GRANTED')),
      inventory: await counted(() => api.inventory(token)),
      catalogList: await counted(() => api.catalog()),
    };
  } finally {
    client.close();
    await server.close();
  }
}
