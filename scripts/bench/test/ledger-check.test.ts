import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../apps/server/src/config';
import { createServer } from '../../../apps/server/src/server';
import { repoRoot } from '../../lib/processes.mjs';
import { serverApi } from '../api';
import { createFakePartnerTransport } from '../fake-partner';
import { createJsonClient } from '../http';
import { checkLedger } from '../ledger-check';

type Sqlite = { prepare(sql: string): { run(...args: unknown[]): unknown }; close(): void };
const BetterSqlite3 = createRequire(path.join(repoRoot, 'apps/server/package.json'))(
  'better-sqlite3',
) as new (
  file: string,
) => Sqlite;

// A real server (the in-process partner the bench uses) grants three orders; then the ledger is tampered with the
// way a broken fulfillment would leave it, and the checker must notice each time.
let dir: string;
let databasePath: string;
const granted: string[] = [];
let userId: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bench-ledger-test-'));
  databasePath = path.join(dir, 'app.db');
  const config = loadConfig({
    DATABASE_PATH: databasePath,
    TOSS_API_BASE_URL: 'https://partner.bench.invalid',
    LOG_LEVEL: 'silent',
    RECONCILE_INTERVAL_SECONDS: '0',
  });
  const server = await createServer(config, { tossTransport: createFakePartnerTransport() });
  const { url } = await server.listen(0, '127.0.0.1');
  const client = createJsonClient({ maxSockets: 2 });
  try {
    const api = serverApi(client, url);
    const login = await api.login('bench-7');
    userId = login.user.id;
    for (let i = 0; i < 3; i++) {
      const orderId = randomUUID();
      const out = await api.fulfill(login.token, orderId, 'coin_100');
      expect(out.reason).toBe('GRANTED');
      granted.push(orderId);
    }
  } finally {
    client.close();
    await server.close();
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tamper(sql: string, ...args: unknown[]) {
  const db = new BetterSqlite3(databasePath);
  try {
    db.prepare(sql).run(...args);
  } finally {
    db.close();
  }
}

describe('ledger invariants read from the server database', () => {
  it('a clean ledger: every order granted once, wallets equal entries and granted orders', () => {
    expect(checkLedger(databasePath, granted)).toMatchObject({
      grantedOrders: 3,
      grantEffects: 3,
      doubleGrants: 0,
      lostGrants: 0,
      walletMismatches: 0,
      subscriptionDateMismatches: 0,
    });
  });

  it('a paid order the server never granted is counted as lost', () => {
    const missing = randomUUID();
    const report = checkLedger(databasePath, [...granted, missing]);
    expect(report.lostGrants).toBe(1);
    expect(report.lostOrderIds).toEqual([missing]);
  });

  it('a second credit for the same order is a double grant, even when the cached balance followed it', () => {
    const orderId = granted[0];
    tamper(
      `insert into wallet_entries (id, user_id, currency, amount, order_id, kind, idempotency_key, reason, created_at)
       values (?, ?, 'COIN', 100, ?, 'GRANT', ?, null, '2026-01-01T00:00:00.000Z')`,
      randomUUID(),
      userId,
      orderId,
      `grant-again:${orderId}`,
    );
    tamper(`update wallets set balance = balance + 100 where user_id = ? and currency = 'COIN'`, userId);
    const report = checkLedger(databasePath, granted);
    expect(report.doubleGrants).toBe(1);
    expect(report.doubleGrantOrderIds).toEqual([orderId]);
    expect(report.grantEffects).toBe(4);
    // The balance equals its entries but no longer what the granted orders credit.
    expect(report.walletMismatches).toBe(1);
    expect(report.walletDetails[0]).toMatch(/≠ granted orders 300/);
  });

  it('a cached balance that drifted from its entries is a wallet mismatch', () => {
    tamper(`update wallets set balance = balance + 1 where user_id = ? and currency = 'COIN'`, userId);
    const report = checkLedger(databasePath, granted);
    expect(report.walletDetails.some((line) => /balance 401 ≠ entries 400/.test(line))).toBe(true);
  });

  it('a subscription whose expiry is not its derived paid end (one order: anchor + one month) is a date mismatch', () => {
    // A monthly subscription (3 grace days in the catalog) bought Jan 31, as the server writes it: Feb 28, Mar 3.
    const orderId = randomUUID();
    const at = '2027-01-31T09:30:00.000Z';
    tamper(
      `insert into orders (order_id, user_id, sku, product_type, state, last_reason, sku_verified, created_at,
         updated_at, granted_at) values (?, ?, 'premium_monthly', 'SUBSCRIPTION', 'GRANTED', 'GRANTED', 1, ?, ?, ?)`,
      orderId,
      userId,
      at,
      at,
      at,
    );
    tamper(
      `insert into entitlements (id, user_id, entitlement, sku, type, order_id, starts_at, expires_at,
         grace_expires_at, created_at) values (?, ?, 'premium', 'premium_monthly', 'SUBSCRIPTION', ?, ?,
         '2027-02-28T09:30:00.000Z', '2027-03-03T09:30:00.000Z', ?)`,
      randomUUID(),
      userId,
      orderId,
      at,
      at,
    );
    expect(checkLedger(databasePath, granted).subscriptionDateMismatches).toBe(0);
    // One forged cycle more (the old "one extra cycle"): caught.
    tamper(`update entitlements set expires_at = '2027-03-31T09:30:00.000Z' where order_id = ?`, orderId);
    const report = checkLedger(databasePath, granted);
    expect(report.subscriptionDateMismatches).toBe(1);
    expect(report.subscriptionDetails[0]).toMatch(new RegExp(`${orderId}: expires 2027-03-31`));
  });
});
