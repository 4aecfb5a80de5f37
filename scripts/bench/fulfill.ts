/**
 * Throughput/latency phase: N distinct paid orders fulfilled over HTTP at concurrency C, against
 *  1. the baseline (bare node:http + the same SQLite write, no framework, no verification),
 *  2. the fulfillment server with the partner API answered in-process (server overhead only),
 *  3. the fulfillment server against toss-mock over mTLS on loopback.
 * Each target is a fresh process on a fresh database; a warm-up (not timed) precedes the N timed requests.
 * Server RSS is sampled from /proc every 100 ms during the timed run. Afterwards the ledger is checked: every order
 * granted exactly once, wallets equal their entries.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { sleep } from '../lib/processes.mjs';
import { mockControl, serverApi } from './api';
import { type GroupSizes, groupSizesBetween, snapshotGroupSizes } from './group-sizes';
import { createJsonClient, type LoadResult, runLoad, runPool } from './http';
import { checkLedger, type LedgerReport } from './ledger-check';
import { readCpuMs, readRss } from './proc';
import { type RunningServer, startBaseline, startInprocServer, startMainServer, startMock } from './targets';

export interface FulfillOptions {
  orders: number;
  warmup: number;
  /** Extra orders fulfilled one at a time after the timed run: the service time without queueing. */
  serial: number;
  concurrency: number;
  users: number;
  tmpDir: string;
  certDir: string;
  /** When set, the in-process server's timed run is CPU-profiled into this file. */
  profilePath?: string;
  log: (line: string) => void;
}

export interface TargetResult {
  label: string;
  load: LoadResult;
  /** The same request at concurrency 1 (no queueing): what one fulfillment costs. */
  serial: LoadResult;
  rssPeakBytes: number | null;
  rssEndBytes: number | null;
  /** Server CPU time (user + system) per timed request: robust to a busy machine, unlike req/s. */
  cpuMsPerRequest: number | null;
  /** Writes per SQLite COMMIT over the timed run (group commit); null for the baseline. */
  groupSizes: GroupSizes | null;
  /** null for the baseline (its tables are a subset). */
  ledger: LedgerReport | null;
  /** Sum of COIN balances read back through me.inventory vs what the granted orders should credit. */
  balanceOk: boolean | null;
}

export interface FulfillPhaseResult {
  baseline: TargetResult;
  inproc: TargetResult;
  mock: TargetResult;
}

const sku = 'coin_100';
const coinPerOrder = 100;

function sampleRss(pid: number) {
  let peak = 0;
  let last = 0;
  const tick = () => {
    const rss = readRss(pid);
    if (rss) {
      last = rss.rssBytes;
      peak = Math.max(peak, rss.rssBytes);
    }
  };
  tick();
  const timer = setInterval(tick, 100);
  return {
    stop() {
      clearInterval(timer);
      tick();
      return { peak: peak || null, end: last || null };
    },
  };
}

async function timed(
  server: RunningServer,
  options: FulfillOptions,
  send: (index: number) => Promise<string | null>,
): Promise<{
  load: LoadResult;
  serial: LoadResult;
  rssPeakBytes: number | null;
  rssEndBytes: number | null;
  cpuMsPerRequest: number | null;
  groupSizes: GroupSizes | null;
}> {
  // Warm-up: the same requests on other orders, not timed (JIT, SQLite page cache, keep-alive sockets).
  await runLoad(options.warmup, options.concurrency, (i) => send(options.orders + i));
  const profiling = options.profilePath !== undefined && server.env.BENCH_CPU_PROFILE !== undefined;
  if (profiling) server.child.process.kill('SIGUSR2'); // start the profiler: steady state only
  const groupsBefore = await snapshotGroupSizes(server.metricsUrl);
  const sampler = sampleRss(server.child.pid);
  const cpuBefore = readCpuMs(server.child.pid);
  const load = await runLoad(options.orders, options.concurrency, send);
  const cpuAfter = readCpuMs(server.child.pid);
  const groupSizes = groupSizesBetween(groupsBefore, await snapshotGroupSizes(server.metricsUrl));
  const rss = sampler.stop();
  if (profiling) await stopProfiler(server);
  const serial = await runLoad(options.serial, 1, (i) => send(options.orders + options.warmup + i));
  const cpuMsPerRequest =
    cpuBefore !== null && cpuAfter !== null && load.requests > 0
      ? (cpuAfter - cpuBefore) / load.requests
      : null;
  return { load, serial, rssPeakBytes: rss.peak, rssEndBytes: rss.end, cpuMsPerRequest, groupSizes };
}

