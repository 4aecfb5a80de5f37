import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  loginUser,
  type MockHarness,
  type ServerHarness,
  startMock,
  startServer,
  tempDir,
  testConfig,
} from './helpers';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let mock: MockHarness;
let server: ServerHarness;
beforeAll(async () => {
  tmp = await tempDir();
  mock = await startMock(`${tmp.dir}/certs`);
  server = await startServer(testConfig(mock.mock, `${tmp.dir}/app.db`));
});
afterAll(async () => {
  await server?.close();
  await mock?.close();
  await tmp?.remove();
});

test('a paid coin order is granted over real mTLS and shows in the wallet', async () => {
  const { api } = server;
  const user = await loginUser(api, mock.control);
  const { orderId } = await mock.control.order(user.userKey, 'coin_100');
  const reply = await api.mutation('iap.fulfill', { orderId, sku: 'coin_100' }, user.token);
  expect(reply.data).toEqual({
    granted: true,
    reason: 'GRANTED',
    retryable: false,
    orderId,
    sku: 'coin_100',
  });
  const inventory = await api.query<{ balances: Record<string, number> }>(
    'me.inventory',
    undefined,
    user.token,
  );
  expect(inventory.data?.balances.COIN).toBe(100);
});
