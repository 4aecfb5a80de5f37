/**
 * Rate limits across instances: on PostgreSQL every instance takes from the same buckets (in the database), so two
 * instances behind a load balancer do not double a client's limit; on SQLite (one instance) they are in memory.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { systemClock } from '../src/clock';
import { createRateLimiter } from '../src/http/rate-limit';
import { createDatabaseRateLimiter } from '../src/http/rate-limit-store';
import {
  type MockHarness,
  type ServerHarness,
  startMock,
  startServer,
  tempDir,
  testBackend,
  testConfig,
  testDatabase,
} from './helpers';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let mock: MockHarness;
const servers: ServerHarness[] = [];

beforeAll(async () => {
  tmp = await tempDir();
  mock = await startMock(`${tmp.dir}/certs`);
});
afterAll(async () => {
  for (const server of servers) await server.close();
  await mock?.close();
  await tmp?.remove();
});

test('two instances on one database: a client alternating between them gets its limit once, not once per instance', async () => {
  const database = await testDatabase(tmp.dir, 'two-instances');
  const env = { RATE_LIMIT_LOGIN_PER_MINUTE: '4' };
  const a = await startServer(testConfig(mock.mock, database, env));
  servers.push(a);
  const b = await startServer(testConfig(mock.mock, database, env));
  servers.push(b);
  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) {
    const reply = await (i % 2 === 0 ? a : b).api.mutation('auth.login', {
      authorizationCode: `junk-${i}`,
      referrer: 'DEFAULT',
    });
    statuses.push(reply.status);
  }
  if (testBackend === 'postgres') {
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429, 429, 429]);
  } else {
    // SQLite is one instance's database: each process keeps its own buckets (README "PostgreSQL").
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 401, 401]);
  }
});

test('100 concurrent takes through two pools on one bucket of 10 admit exactly 10', async () => {
  const database = await testDatabase(tmp.dir, 'concurrent');
  const [first, second] = [await database.open(), await database.open()];
  try {
    const options = { name: 'test', perMinute: 10, clock: systemClock };
    const limiters =
      testBackend === 'postgres'
        ? [createDatabaseRateLimiter(first.db, options), createDatabaseRateLimiter(second.db, options)]
        : [createRateLimiter(options), createRateLimiter(options)].slice(0, 1);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => limiters[i % limiters.length]?.take('client-1')),
    );
    expect(results.filter(Boolean)).toHaveLength(10);
    // takeUpTo on the spent bucket: nothing left; another client's bucket is untouched.
    expect(await limiters[0]?.takeUpTo('client-1', 5)).toBe(0);
    expect(await limiters[0]?.takeUpTo('client-2', 25)).toBe(10);
  } finally {
    await first.close();
    await second.close();
  }
});