async function stopProfiler(server: RunningServer): Promise<void> {
  server.child.process.kill('SIGUSR2');
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && server.child.grep(/"event":"bench\.profile_written"/).length === 0)
    await sleep(50);
}

/** Orders a target needs: timed + warm-up + serial. */
const totalOrders = (options: FulfillOptions) => options.orders + options.warmup + options.serial;

export async function runBaseline(options: FulfillOptions): Promise<TargetResult> {
  const server = await startBaseline(path.join(options.tmpDir, 'baseline.db'));
  const client = createJsonClient({ maxSockets: options.concurrency });
  try {
    const orderIds = Array.from({ length: totalOrders(options) }, () => randomUUID());
    const result = await timed(server, options, async (i) => {
      const res = await client.request(
        'POST',
        `${server.url}/fulfill`,
        { orderId: orderIds[i], sku },
        { 'x-user-id': `bench-user-${i % options.users}` },
      );
      const body = res.body as { granted?: boolean; reason?: string };
      return res.status === 200 && body.reason === 'GRANTED'
        ? null
        : `HTTP ${res.status} ${JSON.stringify(body)}`;
    });
    return { label: 'baseline: bare node:http + SQLite', ...result, ledger: null, balanceOk: null };
  } finally {
    client.close();
    await server.child.stop();
  }
}

/** Log users in, fulfill N+warm-up orders, then read balances back and check the ledger. */
async function runServerTarget(
  label: string,
  server: RunningServer,
  options: FulfillOptions,
  users: { code: string }[],
  orderFor: (index: number) => { orderId: string; user: number },
  orderIds: string[],
): Promise<TargetResult> {
  const client = createJsonClient({ maxSockets: options.concurrency });
  try {
    const api = serverApi(client, server.url);
    const tokens = await runPool(users.length, Math.min(4, options.concurrency), async (i) => {
      return (await api.login(users[i]!.code)).token;
    });
    const result = await timed(server, options, async (i) => {
      const order = orderFor(i);
      const res = await api.fulfillRaw(tokens[order.user]!, order.orderId, sku);
      const body = res.body as { result?: { data?: { granted?: boolean; reason?: string } } };
      return res.status === 200 && body.result?.data?.reason === 'GRANTED'
        ? null
        : `HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`;
    });
    let coins = 0;
    for (const token of tokens) coins += (await api.inventory(token)).balances.COIN ?? 0;
    await server.child.stop();
    const ledger = checkLedger(server.databasePath, orderIds);
    // What the users see (me.inventory) must be what the ledger's GRANTED orders credit.
    const balanceOk = coins === ledger.grantedOrders * coinPerOrder;
    return { label, ...result, ledger, balanceOk };
  } finally {
    client.close();
    await server.child.stop();
  }
}

export async function runInproc(options: FulfillOptions): Promise<TargetResult> {
  const server = await startInprocServer(path.join(options.tmpDir, 'inproc.db'), options.profilePath);
  const users = Array.from({ length: options.users }, (_, i) => ({ code: `bench-${i + 1}` }));
  const orderIds = Array.from({ length: totalOrders(options) }, () => randomUUID());
  return runServerTarget(
    'server, partner API in-process',
    server,
    options,
    users,
    (i) => ({ orderId: orderIds[i]!, user: i % options.users }),
    orderIds,
  );
}

export async function runMockTarget(options: FulfillOptions): Promise<TargetResult> {
  const mock = await startMock(options.certDir);
  const control = createJsonClient({ maxSockets: 4 });
  try {
    const ctl = mockControl(control, mock.controlUrl);
    const users = await runPool(options.users, 4, () => ctl.createUser());
    const total = totalOrders(options);
    const orders = await runPool(total, 4, async (i) => {
      const user = i % options.users;
      const { orderId } = await ctl.createOrder(users[user]!.userKey, sku);
      return { orderId, user };
    });
    const server = await startMainServer(mock, path.join(options.tmpDir, 'mock.db'));
    return await runServerTarget(
      'server, toss-mock over mTLS',
      server,
      options,
      users.map((u) => ({ code: u.authorizationCode })),
      (i) => orders[i]!,
      orders.map((o) => o.orderId),
    );
  } finally {
    control.close();
    await mock.child.stop();
  }
}
