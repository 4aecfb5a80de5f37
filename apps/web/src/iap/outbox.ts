/**
 * THE OUTBOX — the device's own record of paid orders our server has not settled yet, so none is lost when Toss
 * cannot list it (`getPendingOrders` is missing before Android 5.234.0 / iOS 5.231.0: the host resolves
 * `undefined`) or the app closes mid-grant.
 *
 *   - processProductGrant writes `{ orderId, sku, subscriptionId? }` BEFORE it asks the server (purchase.ts).
 *   - Recovery replays every entry together with Toss's pending list, de-duplicated by orderId (recovery.ts).
 *   - An entry goes away only when the order is granted AND acknowledged to Toss (completeProductGrant succeeded,
 *     or this Toss app has no completeProductGrant), or when the server refused it for good (`retryable: false`,
 *     except UNDER_REVIEW). A held order (UNDER_REVIEW) stays while Toss still lists it as pending — or, on a Toss
 *     app that cannot list pending orders, until an operator decides.
 *
 * Stored in the SDK's native `Storage` (one JSON list under one key; `Storage` cannot list keys), or localStorage
 * when no Toss host is present. Storage must never break a purchase: every failure is logged and swallowed, and
 * every call has a deadline (a native call that never answers must not eat the grant window).
 * You probably don't need to edit this file.
 */
import type { FulfillOutput } from '@ait-iap/iap-contract';
import { Storage } from '@apps-in-toss/web-framework';
import { z } from 'zod';
import { type Clock, systemClock, within } from './clock';
import { hasTossHost } from './sdk';

/** The three calls the outbox needs from a key-value store (the SDK's `Storage` has exactly these). */
export interface KeyValueStore {
  getItem(key: string): Promise<string | null>;
  setItem(key: string, value: string): Promise<void>;
  removeItem(key: string): Promise<void>;
}

/** The SDK's native Storage inside Toss (or the toss-mock host); the page's localStorage elsewhere. */
export function deviceStore(): KeyValueStore {
  if (hasTossHost()) {
    return {
      getItem: (key) => Storage.getItem(key),
      setItem: (key, value) => Storage.setItem(key, value),
      removeItem: (key) => Storage.removeItem(key),
    };
  }
  return {
    getItem: async (key) => window.localStorage.getItem(key),
    setItem: async (key, value) => window.localStorage.setItem(key, value),
    removeItem: async (key) => window.localStorage.removeItem(key),
  };
}

export const OutboxEntry = z.object({
  orderId: z.string().min(1),
  sku: z.string().min(1),
  subscriptionId: z.string().min(1).optional(),
  /** Our server's user id when the entry was written: recovery replays only the signed-in user's entries. */
  userId: z.string().min(1).optional(),
  /** The server answered UNDER_REVIEW: held for an operator. */
  held: z.boolean().optional(),
});
export type OutboxEntry = z.infer<typeof OutboxEntry>;

export const OUTBOX_KEY = 'ait-iap:outbox:v1';

export interface OutboxOptions {
  store: KeyValueStore;
  /** The signed-in user (the session's server user id), or null before login. */
  userId?: () => string | null;
  /** Deadline for one storage call (default 2 s). */
  timeoutMs?: number;
  clock?: Clock;
  key?: string;
}

export interface Outbox {
  /** Remember a paid order before asking the server about it. Never throws. */
  add(entry: { orderId: string; sku: string; subscriptionId?: string }): Promise<void>;
  /** The signed-in user's entries (or entries written before any login). Never throws; [] when unreadable. */
  list(): Promise<OutboxEntry[]>;
  /** Forget an order (granted and acknowledged, or refused for good). Never throws. */
  remove(orderId: string): Promise<void>;
  /** Remember an order as held for an operator (UNDER_REVIEW), adding it when missing. Never throws. */
  markHeld(entry: { orderId: string; sku: string; subscriptionId?: string }): Promise<void>;
}

/**
 * What the outbox does with one order, given the server's answer (null: no answer) and, when granted, whether
 * Toss was told (`acknowledged`: completeProductGrant succeeded or does not exist on this Toss app).
 */
export function outboxAction(
  output: FulfillOutput | null,
  acknowledged: boolean,
): 'remove' | 'hold' | 'keep' {
  if (output === null) return 'keep';
  if (output.granted) return acknowledged ? 'remove' : 'keep';
  if (output.reason === 'UNDER_REVIEW') return 'hold';
  return output.retryable ? 'keep' : 'remove';
}

