import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../lib/processes.mjs';
import { countStatements, observeSqlite } from '../statements';

const Database = createRequire(path.join(repoRoot, 'apps/server/package.json'))('better-sqlite3');
const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-statements-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('statements per request', () => {
  it('the observer sees every execution and every compile, on any connection, only while observing', () => {
    const db = new Database(':memory:');
    const executed: string[] = [];
    let prepared = 0;
    db.exec('create table t (x integer)');
    const insert = db.prepare('insert into t values (?)');
    const stop = observeSqlite({ execute: (sql) => executed.push(sql), prepare: () => prepared++ });
    insert.run(1);
    db.prepare('select count(*) as n from t').get();
    db.exec('delete from t');
    stop();
    insert.run(3);
    db.close();
    expect(executed).toEqual(['insert into t values (?)', 'select count(*) as n from t', 'delete from t']);
    expect(prepared).toBe(1);
  });

  it('on the real server: a new order is one BEGIN…COMMIT with its ledger rows; a repeated call grants nothing', async () => {
    const { newOrder, repeatedCall, inventory, catalogList } = await countStatements(dir);
    const begin = newOrder.sql.findIndex((q) => /^begin/i.test(q));
    const commit = newOrder.sql.findIndex((q) => /^commit/i.test(q));
    expect(begin).toBeGreaterThanOrEqual(0);
    expect(commit).toBeGreaterThan(begin);
    for (const table of ['orders', 'wallet_entries', 'fulfillment_attempts'])
      expect(newOrder.sql.slice(begin, commit).some((q) => q.startsWith(`insert into "${table}"`))).toBe(
        true,
      );
    expect(repeatedCall.sql.some((q) => q.includes('wallet_entries'))).toBe(false);
    expect(repeatedCall.executed).toBeLessThan(newOrder.executed);
    // Ceilings at the measured figures, so a regression in statements per request fails here too. A new order's 8
    // plus the SAVEPOINT and RELEASE group commit wraps each write in, and (alone in its group) the two `synchronous`
    // pragmas around it that move the group's sync off the event loop.
    expect(newOrder.sql.filter((q) => /^pragma synchronous/i.test(q))).toHaveLength(2);
    expect(newOrder.executed).toBeLessThanOrEqual(12);
    expect(repeatedCall.executed).toBeLessThanOrEqual(3);
    expect(inventory.executed).toBeLessThanOrEqual(3);
    expect(catalogList.executed).toBe(0);
    // Warm: the server's prepared-statement cache answers every statement of a repeated request.
    expect(newOrder.prepared + repeatedCall.prepared + inventory.prepared).toBe(0);
  });
});
