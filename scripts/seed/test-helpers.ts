/** Helpers shared by the seed tests: the repo's catalog as plain JSON, temp folders, a captured seed run. */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Catalog, parseCatalog } from '@ait-iap/iap-contract';
import { runSeed, type SeedIo } from './cli';
import { defaultCatalogPath } from './paths';

/** A fresh, mutable copy of catalog/products.json as written (JSON, not yet parsed). */
export function catalogJson(): {
  feeRateBps: number;
  products: Record<string, unknown>[];
  sandboxSkuMap: Record<string, string>;
} {
  return JSON.parse(readFileSync(defaultCatalogPath, 'utf8'));
}

export function parsed(json: unknown): Catalog {
  const result = parseCatalog(json);
  if (!result.ok) throw new Error(`test catalog is invalid: ${JSON.stringify(result.violations)}`);
  return result.catalog;
}

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ait-seed-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function writeJson(file: string, value: unknown): Promise<string> {
  await writeFile(file, JSON.stringify(value, null, 2));
  return file;
}

export interface SeedRun {
  code: number;
  out: string[];
  err: string[];
}

/**
 * Run the seed CLI in-process with captured output. The server's settings files are not read (a developer's
 * apps/server/.env or running `pnpm dev` must not reach a test) unless `env` names a folder for them.
 */
export async function seed(
  args: string[],
  env: Record<string, string>,
  extra: Partial<SeedIo> = {},
): Promise<SeedRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runSeed(args, {
    env: { AIT_IAP_SETTINGS_ROOT: 'none', ...env },
    cwd: process.cwd(),
    log: (line) => out.push(line),
    error: (line) => err.push(line),
    ...extra,
  });
  return { code, out, err };
}

/** A loopback URL where nothing listens: a port the OS just handed out and that was closed again. */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}
