/**
 * Child processes for the bench: the server under test, the baseline and toss-mock each run in their own Node
 * process (started as `node --import tsx <entry>`, so the pid IS the server and its RSS is the server's), with
 * their output in a log file each. Every child is killed when the bench exits.
 * You probably don't need to edit this file.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

export interface Child {
  name: string;
  pid: number;
  process: ChildProcess;
  /** Where its stdout and stderr go. */
  logPath: string;
  /** The last lines the child printed (stdout and stderr). */
  tail(lines?: number): string;
  /** Lines the child printed that match `pattern`. */
  grep(pattern: RegExp): string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

let logDir: string | null = null;
/** Children's output files go here (the bench's temp dir). */
export function setLogDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  logDir = dir;
}
let started = 0;

/**
 * Start `node --import tsx <entry>` (cwd: the repo root). Its output goes to a FILE, not a pipe to the bench: a
 * server writing log lines into a pipe the busy load generator must drain would block on it and measure the
 * bench instead of itself. A file is what a real deployment's log collector looks like.
 */
export function startNode(
  name: string,
  entry: string,
  env: Record<string, string>,
  options: { nodeArgs?: string[] } = {},
): Child {
  // BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") is passed to every child: how to profile a server.
  const nodeArgs = [
    ...(process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter((a) => a.length > 0),
    ...(options.nodeArgs ?? []),
  ];
  logDir ??= mkdtempSync(path.join(os.tmpdir(), 'ait-iap-bench-logs-'));
  started += 1;
  const logPath = path.join(
    logDir,
    `${String(started).padStart(2, '0')}-${name.replace(/[^a-z0-9]+/gi, '-')}.log`,
  );
  const fd = openSync(logPath, 'a');
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', entry], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  live.add(child);
  const read = () => {
    try {
      return readFileSync(logPath, 'utf8').split('\n');
    } catch {
      return [];
    }
  };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${entry}`);
  return {
    name,
    pid: child.pid,
    process: child,
    logPath,
    tail: (lines = 20) => `${read().slice(-lines).join('\n')}\n(full output: ${logPath})`,
    grep: (pattern) => read().filter((line) => pattern.test(line)),
    exited,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.setTimeout(2_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Poll `url` until it answers 200, the child exits, or `timeoutMs` passes. */
export async function waitHealthy(child: Child, url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${child.name} exited before it was healthy:\n${child.tail()}`);
    try {
      const res = await get(url);
      if (res.status === 200) return;
    } catch {
      // not up yet
    }
    await sleep(50);
  }
  throw new Error(`${child.name} did not answer ${url} within ${timeoutMs} ms:\n${child.tail()}`);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resident memory of a process in bytes (Linux /proc), current and peak ("high water mark"). */
export function readRss(pid: number): { rssBytes: number; peakBytes: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    const rss = kb('VmRSS');
    const peak = kb('VmHWM');
    if (!Number.isFinite(rss)) return null;
    return { rssBytes: rss * 1024, peakBytes: (Number.isFinite(peak) ? peak : rss) * 1024 };
  } catch {
    return null;
  }
}

/** CPU time a process has used so far (user + system), in milliseconds (Linux /proc). */
export function readCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" that ends the command name: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / 100 : null; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** Ask the OS for a free loopback port (bind port 0, read it, close). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
