/**
 * Read phase: `me.inventory` (session lookup, balances, entitlements) and `catalog.list` on the in-process server,
 * against the baseline's `/inventory` and `/catalog` doing the same SELECTs on the same database file. The server
 * first logs users in and grants each a few orders (so wallets have rows); both sides must give the same data for the
 * same request. Each endpoint is timed bare, server, server, bare (half the requests each time), so a change in the
 * machine's load weighs on both sides alike: req/s and CPU ms/req over both passes, latency from the later one.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  type Answer,
  dataOf,
  jsonClient,
  type LoadResult,
  pooled,
  runLoad,
  runPool,
  serverApi,
  type TimedPass,
  timedPass,
} from './load';
import { type Running, startBaseline, startInproc } from './servers';

export interface ReadSide {
  rps: number;
  /** The later pass. */
  load: LoadResult;
  cpuMsPerRequest: number | null;
  failed: number;
}
export interface ReadResult {
  endpoint: 'me.inventory' | 'catalog.list';
  server: ReadSide;
  bare: ReadSide;
  sameAnswer: boolean;
}

/** JSON with object keys sorted, so two answers compare by content. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v,
  );

const concurrency = 8;

export async function runRead(o: { requests: number; warmup: number; users: number; tmpDir: string }) {
  const databasePath = path.join(o.tmpDir, 'read.db');
  const server = await startInproc(databasePath);
  const client = jsonClient(concurrency);
  let bare: Running | undefined;
  try {
    const api = serverApi(client, server.url);
    const tokens = await runPool(o.users, 4, (i) => api.login(`bench-${i + 1}`));
    await runPool(o.users * 3, 4, (i) => api.fulfill(tokens[i % o.users]!, randomUUID()));
    bare = await startBaseline(databasePath);
    const token = (i: number) => tokens[i % tokens.length]!;
    const bareGet = (route: string, i: number) =>
      client.request('GET', `${bare!.url}/${route}`, undefined, { authorization: `Bearer ${token(i)}` });
    const plans = [
      {
        endpoint: 'me.inventory',
        server: (i: number) => api.inventory(token(i)),
        bare: (i: number) => bareGet('inventory', i),
      },
      { endpoint: 'catalog.list', server: () => api.catalog(), bare: (i: number) => bareGet('catalog', i) },
    ] as const;
    const results: ReadResult[] = [];
    for (const plan of plans) {
      const sameAnswer = canonical(dataOf(await plan.server(0))) === canonical(dataOf(await plan.bare(0)));
      const check = async (answer: Promise<Answer>) => {
        const res = await answer;
        return res.status === 200 && dataOf(res) ? null : `HTTP ${res.status}`;
      };
      const pass = (target: Running, send: (i: number) => Promise<Answer>) =>
        timedPass(target.child.pid, Math.ceil(o.requests / 2), concurrency, (i) => check(send(i)));
      await runLoad(o.warmup, concurrency, (i) => check(plan.bare(i)));
      await runLoad(o.warmup, concurrency, (i) => check(plan.server(i)));
      const [bare1, server1, server2, bare2] = [
        await pass(bare, plan.bare),
        await pass(server, plan.server),
        await pass(server, plan.server),
        await pass(bare, plan.bare),
      ];
      // Both passes pooled for req/s and CPU; latency from the later one (as the report says).
      const side = (a: TimedPass, b: TimedPass): ReadSide => {
        const both = pooled([a, b]);
        return {
          rps: both.load.rps,
          load: b.load,
          cpuMsPerRequest: both.cpuMsPerRequest,
          failed: both.load.failed,
        };
      };
      results.push({
        endpoint: plan.endpoint,
        server: side(server1, server2),
        bare: side(bare1, bare2),
        sameAnswer,
      });
    }
    return results;
  } finally {
    client.close();
    await bare?.child.stop();
    await server.child.stop();
  }
}
