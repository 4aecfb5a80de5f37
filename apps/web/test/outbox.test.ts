/**
 * The outbox on its own (src/iap/outbox.ts): what it keeps and forgets for each server answer, that writers in one
 * page never drop each other's entries, and that a failing, hanging or corrupt store never throws at the purchase.
 */
import type { FulfillOutput } from '@ait-iap/iap-contract';
import { describe, expect, test, vi } from 'vitest';
import { createOutbox, type KeyValueStore, OUTBOX_KEY, outboxAction } from '../src/iap/outbox';
import { virtualClock } from './clock';

function memoryStore(initial: Record<string, string> = {}) {
  const data = new Map(Object.entries(initial));
  const store: KeyValueStore = {
    getItem: async (key) => data.get(key) ?? null,
    setItem: async (key, value) => {
      data.set(key, value);
    },
    removeItem: async (key) => {
      data.delete(key);
    },
  };
  return { store, data };
}

const order = (n: number) => ({ orderId: `order-${n}`, sku: 'coin_100' });
const answer = (output: Partial<FulfillOutput>): FulfillOutput => ({
  granted: false,
  reason: 'NOT_PAID',
  retryable: false,
  orderId: 'order-1',
  ...output,
});

describe('what the outbox does with each answer', () => {
  test.each([
    ['granted and acknowledged to Toss', answer({ granted: true, reason: 'GRANTED' }), true, 'remove'],
    [
      'granted before, acknowledged now',
      answer({ granted: true, reason: 'ALREADY_GRANTED' }),
      true,
      'remove',
    ],
    ['granted, but Toss was not told yet', answer({ granted: true, reason: 'GRANTED' }), false, 'keep'],
    ['refused for good (not paid)', answer({ reason: 'NOT_PAID', retryable: false }), false, 'remove'],
    ['refused for good (refunded)', answer({ reason: 'REFUNDED', retryable: false }), false, 'remove'],
    ['held for an operator (not final)', answer({ reason: 'UNDER_REVIEW', retryable: false }), false, 'hold'],
    [
      'Toss was unreachable (retryable)',
      answer({ reason: 'UPSTREAM_UNAVAILABLE', retryable: true }),
      false,
      'keep',
    ],
    ['payment still in progress', answer({ reason: 'PAYMENT_IN_PROGRESS', retryable: true }), false, 'keep'],
  ] as const)('%s → %s', (_name, output, acknowledged, action) => {
    expect(outboxAction(output, acknowledged)).toBe(action);
  });

  test('no answer at all keeps the order', () => {
    expect(outboxAction(null, false)).toBe('keep');
  });
});

describe('the stored list', () => {
  test('keeps one entry per order, with the subscription and the signed-in user', async () => {
    const { store } = memoryStore();
    const outbox = createOutbox({ store, userId: () => 'user-1' });
    await outbox.add({ orderId: 'sub-1', sku: 'premium_monthly', subscriptionId: 'subscription-9' });
    await outbox.add({ orderId: 'sub-1', sku: 'premium_monthly', subscriptionId: 'subscription-9' });
    expect(await outbox.list()).toEqual([
      { orderId: 'sub-1', sku: 'premium_monthly', subscriptionId: 'subscription-9', userId: 'user-1' },
    ]);
  });

  test('writes at once (adds, a hold, a remove) lose nothing', async () => {
    const { store } = memoryStore();
    const outbox = createOutbox({ store });
    await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((n) => outbox.add(order(n))));
    await Promise.all([outbox.remove('order-2'), outbox.markHeld(order(5))]);
    const entries = await outbox.list();
    expect(entries.map((e) => e.orderId)).toEqual([1, 3, 4, 5, 6, 7, 8].map((n) => `order-${n}`));
    expect(entries.find((e) => e.orderId === 'order-5')?.held).toBe(true);
  });

  test('marking an order held that the outbox did not have adds it, held', async () => {
    const { store } = memoryStore();
    const outbox = createOutbox({ store });
    await outbox.markHeld(order(7));
    expect(await outbox.list()).toEqual([{ orderId: 'order-7', sku: 'coin_100', held: true }]);
  });

  test("another user's entries stay stored but are not replayed for this user", async () => {
    const { store } = memoryStore();
    let user = 'user-a';
    const outbox = createOutbox({ store, userId: () => user });
    await outbox.add(order(1));
    user = 'user-b';
    await outbox.add(order(2));
    expect((await outbox.list()).map((e) => e.orderId)).toEqual(['order-2']);
    user = 'user-a';
    expect((await outbox.list()).map((e) => e.orderId)).toEqual(['order-1']);
  });

  test('the last entry removed removes the key', async () => {
    const { store, data } = memoryStore();
    const outbox = createOutbox({ store });
    await outbox.add(order(1));
    expect(data.has(OUTBOX_KEY)).toBe(true);
    await outbox.remove('order-1');
    expect(data.has(OUTBOX_KEY)).toBe(false);
  });
});

describe('a store that fails never breaks a purchase', () => {
  test('every call rejecting: add, hold and remove resolve, list is empty, and each failure is logged', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const broken: KeyValueStore = {
      getItem: () => Promise.reject(new Error('native storage unavailable')),
      setItem: () => Promise.reject(new Error('disk full')),
      removeItem: () => Promise.reject(new Error('native storage unavailable')),
    };
    const outbox = createOutbox({ store: broken });
    await expect(outbox.add(order(1))).resolves.toBeUndefined();
    await expect(outbox.markHeld(order(1))).resolves.toBeUndefined();
    await expect(outbox.remove('order-1')).resolves.toBeUndefined();
    await expect(outbox.list()).resolves.toEqual([]);
    expect(warn.mock.calls.length).toBeGreaterThanOrEqual(4);
    warn.mockRestore();
  });

  test('a store that never answers gives up after its deadline instead of holding the grant', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { clock, elapsed } = virtualClock();
    const hung: KeyValueStore = {
      getItem: () => new Promise(() => {}),
      setItem: () => new Promise(() => {}),
      removeItem: () => new Promise(() => {}),
    };
    const outbox = createOutbox({ store: hung, clock, timeoutMs: 2_000 });
    await outbox.add(order(1));
    // One deadline to read; no write over a list it could not read.
    expect(elapsed()).toBe(2_000);
    await expect(outbox.list()).resolves.toEqual([]);
    warn.mockRestore();
  });

  test('a slow read never overwrites the stored list: orders only the outbox remembers survive the next purchase', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { clock } = virtualClock();
    const { store } = memoryStore({});
    const outbox = createOutbox({ store, clock, timeoutMs: 2_000 });
    await outbox.add(order(1));
    await outbox.add(order(2));
    // The native bridge answers one read too late (a busy device): the next add gives up instead of writing [3].
    const realGet = store.getItem.bind(store);
    let slow = true;
    store.getItem = (key) => {
      if (!slow) return realGet(key);
      slow = false;
      return new Promise(() => {});
    };
    await outbox.add(order(3));
    expect(await outbox.list()).toEqual([order(1), order(2)]);
    warn.mockRestore();
  });

  test('a corrupt stored value is replaced by a list with the new order, not thrown at the caller', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { store } = memoryStore({ [OUTBOX_KEY]: '{not json' });
    const outbox = createOutbox({ store });
    await expect(outbox.list()).resolves.toEqual([]);
    await outbox.add(order(3));
    expect(await outbox.list()).toEqual([order(3)]);
    warn.mockRestore();
  });
});
