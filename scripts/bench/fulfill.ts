/**
 * Fulfill phase: N distinct paid orders fulfilled over HTTP at concurrency C, against
 *  - the baseline (bare node:http + the same SQLite write, baseline-server.ts),
 *  - the server with the partner API in-process (its own overhead only), and
 *  - the server against toss-mock over mTLS on loopback.
 * Each target is a fresh process on a fresh database: a warm-up (not timed), N timed requests (server CPU time, peak
 * RSS and commit group sizes over exactly that window), then more orders one at a time (C=1: one fulfillment's cost,
 * no queueing). A server target then has its ledger checked: every order granted once, wallets = ledger, and the
 * balances the users read back (me.inventory) = what the GRANTED orders credit.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { checkLedger, type LedgerReport } from './ledger-check';
import {
  type Client,
  expectReason,
  jsonClient,
  type LoadResult,
  mockControl,
  pooled,
  runLoad,
  runPool,
  serverApi,
  type TimedPass,
  timedPass,
  usage,
} from './load';
import { inprocServer } from './server-inproc';
import { type Running, startBaseline, startInproc, startMain, startMock } from './servers';

export type TargetKind = 'baseline' | 'inproc' | 'mtls';
export const targetLabels: Record<TargetKind, string> = {
  baseline: 'baseline: bare node:http + SQLite',
  inproc: 'server, partner API in-process',
  mtls: 'server, toss-mock over mTLS',
};

export interface FulfillOptions {
  orders: number;
  warmup: number;
  serial: number;
  users: number;
  tmpDir: string;
  certDir: string;
  /** Write a V8 CPU profile of the in-process server here (a separate pass, never a measured figure). */
  profileDir?: string;
}

/** Writes per COMMIT over the timed run: mean, and the histogram bucket holding the 99th percentile group. */
export type GroupSizes = NonNullable<ReturnType<typeof groupsBetween>>;

export interface TargetResult {
  kind: TargetKind;
  concurrency: number;
  load: LoadResult;
  /** The same request at C=1. */
  serial: LoadResult;
  /** Server CPU time (user + system) per timed request: steadier than req/s on a busy machine. */
  cpuMsPerRequest: number | null;
  rssPeakBytes: number | null;
  groups: GroupSizes | null;
  /** A baseline: the server target it was timed in turn with (its ratios are against this baseline). */
  pairedWith?: TargetKind;
  /** Server targets only. */
  ledger?: LedgerReport;
  balanceOk?: boolean;
}

type GroupSnapshot = { count: number; sum: number; buckets: [number, number][] };
const metric = 'ait_iap_db_commit_group_size';

