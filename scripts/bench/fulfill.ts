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
  expectReason,
  jsonClient,
  type LoadResult,
  mockControl,
  runLoad,
  runPool,
  serverApi,
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

/** Warm-up, the timed run (with CPU, RSS and group sizes over it), then the C=1 run; request i is order i. */
async function measure(
  server: Running,
  c: number,
  o: FulfillOptions,
  send: (i: number) => Promise<string | null>,
) {
  await runLoad(o.warmup, c, (i) => send(o.orders + o.serial + i));
  const pid = server.child.pid;
  let rssPeakBytes = usage(pid)?.rssBytes ?? null;
  const sampler = setInterval(() => {
    rssPeakBytes = Math.max(rssPeakBytes ?? 0, usage(pid)?.rssBytes ?? 0);
  }, 100);
  const [groupsBefore, cpuBefore] = [await groupSnapshot(server.metricsUrl), usage(pid)?.cpuMs];
  const load = await runLoad(o.orders, c, send);
  const cpuAfter = usage(pid)?.cpuMs;
  clearInterval(sampler);
  const groups = groupsBetween(groupsBefore, await groupSnapshot(server.metricsUrl));
  const serial = await runLoad(o.serial, 1, (i) => send(o.orders + i));
  const cpuMsPerRequest =
    cpuBefore !== undefined && cpuAfter !== undefined ? (cpuAfter - cpuBefore) / o.orders : null;
  return { concurrency: c, load, serial, cpuMsPerRequest, rssPeakBytes, groups };
}

/** Start a fresh target, then fulfill warm-up, timed and C=1 orders on it; a server target then has its ledger checked. */
export async function runTarget(
  kind: TargetKind,
  concurrency: number,
  o: FulfillOptions,
): Promise<TargetResult> {
  const client = jsonClient(concurrency);
  const db = path.join(o.tmpDir, `${kind}-c${concurrency}${o.profileDir ? '-profiled' : ''}.db`);
  const mock = kind === 'mtls' ? await startMock(o.certDir) : null;
  let server: Running | undefined;
  try {
    const total = o.orders + o.serial + o.warmup;
    let codes = Array.from({ length: o.users }, (_, i) => `bench-${i + 1}`);
    let orders: { id: string; user: number }[] = Array.from({ length: total }, (_, i) => ({
      id: randomUUID(),
      user: i % o.users,
    }));
    if (mock) {
      const ctl = mockControl(client, mock.controlUrl);
      const users = await runPool(o.users, 4, () => ctl.createUser());
      codes = users.map((u) => u.authorizationCode);
      orders = await runPool(total, 4, async (i) => ({
        id: await ctl.createOrder(users[i % o.users]!.userKey),
        user: i % o.users,
      }));
    }
    // The baseline writes into a file the server made: its migrations (every index a grant updates) and its catalog.
    if (kind === 'baseline') await (await inprocServer(db)).close();
    const started =
      kind === 'baseline'
        ? await startBaseline(db)
        : mock
          ? await startMain(mock, db)
          : await startInproc(db, o.profileDir);
    server = started;
    if (kind === 'baseline') {
      const send = async (i: number) => {
        const body = { orderId: orders[i]!.id, sku: 'coin_100' };
        const res = await client.request('POST', `${started.url}/fulfill`, body, {
          'x-user-id': `u${orders[i]!.user}`,
        });
        return res.body?.reason === 'GRANTED' ? null : `HTTP ${res.status} ${JSON.stringify(res.body)}`;
      };
      return { kind, ...(await measure(started, concurrency, o, send)) };
    }
    const api = serverApi(client, started.url);
    const tokens = await runPool(codes.length, 4, (i) => api.login(codes[i]!));
    const send = async (i: number) =>
      expectReason(await api.fulfill(tokens[orders[i]!.user]!, orders[i]!.id), 'GRANTED');
    const measured = await measure(started, concurrency, o, send);
    const coins = await api.coins(tokens);
    await started.child.stop();
    const ledger = checkLedger(
      db,
      orders.map((order) => order.id),
    );
    return { kind, ...measured, ledger, balanceOk: coins === ledger.grantedOrders * 100 };
  } finally {
    client.close();
    await server?.child.stop();
    await mock?.child.stop();
  }
}
