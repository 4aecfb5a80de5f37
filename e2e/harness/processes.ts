/**
 * Child processes for the e2e harness: each one runs detached in its own process group with its output in a log
 * file, so teardown can kill the whole group (pnpm/tsx shims don't forward signals) and failures can show log tails.
 * You probably don't need to edit this file.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export interface Child {
  name: string;
  pid: number;
  logFile: string;
  process: ChildProcess;
  /** Set once the process has exited. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

export interface SpawnOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  logFile: string;
}

/** Start `command args` detached, stdout+stderr appended to `logFile`. */
export function startChild(name: string, command: string, args: string[], options: SpawnOptions): Child {
  const fd = openSync(options.logFile, 'a');
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env as NodeJS.ProcessEnv,
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const handle: Child = { name, pid: child.pid, logFile: options.logFile, process: child, exit: undefined };
  child.on('exit', (code, signal) => {
    handle.exit = { code, signal };
  });
  return handle;
}

/** Run a command to completion (used for the production build). Rejects with the log tail on failure. */
export async function runToEnd(name: string, command: string, args: string[], options: SpawnOptions) {
  const child = startChild(name, command, args, options);
  await new Promise<void>((resolve, reject) => {
    child.process.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${name} failed (code ${code}, signal ${signal})\n${tail(child.logFile)}`));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM the child's process group, then SIGKILL whatever is still there after `graceMs`. */
export async function stopChild(child: Child, graceMs = 3_000): Promise<void> {
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && isAlive(child.pid)) await sleep(50);
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // gone
  }
}

/** The last `lines` lines of a log file, indented, for failure messages. */
export function tail(logFile: string, lines = 40): string {
  if (!existsSync(logFile)) return `  (no log at ${logFile})`;
  const text = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines);
  return text.map((line) => `  | ${line}`).join('\n');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A port that was free a moment ago (bind port 0 on loopback, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Distinct free ports (asks again if the OS hands out a port twice). */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/**
 * Poll `probe` until it returns true. Fails early, with the child's log tail, if the child exits meanwhile,
 * and after `timeoutMs` with the same tail.
 */
export async function waitUntilReady(
  child: Child,
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exit) {
      throw new Error(
        `${child.name} exited (code ${child.exit.code}, signal ${child.exit.signal}) before ${what}\n${tail(child.logFile)}`,
      );
    }
    try {
      if (await probe()) return;
    } catch {
      // not up yet
    }
    await sleep(150);
  }
  throw new Error(`${child.name}: ${what} not reached in ${timeoutMs} ms\n${tail(child.logFile)}`);
}

/** GET `url` and report whether it answered 2xx (with a short per-try timeout). */
export async function answers(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return response.ok;
}
