/**
 * The bench's children, started through scripts/lib/processes.mjs (and stack.mjs for the server): each one is
 * `node --import tsx <entry>`, so the pid IS the server and its RSS is the server's; each one stays in the bench's
 * process group (Ctrl-C reaches it; a signal goes to its pid alone) and is killed when the bench exits.
 * You probably don't need to edit this file.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StartOptions } from '../lib/processes.mjs';

let logDir: string | null = null;
/** Children's output files go here (the bench's temp dir). */
export function setLogDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  logDir = dir;
}
let started = 0;

/**
 * How the bench starts a child named `name`. Its output goes to a FILE, not a pipe to the bench: a server writing
 * log lines into a pipe the busy load generator must drain would block on it and measure the bench instead of
 * itself. A file is what a real deployment's log collector looks like. BENCH_NODE_ARGS (e.g. "--cpu-prof
 * --cpu-prof-dir=/tmp/prof") is passed to every child: how to profile a server.
 */
export function childOptions(name: string, env: Record<string, string>) {
  logDir ??= mkdtempSync(path.join(os.tmpdir(), 'ait-iap-bench-logs-'));
  started += 1;
  const file = `${String(started).padStart(2, '0')}-${name.replace(/[^a-z0-9]+/gi, '-')}.log`;
  return {
    name,
    env: { ...process.env, ...env },
    logFile: path.join(logDir, file),
    nodeArgs: (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter((a) => a.length > 0),
    group: false,
    graceMs: 5_000,
  } satisfies StartOptions & { name: string; nodeArgs: string[] };
}

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
