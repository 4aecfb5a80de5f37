/**
 * The registry Node is verified, never trusted blindly: a fake registry on loopback serves a stand-in `node-linux-*`
 * package (its `bin/node` is a script printing the version). The real registry is never contacted.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanStaleDownloads, installRegistryNode } from './node-runtime.mjs';

const version = '24.99.0';
const pkg = `node-${process.platform}-${process.arch}`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'ait-node-runtime-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A package tarball whose bin/node prints `printed` for --version. */
function tarball(printed: string, comment = ''): Buffer {
  const root = mkdtempSync(path.join(dir, 'pkg-'));
  mkdirSync(path.join(root, 'package', 'bin'), { recursive: true });
  const node = path.join(root, 'package', 'bin', 'node');
  writeFileSync(node, `#!/bin/sh\necho ${printed}\n# ${comment}\n`);
  chmodSync(node, 0o755);
  writeFileSync(path.join(root, 'package', 'README.md'), 'x'.repeat(50_000));
  execFileSync('tar', ['-czf', path.join(root, 'p.tgz'), '-C', root, 'package']);
  return readFileSync(path.join(root, 'p.tgz'));
}

const sri = (bytes: Buffer) => `sha512-${createHash('sha512').update(bytes).digest('base64')}`;

interface FakeRegistry {
  url: string;
  tarballRequests: number;
  /** What the registry serves: the tarball, the integrity it states, and whether the tarball stalls mid-way. */
  serve: { body: Buffer; integrity: string; stall?: boolean };
  close(): Promise<void>;
}

async function fakeRegistry(): Promise<FakeRegistry> {
  const good = tarball(`v${version}`);
  const registry: FakeRegistry = {
    url: '',
    tarballRequests: 0,
    serve: { body: good, integrity: sri(good) },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = http.createServer((req, res) => {
    if (req.url === `/${pkg}/${version}`) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ dist: { integrity: registry.serve.integrity, tarball: `${registry.url}/t.tgz` } }),
      );
      return;
    }
    if (req.url === '/t.tgz') {
      registry.tarballRequests += 1;
      res.writeHead(200, { 'content-length': String(registry.serve.body.length) });
      if (registry.serve.stall)
        res.write(registry.serve.body.subarray(0, 100)); // then never finishes
      else res.end(registry.serve.body);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  registry.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return registry;
}

let registry: FakeRegistry;
beforeAll(async () => {
  registry = await fakeRegistry();
});
afterAll(() => registry.close());

function install(cacheDir: string, lines: string[] = []) {
  return installRegistryNode({ version, registry: registry.url, cacheDir, log: (line) => lines.push(line) });
}

const runs = (bin: string) =>
  execFileSync(path.join(bin, 'node'), ['--version'], { encoding: 'utf8' }).trim();
const downloads = (cacheDir: string) => readdirSync(cacheDir).filter((name) => name.startsWith('.download-'));

describe('installing Node from the registry', () => {
  it('verifies the tarball against the registry integrity, says the measured sizes, and reuses the verified cache', async () => {
    const cacheDir = path.join(dir, 'fresh');
    const lines: string[] = [];
    const before = registry.tarballRequests;
    const bin = await install(cacheDir, lines);
    expect(runs(bin)).toBe(`v${version}`);
    expect(lines.join('\n')).toMatch(/0\.\d MB downloaded, 0\.\d MB on disk/);
    expect(existsSync(path.join(bin, '..', '.verified.json'))).toBe(true);
    expect(await install(cacheDir)).toBe(bin);
    expect(registry.tarballRequests - before).toBe(1);
    expect(downloads(cacheDir)).toEqual([]);
  });

  it('a tarball that does not match the registry integrity is refused: nothing installed, nothing left behind', async () => {
    const cacheDir = path.join(dir, 'tampered');
    const good = registry.serve;
    registry.serve = { body: tarball(`v${version}`, 'tampered'), integrity: good.integrity }; // other bytes
    try {
      await expect(install(cacheDir)).rejects.toThrow(/does not match the registry's integrity/);
    } finally {
      registry.serve = good;
    }
    expect(existsSync(path.join(cacheDir, `${pkg}-${version}`))).toBe(false);
    expect(downloads(cacheDir)).toEqual([]);
  });

  it('a cached folder with a bin/node but no marker (a stub someone put there) is discarded and fetched again', async () => {
    const cacheDir = path.join(dir, 'stub');
    const bin = path.join(cacheDir, `${pkg}-${version}`, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(path.join(bin, 'node'), '#!/bin/sh\necho STUB\n');
    chmodSync(path.join(bin, 'node'), 0o755);
    const before = registry.tarballRequests;
    const lines: string[] = [];
    expect(runs(await install(cacheDir, lines))).toBe(`v${version}`);
    expect(registry.tarballRequests - before).toBe(1);
    expect(lines[0]).toMatch(/^Discarding .*: it is not a verified install/);
  });

  it('a verified cache whose node was replaced afterwards (marker no longer matching) is fetched again', async () => {
    const cacheDir = path.join(dir, 'replaced');
    const bin = await install(cacheDir);
    writeFileSync(path.join(bin, 'node'), '#!/bin/sh\necho REPLACED-WITH-SOMETHING-ELSE\n');
    const before = registry.tarballRequests;
    expect(runs(await install(cacheDir))).toBe(`v${version}`);
    expect(registry.tarballRequests - before).toBe(1);
  });

  it('partial downloads of runs that are gone are removed at start; a live run’s is kept', () => {
    const cacheDir = path.join(dir, 'stale');
    mkdirSync(path.join(cacheDir, '.download-999999999-abc', 'unpacked'), { recursive: true });
    mkdirSync(path.join(cacheDir, '.download-Xy12ab'), { recursive: true }); // the old name, without a pid
    mkdirSync(path.join(cacheDir, `.download-${process.pid}-live`), { recursive: true });
    cleanStaleDownloads(cacheDir);
    expect(downloads(cacheDir)).toEqual([`.download-${process.pid}-live`]);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s during the download removes the partial folder',
    async (signal) => {
      const cacheDir = path.join(dir, `signal-${signal}`);
      const good = registry.serve;
      registry.serve = { ...good, stall: true };
      try {
        const moduleUrl = new URL('./node-runtime.mjs', import.meta.url).href;
        const child = spawn(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `const m = await import(${JSON.stringify(moduleUrl)});
           await m.installRegistryNode({ version: ${JSON.stringify(version)}, registry: ${JSON.stringify(registry.url)},
             cacheDir: ${JSON.stringify(cacheDir)}, log: () => console.log('fetching') });`,
          ],
          { stdio: ['ignore', 'pipe', 'inherit'] },
        );
        const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
        // Wait until it is downloading (its folder exists and the tarball was asked for).
        await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
        const deadline = Date.now() + 10_000;
        while (!(existsSync(cacheDir) && downloads(cacheDir).length > 0 && registry.tarballRequests > 0)) {
          if (Date.now() > deadline) throw new Error('the download never started');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        child.kill(signal);
        expect(await exited).toBe(signal === 'SIGINT' ? 130 : 143);
        expect(downloads(cacheDir)).toEqual([]);
      } finally {
        registry.serve = good;
      }
    },
  );
});