const Stored = z.array(z.unknown());

/** The stored value was read and is not an outbox list: nothing in it can be recovered. */
class CorruptOutbox extends Error {}

export function createOutbox(options: OutboxOptions): Outbox {
  const { store } = options;
  const key = options.key ?? OUTBOX_KEY;
  const timeoutMs = options.timeoutMs ?? 2_000;
  const clock = options.clock ?? systemClock;
  const currentUser = () => options.userId?.() ?? null;
  // Read-modify-write calls run one at a time, so two writers in one page never drop each other's entry.
  let queue: Promise<unknown> = Promise.resolve();
  function serial<T>(task: () => Promise<T>): Promise<T> {
    const run = queue.then(task, task);
    queue = run.catch(() => {});
    return run;
  }

  async function read(): Promise<OutboxEntry[]> {
    const raw = await within(store.getItem(key), timeoutMs, 'Storage.getItem', clock);
    if (raw === null || raw === undefined || raw === '') return [];
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new CorruptOutbox('the stored outbox is not JSON');
    }
    const list = Stored.safeParse(json);
    if (!list.success) throw new CorruptOutbox('the stored outbox is not a list');
    const entries: OutboxEntry[] = [];
    for (const item of list.data) {
      const parsed = OutboxEntry.safeParse(item);
      if (parsed.success) entries.push(parsed.data);
      else console.warn('[iap] outbox: dropping an entry with an unexpected shape', item);
    }
    return entries;
  }

  async function write(entries: OutboxEntry[]): Promise<void> {
    const call = entries.length === 0 ? store.removeItem(key) : store.setItem(key, JSON.stringify(entries));
    await within(call, timeoutMs, entries.length === 0 ? 'Storage.removeItem' : 'Storage.setItem', clock);
  }

  /** Read, change, write back — or log and give up (the purchase goes on without the outbox). */
  function update(what: string, change: (entries: OutboxEntry[]) => OutboxEntry[] | null): Promise<void> {
    return serial(async () => {
      try {
        let entries: OutboxEntry[];
        try {
          entries = await read();
        } catch (error) {
          // Read, but corrupt: nothing in it is recoverable, so start a fresh list rather than lose the new entry.
          // NOT for a read that failed or timed out: the stored list may hold paid orders that only it remembers
          // (Toss apps without getPendingOrders), and overwriting it would lose them. Then this change is skipped.
          if (!(error instanceof CorruptOutbox) || what === 'remove') throw error;
          console.warn('[iap] outbox: the stored list is corrupt; writing a new one', error);
          entries = [];
        }
        const next = change(entries);
        if (next !== null) await write(next);
      } catch (error) {
        console.warn(`[iap] outbox: ${what} failed (the purchase goes on)`, error);
      }
    });
  }

  function toRecord(entry: { orderId: string; sku: string; subscriptionId?: string }): OutboxEntry {
    const userId = currentUser();
    return {
      orderId: entry.orderId,
      sku: entry.sku,
      ...(entry.subscriptionId ? { subscriptionId: entry.subscriptionId } : {}),
      ...(userId ? { userId } : {}),
    };
  }

  return {
    add(entry) {
      const record = toRecord(entry);
      return update('add', (entries) =>
        entries.some((e) => e.orderId === record.orderId) ? null : [...entries, record],
      );
    },
    list() {
      return serial(async () => {
        try {
          const user = currentUser();
          return (await read()).filter((e) => e.userId === undefined || user === null || e.userId === user);
        } catch (error) {
          console.warn('[iap] outbox: could not read it (recovery uses Toss’s list alone)', error);
          return [];
        }
      });
    },
    remove(orderId) {
      return update('remove', (entries) =>
        entries.some((e) => e.orderId === orderId) ? entries.filter((e) => e.orderId !== orderId) : null,
      );
    },
    markHeld(entry) {
      return update('markHeld', (entries) => {
        const found = entries.find((e) => e.orderId === entry.orderId);
        if (found?.held) return null;
        if (!found) return [...entries, { ...toRecord(entry), held: true }];
        return entries.map((e) => (e.orderId === entry.orderId ? { ...e, held: true } : e));
      });
    },
  };
}
