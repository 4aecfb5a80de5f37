import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePorts, startProcess, waitUntil } from './processes.mjs';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ait-processes-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Running = it exists and is not a zombie waiting to be reaped. */
const running = (pid: number) =>
  existsSync(`/proc/${pid}/stat`) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

describe('child processes', () => {
  it('stop() takes down the whole tree, not just the process it started (a shim and its server)', async () => {
    const logFile = path.join(dir, 'tree.log');
    const shim = startProcess('shim', 'sh', ['-c', 'sleep 60 & echo "server $!"; wait'], { logFile });
    await waitUntil(shim, 'the server started', { probe: () => shim.grep(/^server \d+$/).length > 0 });
    const server = Number(shim.grep(/^server \d+$/)[0]?.split(' ')[1]);
    expect(running(server)).toBe(true);
    await shim.stop();
    expect(running(server)).toBe(false);
    expect(shim.exit).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('a child that exits before it is ready fails the wait at once, with what it printed', async () => {
    const logFile = path.join(dir, 'crash.log');
    const child = startProcess('server', 'sh', ['-c', 'echo "EADDRINUSE 127.0.0.1:3000"; exit 3'], {
      logFile,
    });
    const waited = waitUntil(child, 'GET /healthz', { probe: () => false, timeoutMs: 60_000 });
    await expect(waited).rejects.toThrow(/server exited \(code 3\) before GET \/healthz[\s\S]*EADDRINUSE/);
  });

  it('hands out distinct free ports', async () => {
    const ports = await freePorts(5);
    expect(new Set(ports).size).toBe(5);
    for (const port of ports) expect(port).toBeGreaterThan(0);
  });
});
