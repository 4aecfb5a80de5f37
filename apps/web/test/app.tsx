/** Render the real app (real SDK, toss-mock host, real server) the way main.tsx does, after the host is installed. */
import { render, screen, waitFor } from '@testing-library/react';
import { expect } from 'vitest';
import type { GrantRetryPolicy } from '../src/iap/grant';
import type { KeyValueStore } from '../src/iap/outbox';
import type { Stack } from './harness';

export interface RenderOptions {
  grantWindowMs?: number;
  /** Retries inside the grant window; tests default to short pauses so nothing waits for real. */
  grantRetry?: GrantRetryPolicy;
  /** The device storage behind the outbox. Default: the SDK's Storage over the bridge (the mock host's). */
  store?: KeyValueStore;
  /** Wrap the page's fetch (to take the server away, count requests). */
  fetch?: typeof globalThis.fetch;
}

export async function renderApp(stack: Stack, options: RenderOptions = {}) {
  const [{ App }, { createAppServices }] = await Promise.all([
    import('../src/App'),
    import('../src/app/services'),
  ]);
  const services = createAppServices(
    {
      apiUrl: stack.apiUrl,
      grantWindowMs: options.grantWindowMs ?? 5_000,
      grantRetry: options.grantRetry ?? { attemptTimeoutMs: 4_000, backoffMs: 20, maxBackoffMs: 200 },
      completeTimeoutMs: 3_000,
      recoveryTimeoutMs: 10_000,
    },
    {
      ...(options.store ? { store: options.store } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    },
  );
  const view = render(<App services={services} />);
  await screen.findByTestId('app-ready', undefined, { timeout: 10_000 });
  // The first refund sync runs right after the app is ready; let it settle so tests start from a quiet app.
  await waitFor(() => expect(screen.queryByTestId('pending-recovery')).toBeNull());
  return { view, services };
}

export function balance(currency = 'COIN'): string | null {
  return screen.queryByTestId(`balance-${currency}`)?.textContent ?? null;
}

/** Make happy-dom's document report `state` and fire visibilitychange, as a WebView does on return to the app. */
export function setVisibility(state: 'visible' | 'hidden') {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => state === 'hidden' });
  document.dispatchEvent(new Event('visibilitychange'));
}

/**
 * The fulfillment server as the page reaches it, with a switch: `down()` makes every request fail on the way (the
 * server is unreachable), `downWhile(condition)` while the condition holds, `up()` restores it. Records the iap.fulfill requests (their orderIds) that reached it.
 */
export function serverLink(options: { tag?: () => string } = {}) {
  let unreachable: () => boolean = () => false;
  const fulfilled: string[] = [];
  const refused: string[] = [];
  /** Every iap.fulfill request, reached or not, with the caller's tag at the time it was sent. */
  const requests: { orderId: string; reached: boolean; tag: string }[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    const isFulfill = url.includes('iap.fulfill');
    const orderId = isFulfill ? orderIdOf(init?.body) : null;
    const reachable = !unreachable();
    if (orderId) requests.push({ orderId, reached: reachable, tag: options.tag?.() ?? '' });
    if (!reachable) {
      if (orderId) refused.push(orderId);
      throw new TypeError('Failed to fetch');
    }
    if (orderId) fulfilled.push(orderId);
    return globalThis.fetch(input, init);
  };
  return {
    fetch,
    down: () => {
      unreachable = () => true;
    },
    /** Unreachable for as long as `condition()` holds (checked per request). */
    downWhile: (condition: () => boolean) => {
      unreachable = condition;
    },
    up: () => {
      unreachable = () => false;
    },
    /** orderIds of iap.fulfill requests that reached the server, in order. */
    fulfilled,
    /** orderIds of iap.fulfill requests that failed on the way. */
    refused,
    requests,
  };
}

function orderIdOf(body: unknown): string | null {
  if (typeof body !== 'string') return null;
  try {
    const parsed = JSON.parse(body) as { orderId?: unknown };
    return typeof parsed.orderId === 'string' ? parsed.orderId : null;
  } catch {
    return null;
  }
}

/** An in-memory stand-in for the device's storage that outlives the app (kept across unmount + render). */
export function memoryStore() {
  const data = new Map<string, string>();
  const writes: string[] = [];
  const store: KeyValueStore = {
    getItem: async (key) => data.get(key) ?? null,
    setItem: async (key, value) => {
      writes.push(value);
      data.set(key, value);
    },
    removeItem: async (key) => {
      writes.push('');
      data.delete(key);
    },
  };
  return { store, data, writes };
}
