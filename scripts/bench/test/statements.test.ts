import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../lib/processes.mjs';
import { observeSqlite } from '../sqlite-hooks';
import { countStatements, describeCount } from '../statements';

type Sqlite = {
  prepare(sql: string): { run(...a: unknown[]): unknown; get(...a: unknown[]): unknown };
  exec(sql: string): void;
  close(): void;
};
const BetterSqlite3 = createRequire(path.join(repoRoot, 'apps/server/package.json'))(
  'better-sqlite3',
) as new (
  file: string,
) => Sqlite;

const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-statements-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the SQLite statement observer', () => {
  it('sees every execution and every compile, on any connection, only while observing', () => {
    const db = new BetterSqlite3(':memory:');
    const executed: string[] = [];
    let prepared = 0;
    db.exec('create table t (x integer)');
    const insert = db.prepare('insert into t values (?)');
    const stop = observeSqlite({ onExecute: (sql) => executed.push(sql), onPrepare: () => prepared++ });
    insert.run(1);
    insert.run(2);
    db.prepare('select count(*) as n from t').get();
    db.exec('delete from t');
    stop();
    insert.run(3);
    db.close();
    expect(executed).toEqual([
      'insert into t values (?)',
      'insert into t values (?)',
      'select count(*) as n from t',
      'delete from t',
    ]);
    expect(prepared).toBe(1);
  });
});

describe('statements per request, measured on the real server', () => {
  it('a new order runs its grant in one BEGIN…COMMIT with the ledger rows; a repeated call grants nothing; nothing re-reads the catalog or the session', async () => {
    const result = await countStatements(dir);
    const { newOrder, repeatedCall } = result;
    expect(newOrder.byKind.begin).toBe(1);
    expect(newOrder.byKind.commit).toBe(1);
    const begin = newOrder.sql.findIndex((q) => /^begin/i.test(q));
    const commit = newOrder.sql.findIndex((q) => /^commit/i.test(q));
    const inTransaction = newOrder.sql.slice(begin, commit);
    for (const table of ['orders', 'wallet_entries', 'fulfillment_attempts'])
      expect(inTransaction.some((q) => q.startsWith(`insert into "${table}"`))).toBe(true);
    // The repeated call writes its attempt row but no grant: no ledger entry, fewer statements.
    expect(repeatedCall.sql.some((q) => q.includes('wallet_entries'))).toBe(false);
    expect(repeatedCall.sql.some((q) => q.startsWith('insert into "fulfillment_attempts"'))).toBe(true);
    expect(repeatedCall.executed).toBeLessThan(newOrder.executed);
    // The measured figures (scripts/bench/last-run.md) as ceilings, so a regression in statements per request shows.
    // 8 + the SAVEPOINT and RELEASE that group commit wraps each write in (no I/O; the group shares BEGIN/COMMIT).
    expect(newOrder.executed).toBeLessThanOrEqual(10);
    expect(repeatedCall.executed).toBeLessThanOrEqual(3);
    expect(result.inventory.executed).toBeLessThanOrEqual(3);
    expect(result.catalogList.executed).toBe(0);
    // The catalog and a just-used session come from memory: no request reads them again.
    const readsCatalog = (q: string) => /from "(products|sku_aliases)"/.test(q);
    for (const count of [newOrder, repeatedCall, result.inventory, result.catalogList]) {
      expect(count.sql.filter(readsCatalog)).toEqual([]);
      expect(count.sql.filter((q) => q.includes('from "sessions"'))).toEqual([]);
    }
    // Warm: the server's prepared-statement cache answers every statement of a repeated request.
    expect(newOrder.prepared + repeatedCall.prepared + result.inventory.prepared).toBe(0);
    expect(describeCount(newOrder)).toMatch(new RegExp(`^${newOrder.executed} \\(.*begin 1.*\\)$`));
  });
});