/** The server's commit group histogram (`ait_iap_db_commit_group_size`, filled after each SQLite group COMMIT). */
export async function groupSnapshot(metricsUrl: string | null): Promise<GroupSnapshot | null> {
  if (!metricsUrl) return null;
  const text = await fetch(metricsUrl).then(
    (res) => res.text(),
    () => '',
  );
  const value = (line: string) => Number(line.slice(line.lastIndexOf(' ') + 1));
  const lines = text.split('\n').filter((l) => l.startsWith(metric));
  const buckets = lines
    .map((l) => [Number(/_bucket\{.*le="([\d.e+]+)"/.exec(l)?.[1]), value(l)] as [number, number])
    .filter(([le]) => Number.isFinite(le));
  const one = (suffix: string) => value(lines.find((l) => l.startsWith(`${metric}_${suffix}`)) ?? ' 0');
  return { count: one('count'), sum: one('sum'), buckets };
}

export function groupsBetween(before: GroupSnapshot | null, after: GroupSnapshot | null) {
  const groups = before && after ? after.count - before.count : 0;
  if (!before || !after || groups <= 0) return null;
  const earlier = new Map(before.buckets);
  const p99 = after.buckets.find(([le, n]) => n - (earlier.get(le) ?? 0) >= groups * 0.99)?.[0] ?? Infinity;
  return { groups, mean: (after.sum - before.sum) / groups, p99 };
}

/** A target started and warmed up: timed passes on it, then its C=1 run and (a server) its ledger check. */
interface StartedTarget {
  /** `count` timed orders from order `from`, with the target's CPU time over exactly that window. */
  timed(from: number, count: number): Promise<TimedPass>;
  /** The C=1 run; RSS and group sizes over every timed pass; then a server target is stopped and its ledger checked. */
  finish(passes: TimedPass[]): Promise<TargetResult>;
  stop(): Promise<void>;
}

/**
 * Start `kind` at concurrency `c` and warm it up. Order i is request i: 0..orders-1 are the timed ones (in passes),
 * then the C=1 ones, then the warm-up.
 */
async function startTarget(
  kind: TargetKind,
  c: number,
  o: FulfillOptions,
  /** A baseline: the server target it is timed beside (names its file). */
  beside?: TargetKind,
): Promise<StartedTarget> {
  const client = jsonClient(c);
  const name = `${kind}${beside ? `-for-${beside}` : ''}-c${c}${o.profileDir ? '-profiled' : ''}`;
  const db = path.join(o.tmpDir, `${name}.db`);
  const mock = kind === 'mtls' ? await startMock(o.certDir) : null;
  const stopAll = async () => {
    client.close();
    await server?.child.stop();
    await mock?.child.stop();
  };
  let server: Running | undefined;
  try {
    const orders = await orderPlan(o, mock ? mockControl(client, mock.controlUrl) : null);
    // The baseline writes into a file the server made: its migrations (every index a grant updates) and its catalog.
    if (kind === 'baseline') await (await inprocServer(db)).close();
    server =
      kind === 'baseline'
        ? await startBaseline(db)
        : mock
          ? await startMain(mock, db)
          : await startInproc(db, o.profileDir);
    const send =
      kind === 'baseline' ? baselineSend(client, server, orders) : await serverSend(client, server, orders);
    await runLoad(o.warmup, c, (i) => send.fulfill(o.orders + o.serial + i));
    return measuredTarget(kind, c, o, { server, db, orders, send, stopAll });
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The orders (and the login codes of their users): made up for the in-process partner, created in toss-mock. */
async function orderPlan(o: FulfillOptions, ctl: ReturnType<typeof mockControl> | null) {
  const total = o.orders + o.serial + o.warmup;
  if (!ctl) {
    const codes = Array.from({ length: o.users }, (_, i) => `bench-${i + 1}`);
    return {
      codes,
      list: Array.from({ length: total }, (_, i) => ({ id: randomUUID(), user: i % o.users })),
    };
  }
  const users = await runPool(o.users, 4, () => ctl.createUser());
  const list = await runPool(total, 4, async (i) => ({
    id: await ctl.createOrder(users[i % o.users]!.userKey),
    user: i % o.users,
  }));
  return { codes: users.map((u) => u.authorizationCode), list };
}

type Orders = Awaited<ReturnType<typeof orderPlan>>;
interface Sender {
  fulfill(i: number): Promise<string | null>;
  /** Server targets: the COIN balance the users read back (me.inventory), summed. */
  coins?: () => Promise<number>;
}

function baselineSend(client: Client, server: Running, orders: Orders): Sender {
  return {
    fulfill: async (i) => {
      const body = { orderId: orders.list[i]!.id, sku: 'coin_100' };
      const res = await client.request('POST', `${server.url}/fulfill`, body, {
        'x-user-id': `u${orders.list[i]!.user}`,
      });
      return res.body?.reason === 'GRANTED' ? null : `HTTP ${res.status} ${JSON.stringify(res.body)}`;
    },
  };
}

async function serverSend(client: Client, server: Running, orders: Orders): Promise<Sender> {
  const api = serverApi(client, server.url);
  const tokens = await runPool(orders.codes.length, 4, (i) => api.login(orders.codes[i]!));
  return {
    fulfill: async (i) =>
      expectReason(await api.fulfill(tokens[orders.list[i]!.user]!, orders.list[i]!.id), 'GRANTED'),
    coins: () => api.coins(tokens),
  };
}

function measuredTarget(
  kind: TargetKind,
  c: number,
  o: FulfillOptions,
  t: { server: Running; db: string; orders: Orders; send: Sender; stopAll: () => Promise<void> },
): StartedTarget {
  const pid = t.server.child.pid;
  let rssPeakBytes = usage(pid)?.rssBytes ?? null;
  let groupsBefore: Promise<GroupSnapshot | null> | null = null;
  const sampler = setInterval(() => {
    rssPeakBytes = Math.max(rssPeakBytes ?? 0, usage(pid)?.rssBytes ?? 0);
  }, 100);
  return {
    async timed(from, count) {
      groupsBefore ??= groupSnapshot(t.server.metricsUrl);
      await groupsBefore;
      return timedPass(pid, count, c, (i) => t.send.fulfill(from + i));
    },
    async finish(passes) {
      clearInterval(sampler);
      const groups = groupsBetween(await groupsBefore, await groupSnapshot(t.server.metricsUrl));
      const serial = await runLoad(o.serial, 1, (i) => t.send.fulfill(o.orders + i));
      const result = { kind, concurrency: c, ...pooled(passes), serial, rssPeakBytes, groups };
      if (!t.send.coins) return result;
      const coins = await t.send.coins();
      await t.server.child.stop();
      const ledger = checkLedger(
        t.db,
        t.orders.list.map((order) => order.id),
      );
      return { ...result, ledger, balanceOk: coins === ledger.grantedOrders * 100 };
    },
    async stop() {
      clearInterval(sampler);
      await t.stopAll();
    },
  };
}

/** One target on its own: start, every timed order in one pass, finish. */
export async function runTarget(kind: TargetKind, c: number, o: FulfillOptions): Promise<TargetResult> {
  const target = await startTarget(kind, c, o);
  try {
    return await target.finish([await target.timed(0, o.orders)]);
  } finally {
    await target.stop();
  }
}

/**
 * The baseline and a server target (`kind`) at `c`, both started and warmed up, timed in turn — baseline, server,
 * server, baseline, half the orders each pass — so a drift of the machine's speed during the phase (this VM's bare
 * baseline measured 911 to 1,308 req/s at C=8 in runs minutes apart) weighs on both sides alike. Each side's passes
 * are pooled.
 */
export async function runPair(
  c: number,
  o: FulfillOptions,
  kind: Exclude<TargetKind, 'baseline'> = 'inproc',
): Promise<[TargetResult, TargetResult]> {
  const baseline = await startTarget('baseline', c, o, kind);
  try {
    const server = await startTarget(kind, c, o);
    try {
      const half = Math.floor(o.orders / 2);
      const b1 = await baseline.timed(0, half);
      const s1 = await server.timed(0, half);
      const s2 = await server.timed(half, o.orders - half);
      const b2 = await baseline.timed(half, o.orders - half);
      return [{ ...(await baseline.finish([b1, b2])), pairedWith: kind }, await server.finish([s1, s2])];
    } finally {
      await server.stop();
    }
  } finally {
    await baseline.stop();
  }
}
