/**
 * The screens' server reads (TanStack Query over tRPC): a read that started before a grant never overwrites what
 * the grant produced, whatever order the answers arrive in; a read after the session expired logs in again.
 */
import type { TossMockHost } from '@ait-iap/toss-mock/host';
import { act, cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import { balance, renderApp, setVisibility } from './app';
import { installHost, type Stack, sent, startStack } from './harness';

let stack: Stack;
let host: TossMockHost;

beforeAll(async () => {
  stack = await startStack();
  host = await installHost(stack);
}, 60_000);
afterAll(async () => {
  host?.uninstall();
  await stack?.close();
});
afterEach(() => cleanup());
beforeEach(async () => {
  await host.switchUser();
  setVisibility('visible');
});

/** The page's fetch, able to hold back the answer to the next me.inventory read until `release()`. */
function heldInventoryRead() {
  let armed = false;
  let release: (() => void) | null = null;
  let delivered: Promise<void> | null = null;
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (!armed || !url.includes('me.inventory')) return globalThis.fetch(input, init);
    armed = false;
    const answer = await globalThis.fetch(input, init); // the server answers now: the balance before the grant
    const body = await answer.text();
    let read!: () => void;
    delivered = new Promise<void>((resolve) => {
      read = resolve;
    });
    await new Promise<void>((resolve) => {
      release = resolve;
    });
    const late = new Response(body, { status: answer.status, headers: answer.headers });
    const json = late.json.bind(late);
    late.json = async () => {
      const value = await json();
      read();
      return value;
    };
    return late;
  };
  return {
    fetch,
    arm: () => {
      armed = true;
    },
    held: () => release !== null,
    /** Let the held answer arrive; resolves once the page has read its body. */
    release: async () => {
      release?.();
      await delivered;
    },
  };
}

test('an inventory read that started before a purchase never overwrites the balance the grant produced', async () => {
  const link = heldInventoryRead();
  await renderApp(stack, { fetch: link.fetch });
  expect(balance()).toBe('0');

  // Back in the foreground: the refund/subscription sync reads the inventory, and that answer (0 coins) is late.
  link.arm();
  setVisibility('hidden');
  setVisibility('visible');
  await waitFor(() => expect(link.held()).toBe(true));

  fireEvent.click(screen.getByTestId('buy-coin_100'));
  await waitFor(() => expect(balance()).toBe('100'));

  await act(async () => {
    await link.release();
  });
  expect(balance()).toBe('100');
});

test('a read after the session expired logs in again, once, and answers', async () => {
  const { services } = await renderApp(stack);
  fireEvent.click(screen.getByTestId('buy-coin_100'));
  await waitFor(() => expect(balance()).toBe('100'));
  stack.advanceServerClock(2 * 24 * 60 * 60 * 1000); // past the 24 h session
  const from = host.messages.length;

  const inventory = await services.trpc.me.inventory.query();
  expect(inventory.balances).toMatchObject({ COIN: 100 });
  expect(sent(host, from, 'method', 'appLogin')).toHaveLength(1);
});
