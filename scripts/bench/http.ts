/**
 * A tiny JSON-over-HTTP client for the bench (node:http, keep-alive Agent) and a closed-loop load generator:
 * `concurrency` workers each send the next request as soon as their previous one answers.
 * No external load tools. You probably don't need to edit this file.
 */
import http from 'node:http';
import { type LatencySummary, summarize } from './stats';

export interface JsonResponse {
  status: number;
  body: unknown;
}

export interface JsonClient {
  request(
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<JsonResponse>;
  close(): void;
}

export function createJsonClient(options: { maxSockets: number; timeoutMs?: number }): JsonClient {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets });
  const timeoutMs = options.timeoutMs ?? 30_000;
  return {
    request(method, url, body, headers = {}) {
      return new Promise((resolve, reject) => {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const req = http.request(
          url,
          {
            method,
            agent,
            headers: {
              accept: 'application/json',
              ...(payload === undefined
                ? {}
                : {
                    'content-type': 'application/json',
                    'content-length': String(Buffer.byteLength(payload)),
                  }),
              ...headers,
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('error', reject);
            res.on('end', () => {
              clearTimeout(timer);
              const text = Buffer.concat(chunks).toString('utf8');
              let parsed: unknown = text;
              try {
                parsed = text.length > 0 ? JSON.parse(text) : undefined;
              } catch {
                // keep the raw text
              }
              resolve({ status: res.statusCode ?? 0, body: parsed });
            });
          },
        );
        const timer = setTimeout(
          () => req.destroy(new Error(`no response within ${timeoutMs} ms`)),
          timeoutMs,
        );
        req.on('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
        if (payload !== undefined) req.write(payload);
        req.end();
      });
    },
    close: () => agent.destroy(),
  };
}

/** Run `tasks` with at most `concurrency` in flight; results keep the task order. */
export async function runPool<T>(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<T>,
): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= count) return;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

export interface LoadResult {
  requests: number;
  ok: number;
  failed: number;
  elapsedMs: number;
  rps: number;
  latency: LatencySummary;
  /** First few failures, for the report. */
  failures: string[];
}

/**
 * Send `count` requests at `concurrency`, timing each one. `send(i)` performs request i and returns null when the
 * answer is what the scenario expects, or a short description of what went wrong.
 */
export async function runLoad(
  count: number,
  concurrency: number,
  send: (index: number) => Promise<string | null>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  const failures: string[] = [];
  let ok = 0;
  let failed = 0;
  const started = process.hrtime.bigint();
  await runPool(count, concurrency, async (index) => {
    const t0 = process.hrtime.bigint();
    let problem: string | null;
    try {
      problem = await send(index);
    } catch (error) {
      problem = (error as Error).message;
    }
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (problem === null) ok += 1;
    else {
      failed += 1;
      if (failures.length < 5) failures.push(problem);
    }
  });
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  return {
    requests: count,
    ok,
    failed,
    elapsedMs,
    rps: count / (elapsedMs / 1000),
    latency: summarize(latencies),
    failures,
  };
}
