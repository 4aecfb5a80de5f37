/** Opened outside the Toss app (no bridge, no mock host): a clear message, no crash, no request to our server. */
import { iapErrorInfo } from '@ait-iap/iap-contract';
import { cleanup, render, screen } from '@testing-library/react';
import { afterAll, expect, test } from 'vitest';

afterAll(() => cleanup());

test('outside Toss the app says to open it in Toss and never calls the server', async () => {
  expect(window.ReactNativeWebView).toBeUndefined();
  const requests: string[] = [];
  const [{ App }, { createAppServices }] = await Promise.all([
    import('../src/App'),
    import('../src/app/services'),
  ]);
  const services = createAppServices(
    {
      apiUrl: 'http://127.0.0.1:9',
      grantWindowMs: 1_000,
      completeTimeoutMs: 1_000,
      recoveryTimeoutMs: 1_000,
    },
    {
      fetch: async (input) => {
        requests.push(String(input));
        throw new TypeError('no network in this test');
      },
    },
  );
  render(<App services={services} />);
  const message = await screen.findByTestId('error-HOST_UNAVAILABLE');
  expect(message.textContent).toContain(iapErrorInfo.HOST_UNAVAILABLE.title);
  expect(screen.getByTestId('login-failed')).toBeTruthy();
  expect(requests).toEqual([]);
});
