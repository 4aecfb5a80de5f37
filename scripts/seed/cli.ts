/**
 * `pnpm seed` — the console mirror's command line. See scripts/README.md.
 *   pnpm seed                     validate catalog/products.json (every violation), then sync the server database
 *                                 in one transaction and make a running Toss mock reload its product list
 *   pnpm seed --validate          validate only; write nothing
 *   pnpm seed --sheet             print what to enter in the console for each SKU
 *   pnpm seed --check <dump.json> compare a getProductItemList() dump from the Toss app with the mirror
 * Env: CATALOG_PATH (default <repo>/catalog/products.json), DATABASE_PATH (default <repo>/.dev/app.db) or
 *      DATABASE_URL (postgres://…, as the server reads it), MOCK_TOSS_CONTROL_URL (default http://127.0.0.1:3101).
 *      What the environment leaves unset comes from the server's settings files (see `runSeed`).
 * Exit codes: 0 ok; 1 invalid catalog, drift, or a failed write; 2 bad usage or an unreadable dump.
 * You probably don't need to edit this file.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type Catalog, formatViolation } from '@ait-iap/iap-contract';
import { fileThatSet, type LoadedSettings, loadSettings } from '../../apps/server/src/settings-files';
import {
  type CatalogSyncResult,
  DatabaseSyncError,
  type MockRefresh,
  refreshMock,
  syncDatabase,
} from './apply';
import { checkDrift, formatDrift } from './drift';
import { defaultCatalogPath, defaultMockControlUrl, repoRoot } from './paths';
import { formatSheet } from './sheet';
import { validateCatalogFile } from './validate';

export interface SeedIo {
  env: Record<string, string | undefined>;
  /** Where a relative `--check` path is resolved (pnpm's INIT_CWD: where the user typed the command). */
  cwd: string;
  log: (line: string) => void;
  error: (line: string) => void;
  /** Injected for tests; defaults to the real one. */
  fetch?: typeof fetch;
}

const usage = `usage: pnpm seed [--validate | --sheet | --check <dump.json>]`;

/** ` (apps/server/.env)`: the settings file that chose the database, when one did ('' for the environment or default). */
function databaseSource(settings: LoadedSettings): string {
  const source = fileThatSet(settings, settings.env.DATABASE_URL?.trim() ? 'DATABASE_URL' : 'DATABASE_PATH');
  return source ? ` (${source})` : '';
}

