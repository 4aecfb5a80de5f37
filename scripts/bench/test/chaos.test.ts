import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../lib/processes.mjs';
import { grantAnswers } from '../chaos';

const Database = createRequire(path.join(repoRoot, 'apps/server/package.json'))('better-sqlite3');
const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-chaos-test-'));
const databasePath = path.join(dir, 'ledger.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The ledger's order states as the durability check reads them. */
function ledger(states: Record<string, string>) {
  const db = new Database(databasePath);
  db.exec('create table if not exists orders (order_id text primary key, state text not null)');
  const upsert = db.prepare(
    'insert into orders values (?, ?) on conflict (order_id) do update set state = excluded.state',
  );
  for (const [id, state] of Object.entries(states)) upsert.run(id, state);
  db.close();
}

describe('the chaos run, from its grant answers', () => {
  it('counts a grant answered but not durable once across later kills, and as lost, not also doubled', () => {
    const answers = grantAnswers();
    ledger({ kept: 'GRANTED', doubled: 'GRANTED' });
    for (const id of ['kept', 'doubled', 'doubled', 'lost']) answers.granted(id);
    answers.checkDurable(databasePath); // kill 1: "lost" was answered GRANTED, the ledger never made it durable
    answers.checkDurable(databasePath); // kill 2 finds it again
    ledger({ lost: 'GRANTED' }); // recovery grants it, and answers GRANTED a second time
    answers.granted('lost');
    answers.checkDurable(databasePath); // kill 3: it is GRANTED now, but it was lost once
    expect(answers.notDurable()).toBe(1);
    expect(answers.answeredTwice()).toBe(1); // "doubled" only
  });

  it('finds nothing when every answered grant is in the ledger', () => {
    const answers = grantAnswers();
    ledger({ fine: 'GRANTED', pending: 'VERIFYING' });
    answers.granted('fine');
    answers.checkDurable(databasePath);
    expect([answers.notDurable(), answers.answeredTwice()]).toEqual([0, 0]);
  });
});
