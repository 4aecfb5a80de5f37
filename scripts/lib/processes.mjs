// Child processes, one way for `pnpm dev`, the e2e harness and the bench. A child runs in its own process group
// (pnpm/tsx shims don't forward signals: stopping the group stops the whole tree); its output is appended to a log
// file or, without one, printed line by line behind a `[name]` prefix. Readiness is polled, and fails fast with the
// log tail when the child exits first. Stop: a signal to the group, a grace period, then SIGKILL. Children still
// running when this process exits are SIGKILLed. Plain Node ESM (types in processes.d.mts), no dependencies.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A loopback port that was free a moment ago (bind port 0, read it, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Distinct free ports (asks again if the OS hands out a port twice). */
export async function freePorts(count) {
  const ports = new Set();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

const live = new Set();
let exitHooked = false;

const readLog = (file) => (file && existsSync(file) ? readFileSync(file, 'utf8').split('\n') : []);

/** The last `lines` lines of a log file, indented, for failure messages. */
export function logTail(file, lines = 40) {
  if (!existsSync(file)) return `  (no log at ${file})`;
  const text = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines);
  return text.map((line) => `  | ${line}`).join('\n');
}

function printPrefixed(stream, prefix) {
  let buffered = '';
  stream.on('data', (chunk) => {
    const lines = (buffered + chunk).split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) console.log(`${prefix}${line}`);
  });
}

/**
 * Start `command args` (cwd: the repo root). `group: false` keeps the child in our process group (the bench: Ctrl-C
 * reaches it, and signals go to its pid alone). `graceMs`: how long `stop()` waits before SIGKILL.
 */
export function startProcess(name, command, args, options = {}) {
  const { cwd = repoRoot, env = process.env, logFile, group = true, graceMs = 3_000 } = options;
  const fd = logFile ? openSync(logFile, 'a') : undefined;
  const output = fd ?? 'pipe';
  const child = spawn(command, args, { cwd, env, detached: group, stdio: ['ignore', output, output] });
  // A spawn failure (ENOENT) is also emitted as 'error': without a listener it would crash the caller.
  child.once('error', () => {});
  if (fd !== undefined) closeSync(fd);
  else for (const stream of [child.stdout, child.stderr]) printPrefixed(stream, `[${name}]`.padEnd(9));
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const pid = child.pid;
  const handle = {
    name,
    pid,
    process: child,
    logFile,
    exit: undefined,
    exited: new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        handle.exit = { code, signal };
        resolve(handle.exit);
      });
    }),
    /** Send `signal` to the child's group (its pid with `group: false`); false when nothing is left to signal. */
    signal(signal) {
      if (!group && handle.exit) return false;
      try {
        process.kill(group ? -pid : pid, signal);
        return true;
      } catch {
        return false;
      }
    },
    grep: (pattern) => readLog(logFile).filter((line) => pattern.test(line)),
    tail: (lines = 40) => (logFile ? `\n${logTail(logFile, lines)}` : ''),
    async stop(signal = 'SIGTERM') {
      if (handle.signal(signal)) {
        const deadline = Date.now() + graceMs;
        while (Date.now() < deadline && (group ? handle.signal(0) : !handle.exit)) await sleep(50);
        handle.signal('SIGKILL');
        await handle.exited;
      }
      live.delete(handle);
    },
  };
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', () => {
      for (const running of live) running.signal('SIGKILL');
    });
  }
  live.add(handle);
  return handle;
}

/** `node --import tsx <entry>`: the pid is the program's own (no tsx wrapper), so is its RSS. */
export function startNode(name, entry, { nodeArgs = [], ...options } = {}) {
  return startProcess(name, process.execPath, [...nodeArgs, '--import', 'tsx', entry], options);
}

/** GET `url`: did it answer 2xx? A fresh connection each time (no keep-alive socket left behind), 2 s per try. */
function answers(url) {
  return new Promise((resolve) => {
    const request = http.get(url, { agent: false, timeout: 2_000 }, (response) => {
      response.resume();
      resolve(response.statusCode >= 200 && response.statusCode < 300);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

/**
 * Poll until `probe` (default: GET `what`, a URL, answers 2xx) says ready. Fails early if the child exits, and
 * after `timeoutMs`; either way with the child's log tail, and the child is stopped.
 */
export async function waitUntil(child, what, { probe = () => answers(what), timeoutMs = 60_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let problem = `${child.name}: ${what} not reached within ${timeoutMs / 1000} s`;
  while (Date.now() < deadline) {
    if (child.exit) {
      problem = `${child.name} exited (${child.exit.signal ?? `code ${child.exit.code}`}) before ${what}`;
      break;
    }
    try {
      if (await probe()) return;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  await child.stop('SIGKILL');
  throw new Error(`${problem}${child.tail()}`);
}

/** Wait for a child to exit; rejects unless it exited 0. */
export async function finished(child) {
  const { code, signal } = await child.exited;
  live.delete(child);
  if (code !== 0) throw new Error(`${child.name} failed (${signal ?? `exit ${code}`})${child.tail()}`);
}

/** Stop every child still running (e.g. on Ctrl-C, or a test run's teardown). */
export async function stopAll() {
  await Promise.all([...live].map((child) => child.stop()));
}