function show(file: string): string {
  const relative = path.relative(repoRoot, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

function list(label: string, skus: string[]): string {
  return skus.length === 0 ? `${label} 0` : `${label} ${skus.length} (${skus.join(', ')})`;
}

function describeMock(result: MockRefresh): string {
  switch (result.status) {
    case 'refreshed':
      return `✓ Toss mock: reloaded, ${result.products} products listed`;
    case 'skipped':
      return `– Toss mock: skipped, ${result.reason} (it reads the catalog file when it starts)`;
    case 'failed':
      return `✗ Toss mock: reload failed: ${result.reason}`;
  }
}

type Mode = '--validate' | '--sheet' | '--check' | 'write';
type Parsed =
  | { help: true }
  | { mode: Exclude<Mode, '--check'> }
  | { mode: '--check'; dumpPath: string }
  | { usageError: string };

/** The command line: one mode at most (none = write), `--check` with its dump path (relative to where it was typed). */
function parseSeedArgs(args: string[], cwd: string): Parsed {
  let values: { help?: boolean; validate?: boolean; sheet?: boolean; check?: string };
  try {
    ({ values } = parseArgs({
      args: args[0] === '--' ? args.slice(1) : args,
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        validate: { type: 'boolean' },
        sheet: { type: 'boolean' },
        check: { type: 'string' },
      },
    }));
  } catch (e) {
    return { usageError: e instanceof Error ? e.message : String(e) };
  }
  if (values.help) return { help: true };
  const picked = [
    values.validate && '--validate',
    values.sheet && '--sheet',
    values.check !== undefined && '--check',
  ].filter((m): m is Mode => typeof m === 'string');
  if (picked.length > 1) return { usageError: `pick one of ${picked.join(', ')}` };
  if (values.check !== undefined)
    return values.check
      ? { mode: '--check', dumpPath: path.resolve(cwd, values.check) }
      : { usageError: '--check needs the path of a getProductItemList() dump (JSON)' };
  return { mode: values.validate ? '--validate' : values.sheet ? '--sheet' : 'write' };
}

export async function runSeed(args: string[], io: SeedIo): Promise<number> {
  const { log, error } = io;
  const parsed = parseSeedArgs(args, io.cwd);
  if ('help' in parsed) {
    log(usage);
    return 0;
  }
  if ('usageError' in parsed) {
    error(parsed.usageError);
    error(usage);
    return 2;
  }
  // The settings as the server and the ops CLI read them (one loader, apps/server/src/settings-files.ts): the
  // environment, then apps/server/.env, .env and a running `pnpm dev`'s .dev/stack.env for what it leaves unset. So
  // seed writes the catalog where that server reads, and reaches the mock that stack started.
  const settings = loadSettings({ env: io.env });
  for (const note of settings.notes) error(`– ${note}`);

  // 1. Validate everything before touching anything.
  const catalogPath = settings.env.CATALOG_PATH || defaultCatalogPath;
  const validated = await validateCatalogFile(catalogPath, repoRoot);
  if (!validated.ok) {
    const count = validated.violations.length;
    error(`✗ ${show(catalogPath)}: ${count} problem${count === 1 ? '' : 's'} (SKU: field — rule)`);
    for (const violation of validated.violations) error(`  ${formatViolation(violation)}`);
    error('Nothing was written. Fix the catalog and run `pnpm seed` again.');
    return 1;
  }
  const { catalog } = validated;
  const visible = catalog.products.filter((p) => p.visible).length;
  const summary = `${catalog.products.length} products (${visible} visible), fee ${catalog.feeRateBps / 100}%`;
  const valid = { catalog, catalogPath, summary };
  switch (parsed.mode) {
    case '--validate':
      log(`✓ ${show(catalogPath)}: valid, ${summary}`);
      return 0;
    case '--sheet':
      log(formatSheet(catalog));
      return 0;
    case '--check':
      return checkAgainstDump(io, valid, parsed.dumpPath);
    case 'write':
      return writeCatalog(io, valid, settings);
  }
}

interface ValidCatalog {
  catalog: Catalog;
  catalogPath: string;
  /** "5 products (4 visible), fee 5%" */
  summary: string;
}

/** `--check <dump>`: what Toss lists against the mirror. 0 no drift, 1 drift, 2 an unreadable or refused dump. */
async function checkAgainstDump(io: SeedIo, valid: ValidCatalog, dumpPath: string): Promise<number> {
  const { log, error } = io;
  let dump: unknown;
  try {
    dump = JSON.parse(await readFile(dumpPath, 'utf8'));
  } catch (e) {
    error(`✗ cannot read the dump ${dumpPath}: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  const report = checkDrift(valid.catalog, dump);
  if (!report.ok) {
    error(`✗ ${report.error}`);
    return 2;
  }
  if (report.sandboxSkus.length > 0) {
    log(`– set aside the sandbox app's test products: ${report.sandboxSkus.join(', ')}`);
  }
  log(
    `Compared ${report.compared} products listed by Toss with ${show(valid.catalogPath)} (${valid.summary}).`,
  );
  if (report.drift.length === 0) {
    log('✓ no drift: the console and the mirror agree');
    return 0;
  }
  error(
    `✗ ${report.drift.length} difference${report.drift.length === 1 ? '' : 's'} between Toss and the mirror:`,
  );
  for (const item of report.drift) error(`  ${formatDrift(item)}`);
  error('Fix the console or catalog/products.json (then `pnpm seed`), and check again.');
  return 1;
}

/** 2. Write: the database in one transaction (the server's rules pick it: DATABASE_URL=postgres://… wins), then the mock. */
async function writeCatalog(io: SeedIo, valid: ValidCatalog, settings: LoadedSettings): Promise<number> {
  const { log, error } = io;
  const { env } = settings;
  log(`✓ ${show(valid.catalogPath)}: valid, ${valid.summary}`);
  let label: string;
  let result: CatalogSyncResult;
  try {
    ({ label, result } = await syncDatabase(env, valid.catalog));
  } catch (e) {
    const where = e instanceof DatabaseSyncError ? show(e.label) : 'database';
    error(`✗ ${where}: sync failed, nothing changed: ${e instanceof Error ? e.message : e}`);
    return 1;
  }
  const changes = result.inserted.length + result.updated.length + result.deactivated.length;
  log(
    `✓ ${show(label)}${databaseSource(settings)}: ${[
      list('inserted', result.inserted),
      list('updated', result.updated),
      list('deactivated', result.deactivated),
      `unchanged ${result.unchanged.length}`,
    ].join(', ')}${changes === 0 ? ' — already up to date' : ''}`,
  );
  const mock = await refreshMock(env.MOCK_TOSS_CONTROL_URL || defaultMockControlUrl, io.fetch ?? fetch);
  (mock.status === 'failed' ? error : log)(describeMock(mock));
  return mock.status === 'failed' ? 1 : 0;
}
