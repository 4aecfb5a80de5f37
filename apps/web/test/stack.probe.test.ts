import { afterAll, beforeAll, expect, test } from 'vitest';
import { installHost, type Stack, startStack } from './harness';

let stack: Stack;
beforeAll(async () => {
  const t = Date.now();
  stack = await startStack();
  console.error('stack up in', Date.now() - t);
}, 60_000);
afterAll(async () => stack?.close());

test('probe', async () => {
  const host = await installHost(stack);
  const sdk = await import('../src/iap/sdk');
  const products = await sdk.getProductItemList();
  console.error(JSON.stringify(products).slice(0, 500));
  const login = await sdk.login();
  console.error(JSON.stringify(login));
  const { createAppServices } = await import('../src/app/services');
  const services = createAppServices({ apiUrl: stack.apiUrl, grantTimeoutMs: 5000, completeTimeoutMs: 5000 });
  const out = await services.login();
  console.error(JSON.stringify(out));
  console.error(JSON.stringify(await services.api.inventory()));
  console.error(JSON.stringify(await services.api.catalog()).slice(0, 300));
  expect(host.userKey()).toBeTruthy();
});
