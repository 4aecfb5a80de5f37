/**
 * The login ceiling under attack, measured: 64 IPv4 addresses and 64 IPv6 /64s hammer auth.login at full rate with
 * junk codes for two minutes (default limits: 20 a minute per client, 1,200 a minute for everyone), and a fresh
 * client still logs in — while the attempts reaching Toss stay within the ceiling. In-process (the real middleware
 * chain, a fake Toss that counts calls, a manual clock), so 10,000 attempts take seconds.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createManualClock } from '../src/clock';
import { appRouter } from '../src/router';
import type { TossClient } from '../src/toss/client';
import { TossError } from '../src/toss/client';
import { type ServerHarness, startMock, startServer, tempDir, testConfig, testDatabase } from './helpers';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let mock: Awaited<ReturnType<typeof startMock>>;
let server: ServerHarness;
const clock = createManualClock();
let tossCalls = 0;

/** Toss: the code `good-<n>` is user n's; anything else is refused (as Toss refuses a junk or used code). */
const fakeToss: TossClient = {
  generateToken: async ({ authorizationCode }: { authorizationCode: string }) => {
    tossCalls += 1;
    if (!authorizationCode.startsWith('good-')) throw new TossError('rejected', 'invalid code', {});
    return {
      tokenType: 'Bearer',
      accessToken: authorizationCode,
      refreshToken: 'r',
      expiresIn: 3600,
      scope: '',
    };
  },
  loginMe: async (accessToken: string) => ({ userKey: Number(accessToken.slice('good-'.length)), scope: '' }),
  close: () => undefined,
} as unknown as TossClient;

beforeAll(async () => {
  tmp = await tempDir();
  mock = await startMock(`${tmp.dir}/certs`);
  // The defaults of RATE_LIMIT_LOGIN_PER_MINUTE (20) and RATE_LIMIT_LOGIN_GLOBAL_PER_MINUTE (1 200).
  const config = testConfig(mock.mock, await testDatabase(tmp.dir, 'fairness'), {
    RATE_LIMIT_LOGIN_PER_MINUTE: '20',
    RATE_LIMIT_LOGIN_GLOBAL_PER_MINUTE: '1200',
  });
  server = await startServer(config, { clock, toss: fakeToss });
});
afterAll(async () => {
  await server?.close();
  await mock?.close();
  await tmp?.remove();
});

function attempt(ip: string, authorizationCode: string) {
  const caller = appRouter.createCaller({
    deps: server.server.deps,
    bearerToken: null,
    ip,
    requestId: 'fairness',
  });
  return caller.auth.login({ authorizationCode, referrer: 'DEFAULT' }).then(
    () => 'ok' as const,
    (error: { appCode?: string; code?: string }) => error.appCode ?? error.code ?? 'error',
  );
}

const attackers = [
  ...Array.from({ length: 64 }, (_, i) => `198.51.100.${i + 1}`),
  // 64 different /64s (each attacker also rotates through the addresses of its own /64).
  ...Array.from({ length: 64 }, (_, i) => `2001:db8:${(i + 1).toString(16)}::`),
];

test('64 IPv4 addresses and 64 IPv6 /64s hammering login at full rate leave a fresh client able to log in', {
  timeout: 180_000,
}, async () => {
  let round = 0;
  // Every attacker at once, each one's attempts back to back.
  const hammer = async (perAttacker: number) => {
    const perClient = await Promise.all(
      attackers.map(async (attacker) => {
        const results: string[] = [];
        for (let i = 0; i < perAttacker; i++) {
          const ip = attacker.includes(':') ? `${attacker}${(round * 97 + i + 1).toString(16)}` : attacker;
          results.push(await attempt(ip, `junk-${round}-${i}`));
        }
        return results;
      }),
    );
    round += 1;
    return perClient.flat();
  };
  const tossCallsAtStart = tossCalls;
  // A full burst each (more than their 20), then one more each every 3 s (their refill rate: each is admitted by its own limit), for two minutes.
  const burst = await hammer(22);
  expect(burst.filter((r) => r === 'RATE_LIMITED').length).toBeGreaterThan(0);
  const freshLogins: string[] = [];
  for (let second = 3; second <= 120; second += 3) {
    clock.advance(3_000);
    await hammer(1);
    if (second % 30 === 0) freshLogins.push(await attempt(`203.0.113.${second / 30}`, `good-${second}`));
  }
  // The attack was real: the shared part of the ceiling was spent (attackers got 429 beyond their own limits)…
  expect(freshLogins).toEqual(['ok', 'ok', 'ok', 'ok']);
  // …and what reached Toss stayed within the ceiling: the first minute's burst plus 1 200 a minute.
  expect(tossCalls - tossCallsAtStart).toBeLessThanOrEqual(1_200 + 2 * 1_200);
});

test('junk codes no OAuth server issues are refused by validation: no token spent, no Toss call', async () => {
  const before = tossCalls;
  for (const junk of ['x'.repeat(513), 'code\u0000', 'ö-code', 'line\nbreak']) {
    expect(await attempt('192.0.2.200', junk)).toBe('BAD_REQUEST'); // tRPC's code for a validation failure
  }
  expect(tossCalls).toBe(before);
  expect(await attempt('192.0.2.200', 'good-77')).toBe('ok');
});
