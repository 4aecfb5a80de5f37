import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../lib/processes.mjs';
import { checkLedger } from '../ledger-check';
import { dataOf, jsonClient, serverApi } from '../load';
import { inprocServer } from '../server-inproc';

const Database = createRequire(path.join(repoRoot, 'apps/server/package.json'))('better-sqlite3');

// A real server (with the bench's in-process partner) grants three orders; then the ledger is tampered with the way a
// broken fulfillment would leave it, and the checker must notice each time.
const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-ledger-test-'));
const databasePath = path.join(dir, 'app.db');
const granted: string[] = [];
let userId: string;

beforeAll(async () => {
  const server = await inprocServer(databasePath);
  const { url } = await server.listen(0, '127.0.0.1');
  const client = jsonClient(2);
  try {
    const api = serverApi(client, url);
    const token = await api.login('bench-7');
    for (let i = 0; i < 3; i++) {
      granted.push(randomUUID());
      expect(dataOf(await api.fulfill(token, granted[i]!)).reason).toBe('GRANTED');
    }
  } finally {
    client.close();
    await server.close();
  }
  const db = new Database(databasePath);
  userId = db.prepare('select user_id from orders limit 1').get().user_id;
  db.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tamper(sql: string, ...args: unknown[]) {
  const db = new Database(databasePath);
  db.prepare(sql).run(...args);
  db.close();
}

describe('the ledger check', () => {
  it('passes a clean ledger: every order granted once, wallets equal entries and granted orders', () => {
    expect(checkLedger(databasePath, granted)).toMatchObject({
      grantedOrders: 3,
      grantEffects: 3,
      doubleGrants: 0,
      lostGrants: 0,
      walletMismatches: 0,
      subscriptionDateMismatches: 0,
    });
  });

  it('counts a paid order the server never granted as lost', () => {
    const missing = randomUUID();
    const report = checkLedger(databasePath, [...granted, missing]);
    expect(report).toMatchObject({ lostGrants: 1, paidByState: { GRANTED: 3, NOT_RECORDED: 1 } });
    expect(report.details).toEqual([`paid order ${missing} not granted`]);
  });

  it('counts a second credit for the same order as doubled, even when the cached balance followed it', () => {
    tamper(
      `insert into wallet_entries (id, user_id, currency, amount, order_id, kind, idempotency_key, reason, created_at)
       values (?, ?, 'COIN', 100, ?, 'GRANT', ?, null, '2026-01-01T00:00:00.000Z')`,
      ...[randomUUID(), userId, granted[0], `grant-again:${granted[0]}`],
    );
    tamper(`update wallets set balance = balance + 100 where user_id = ? and currency = 'COIN'`, userId);
    const report = checkLedger(databasePath, granted);
    expect(report).toMatchObject({ doubleGrants: 1, grantEffects: 4, walletMismatches: 1 });
    // The balance equals its entries, but no longer what the granted orders credit.
    expect(report.details).toContain(`${userId} COIN: balance 400 ≠ granted orders 300`);
  });

  it('counts a cached balance that drifted from its entries as wallet ≠ ledger', () => {
    tamper(`update wallets set balance = balance + 1 where user_id = ? and currency = 'COIN'`, userId);
    expect(checkLedger(databasePath, granted).details).toContain(`${userId} COIN: balance 401 ≠ entries 400`);
  });

  it('counts a subscription whose expiry is not its derived paid end', () => {
    // A monthly subscription (3 grace days in the catalog) bought Jan 31, as the server writes it: Feb 28, Mar 3.
    const [orderId, at] = [randomUUID(), '2027-01-31T09:30:00.000Z'];
    tamper(
      `insert into orders (order_id, user_id, sku, product_type, state, last_reason, sku_verified, created_at,
         updated_at, granted_at) values (?, ?, 'premium_monthly', 'SUBSCRIPTION', 'GRANTED', 'GRANTED', 1, ?, ?, ?)`,
      ...[orderId, userId, at, at, at],
    );
    tamper(
      `insert into entitlements (id, user_id, entitlement, sku, type, order_id, starts_at, expires_at,
         grace_expires_at, created_at) values (?, ?, 'premium', 'premium_monthly', 'SUBSCRIPTION', ?, ?,
         '2027-02-28T09:30:00.000Z', '2027-03-03T09:30:00.000Z', ?)`,
      ...[randomUUID(), userId, orderId, at, at],
    );
    expect(checkLedger(databasePath, granted).subscriptionDateMismatches).toBe(0);
    tamper(`update entitlements set expires_at = '2027-03-31T09:30:00.000Z' where order_id = ?`, orderId);
    expect(checkLedger(databasePath, granted).subscriptionDateMismatches).toBe(1);
  });
});
