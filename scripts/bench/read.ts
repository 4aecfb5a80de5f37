/**
 * Read phase: the pure read path, `me.inventory` (authed: session lookup + balances + entitlements) and
 * `catalog.list` (public), against a bare node:http handler doing the same SELECTs on the same database file
 * (read-baseline-server.ts). The in-process server first logs users in and grants each a few orders, so wallets
 * have rows; then both processes run side by side (WAL: readers don't block each other) and each endpoint is timed
 * on the bare handler, the server, the server again and the bare handler again (A B B A), so a change in the
 * machine's load during the phase weighs on both sides alike. Reported per side: req/s over both passes, the later
 * pass's latency, and CPU ms per request (the robust figure on a busy machine).
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { serverApi } from './api';
import { createJsonClient, type JsonResponse, type LoadResult, runLoad, runPool } from './http';
import { readCpuMs } from './proc';
import { type RunningServer, startInprocServer, startReadBaseline } from './targets';

export interface ReadOptions {
  requests: number;
  warmup: number;
  concurrency: number;
  users: number;
  tmpDir: string;
}

export interface ReadSide {
  /** requests ÷ elapsed over both passes. */
  rps: number;
  /** The second pass's latency summary (the first warms the other side's caches too). */
  load: LoadResult;
  cpuMsPerRequest: number | null;
  failed: number;
}

export interface ReadEndpointResult {
  endpoint: 'me.inventory' | 'catalog.list';
  server: ReadSide;
  bare: ReadSide;
  /** The two sides gave the same data for the same request (checked once before timing). */
  sameAnswer: boolean;
}

export interface ReadPhaseResult {
  requests: number;
  concurrency: number;
  users: number;
  endpoints: ReadEndpointResult[];
}

const dataOf = (res: JsonResponse) => (res.body as { result?: { data?: unknown } } | undefined)?.result?.data;

/** JSON with object keys sorted, so two answers compare by content. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );

export async function runRead(options: ReadOptions): Promise<ReadPhaseResult> {
  const databasePath = path.join(options.tmpDir, 'read.db');
  const server = await startInprocServer(databasePath);
  const client = createJsonClient({ maxSockets: options.concurrency });
  let bare: RunningServer | null = null;
  try {
    const api = serverApi(client, server.url);
    const tokens = await runPool(options.users, Math.min(4, options.concurrency), async (i) => {
      return (await api.login(`bench-${i + 1}`)).token;
    });
    // A few grants per user, so me.inventory reads real wallet rows.
    await runPool(options.users * 3, Math.min(4, options.concurrency), async (i) => {
      await api.fulfill(tokens[i % options.users]!, randomUUID(), 'coin_100');
    });
    bare = await startReadBaseline(databasePath);
    const bareUrl = bare.url;

    const endpoints: ReadEndpointResult[] = [];
    const plans = [
      {
        endpoint: 'me.inventory' as const,
        server: (i: number) => api.inventoryRaw(tokens[i % tokens.length]!),
        bare: (i: number) =>
          client.request('GET', `${bareUrl}/inventory`, undefined, {
            authorization: `Bearer ${tokens[i % tokens.length]}`,
          }),
      },
      {
        endpoint: 'catalog.list' as const,
        server: () => api.catalogListRaw(),
        bare: () => client.request('GET', `${bareUrl}/catalog`),
      },
    ];
    for (const plan of plans) {
      const sameAnswer = canonical(dataOf(await plan.server(0))) === canonical(dataOf(await plan.bare(0)));
      const check = (res: JsonResponse) =>
        res.status === 200 && dataOf(res) !== undefined ? null : `HTTP ${res.status}`;
      const pass = async (target: RunningServer, send: (i: number) => Promise<JsonResponse>) => {
        const cpuBefore = readCpuMs(target.child.pid);
        const load = await runLoad(Math.ceil(options.requests / 2), options.concurrency, async (i) =>
          check(await send(i)),
        );
        const cpuAfter = readCpuMs(target.child.pid);
        return { load, cpuMs: cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null };
      };
      await runLoad(options.warmup, options.concurrency, async (i) => check(await plan.bare(i)));
      await runLoad(options.warmup, options.concurrency, async (i) => check(await plan.server(i)));
      const bare1 = await pass(bare, plan.bare);
      const server1 = await pass(server, plan.server);
      const server2 = await pass(server, plan.server);
      const bare2 = await pass(bare, plan.bare);
      const side = (a: typeof bare1, b: typeof bare1): ReadSide => {
        const requests = a.load.requests + b.load.requests;
        return {
          rps: requests / ((a.load.elapsedMs + b.load.elapsedMs) / 1000),
          load: b.load,
          cpuMsPerRequest: a.cpuMs !== null && b.cpuMs !== null ? (a.cpuMs + b.cpuMs) / requests : null,
          failed: a.load.failed + b.load.failed,
        };
      };
      endpoints.push({
        endpoint: plan.endpoint,
        server: side(server1, server2),
        bare: side(bare1, bare2),
        sameAnswer,
      });
    }
    return { requests: options.requests, concurrency: options.concurrency, users: options.users, endpoints };
  } finally {
    client.close();
    await bare?.child.stop();
    await server.child.stop();
  }
}
