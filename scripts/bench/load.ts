/**
 * How the bench talks and measures: one JSON-over-HTTP client (node:http, keep-alive), a closed-loop load generator
 * (`concurrency` workers, each sending its next request as soon as the last one answered), nearest-rank percentiles,
 * a process's CPU time and RSS from /proc, and the calls the bench makes to the server (tRPC, no transformer: the
 * input is the body, the output `result.data`) and to toss-mock's control API.
 */

import { readFileSync } from 'node:fs';
import http from 'node:http';

export interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: JSON from the wire, read by the caller that knows its shape
  body: any;
}
export type Client = ReturnType<typeof jsonClient>;

export function jsonClient(maxSockets: number, timeoutMs = 30_000) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const request = (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) =>
    new Promise<Answer>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const typed =
        payload === undefined
          ? {}
          : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) };
      const req = http.request(url, { method, agent, headers: { ...typed, ...headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {} // keep the raw text
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no response within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  return { request, close: () => agent.destroy() };
}

/** Run `count` tasks with at most `concurrency` in flight; results keep the task order. */
export async function runPool<T>(count: number, concurrency: number, task: (i: number) => Promise<T>) {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) results[i] = await task(i);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

/** Nearest-rank percentile of an ascending-sorted array: p99 of 100 samples is the 99th smallest. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export type LoadResult = ReturnType<typeof loadResult>;

/** `count` requests at `concurrency`, each timed; `send(i)` returns null when the answer is the expected one. */
export async function runLoad(
  count: number,
  concurrency: number,
  send: (i: number) => Promise<string | null>,
) {
  const latencies: number[] = [];
  const failures: string[] = []; // the first few, for the report
  let failed = 0;
  const started = performance.now();
  await runPool(count, concurrency, async (i) => {
    const t0 = performance.now();
    const problem = await send(i).catch((error: Error) => error.message);
    latencies.push(performance.now() - t0);
    if (problem === null) return;
    failed += 1;
    if (failures.length < 5) failures.push(problem);
  });
  return loadResult({ requests: count, failed, elapsedMs: performance.now() - started, failures }, latencies);
}

function loadResult(
  counts: { requests: number; failed: number; elapsedMs: number; failures: string[] },
  latencies: number[],
) {
  latencies.sort((a, b) => a - b);
  const [p50Ms, p99Ms] = [percentile(latencies, 50), percentile(latencies, 99)];
  return { ...counts, rps: counts.requests / (counts.elapsedMs / 1000), p50Ms, p99Ms, latencies };
}

/** Timed runs as one: requests, failures and time added (req/s over their sum), latencies pooled for the percentiles. */
export function mergeLoads(loads: LoadResult[]): LoadResult {
  const sum = (pick: (l: LoadResult) => number) => loads.reduce((total, l) => total + pick(l), 0);
  return loadResult(
    {
      requests: sum((l) => l.requests),
      failed: sum((l) => l.failed),
      elapsedMs: sum((l) => l.elapsedMs),
      failures: loads.flatMap((l) => l.failures).slice(0, 5),
    },
    loads.flatMap((l) => l.latencies),
  );
}

/** One timed pass of a closed loop against a process, with that process's CPU time over exactly that window. */
export interface TimedPass {
  load: LoadResult;
  cpuMs: number | null;
}

export async function timedPass(
  pid: number,
  requests: number,
  concurrency: number,
  send: (i: number) => Promise<string | null>,
): Promise<TimedPass> {
  const before = usage(pid)?.cpuMs;
  const load = await runLoad(requests, concurrency, send);
  const after = usage(pid)?.cpuMs;
  return { load, cpuMs: before !== undefined && after !== undefined ? after - before : null };
}

/** Several timed passes as one: their requests and times added, their latencies pooled. */
export function pooled(passes: TimedPass[]): { load: LoadResult; cpuMsPerRequest: number | null } {
  const load = mergeLoads(passes.map((p) => p.load));
  const cpu = passes.map((p) => p.cpuMs);
  const cpuMs = cpu.every((ms) => ms !== null) ? cpu.reduce((a, b) => a + (b as number), 0) : null;
  return { load, cpuMsPerRequest: cpuMs === null ? null : cpuMs / load.requests };
}

/** A process's CPU time so far (user + system, ms; USER_HZ is 100) and its resident memory (bytes), from /proc. */
export function usage(pid: number): { cpuMs: number; rssBytes: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // utime and stime: fields 14 and 15
    const rssKb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return { cpuMs: (Number(fields[11]) + Number(fields[12])) * 10, rssBytes: Number(rssKb) * 1024 };
  } catch {
    return null;
  }
}

/** `result.data` of a tRPC answer. */
export const dataOf = (res: Answer) => res.body?.result?.data;
/** null when a fulfill was answered with `reason`, else what came back. */
export const expectReason = (res: Answer, reason: string) =>
  dataOf(res)?.reason === reason ? null : `HTTP ${res.status} ${JSON.stringify(res.body)?.slice(0, 200)}`;

export function serverApi(client: Client, baseUrl: string) {
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  return {
    async login(authorizationCode: string): Promise<string> {
      const res = await client.request('POST', `${baseUrl}/trpc/auth.login`, {
        authorizationCode,
        referrer: 'DEFAULT',
      });
      return (
        dataOf(res)?.token ??
        Promise.reject(new Error(`auth.login: HTTP ${res.status} ${JSON.stringify(res.body)}`))
      );
    },
    fulfill: (token: string, orderId: string, sku = 'coin_100') =>
      client.request('POST', `${baseUrl}/trpc/iap.fulfill`, { orderId, sku }, auth(token)),
    inventory: (token: string) =>
      client.request('GET', `${baseUrl}/trpc/me.inventory`, undefined, auth(token)),
    catalog: () => client.request('GET', `${baseUrl}/trpc/catalog.list`),
    /** The COIN balances of these users, summed (what the users see). */
    async coins(tokens: string[]): Promise<number> {
      let sum = 0;
      for (const token of tokens) sum += dataOf(await this.inventory(token))?.balances?.COIN ?? 0;
      return sum;
    },
  };
}

export function mockControl(client: Client, controlUrl: string) {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await client.request(method, `${controlUrl}${path}`, body);
    if (res.status >= 300) throw new Error(`mock ${method} ${path}: HTTP ${res.status}`);
    return res.body;
  };
  return {
    createUser: (): Promise<{ userKey: number; authorizationCode: string }> =>
      call('POST', '/__mock/users', {}),
    createOrder: async (userKey: number, sku = 'coin_100'): Promise<string> =>
      (await call('POST', '/__mock/orders', { userKey, sku })).orderId,
    addFault: (fault: { kind: string; rate: number; ms?: number }) => call('POST', '/__mock/faults', fault),
    clearFaults: () => call('DELETE', '/__mock/faults', {}),
    paidOrders: async (userKeys: Set<number>): Promise<string[]> =>
      ((await call('GET', '/__mock/state')).orders as { orderId: string; userKey: number; payment: string }[])
        .filter((o) => userKeys.has(o.userKey) && o.payment === 'paid')
        .map((o) => o.orderId),
  };
}
