/**
 * A long run of grants with the database's native statements created and collected, as a busy server does for hours.
 * better-sqlite3 ≤ 12 aborted the whole process on Node 24 when the garbage collector finalized a statement
 * (`Assertion failed: (env) != nullptr` in Statement::~Statement); version 13 moved to Node-API. This file would have
 * caught it: thousands of fulfills over HTTP, more distinct statements than the statement cache holds (so evicted
 * statements are collected), and forced collections — ending with the process alive and the ledger consistent.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { AppDatabase } from '../src/db/database';
import {
  apiClient,
  ledgerViolations,
  loginUser,
  type MockHarness,
  type ServerHarness,
  startMock,
  startServer,
  tempDir,
  testConfig,
  testDatabase,
} from './helpers';

/** `gc()` without restarting the worker with --expose-gc. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

const users = 20;
const ordersPerUser = 100; // 2,000 paid orders, each fulfilled twice (the grant callback and a recovery retry)
const concurrency = 8;

let tmp: Awaited<ReturnType<typeof tempDir>>;
let mock: MockHarness;
let server: ServerHarness;
let inspector: AppDatabase;
beforeAll(async () => {
  tmp = await tempDir();
  mock = await startMock(`${tmp.dir}/certs`);
  const database = await testDatabase(tmp.dir, 'long-run');
  server = await startServer(testConfig(mock.mock, database, { RATE_LIMIT_FULFILL_PER_MINUTE: '1000000' }));
  inspector = await database.open();
});
afterAll(async () => {
  await inspector?.close();
  await server?.close();
  await mock?.close();
  await tmp?.remove();
});

test('thousands of grants with statements collected by forced GCs: the process lives and the ledger holds', async () => {
  const api = apiClient(server.url);
  const buyers = [];
  for (let i = 0; i < users; i += 1) buyers.push(await loginUser(api, mock.control));
  const skus = ['coin_100', 'coin_550'];
  const jobs = buyers.flatMap((buyer) =>
    Array.from({ length: ordersPerUser }, (_, n) => ({ buyer, sku: skus[n % skus.length] as string })),
  );

  let granted = 0;
  let repeated = 0;
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++] as (typeof jobs)[number];
      const { orderId } = await mock.control.order(job.buyer.userKey, job.sku);
      const first = await api.mutation<{ granted: boolean; reason: string }>(
        'iap.fulfill',
        { orderId, sku: job.sku },
        job.buyer.token,
      );
      if (first.data?.reason === 'GRANTED') granted += 1;
      const again = await api.mutation<{ granted: boolean; reason: string }>(
        'iap.fulfill',
        { orderId, sku: job.sku },
        job.buyer.token,
      );
      if (again.data?.reason === 'ALREADY_GRANTED') repeated += 1;
      if (next % 250 === 0) collectGarbage();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));

  // More distinct statements than any statement cache keeps: each is prepared, evicted and finalized by the GC.
  for (let i = 0; i < 3000; i += 1) {
    await sql`select ${sql.raw(String(i))} as n`.execute(inspector.db);
    if (i % 500 === 0) collectGarbage();
  }
  collectGarbage();

  expect(granted).toBe(jobs.length);
  expect(repeated).toBe(jobs.length);
  expect(await ledgerViolations(inspector)).toEqual([]);
  const health = await fetch(`${server.url}/healthz`);
  expect(health.status).toBe(200);
}, 240_000);
