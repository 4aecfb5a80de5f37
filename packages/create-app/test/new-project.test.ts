/**
 * The whole promise, end to end, the way a user (or CI) meets it: scaffold non-interactively with install, format and
 * first commit; then the new project's lint, typecheck and one representative package's unit tests (iap-contract).
 * The install runs with CI=true, so pnpm uses the lockfile frozen, exactly as the new project's CI will.
 * The same for a project that leaves everything out (--no-bench --no-postgres together: one scaffold keeps CI time
 * down, and neither option's edits touch a file the other's do, which leave-out.test.ts checks option by option):
 * its pruned lockfile installs frozen, and the suites the options change pass — the server suite (SQLite only now)
 * and the scripts suite — and a postgres:// DATABASE_URL is refused naming the option.
 * Slow by nature (install + tsc of every package: 1–4 minutes on 2 cores with a warm pnpm store, plus the server
 * suite for the second); the other suites in this folder are the fast ones.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.mjs';
import { NO_POSTGRES_MESSAGE } from '../src/leave-out.mjs';
import { creditLine, leftoverTemplateNames, tempDir } from './helpers';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await tmp?.cleanup();
}, 300_000); // deleting a full node_modules on a busy disk

/** A user's shell: nothing inherited from the pnpm/turbo running this suite; CI=true; a git identity. */
function actLikeAUser() {
  for (const key of Object.keys(process.env)) {
    if (/^(npm_|PNPM_|TURBO_|INIT_CWD$)/i.test(key)) vi.stubEnv(key, undefined);
  }
  vi.stubEnv('CI', 'true');
  vi.stubEnv('TURBO_TELEMETRY_DISABLED', '1');
  vi.stubEnv('GIT_AUTHOR_NAME', 'Test');
  vi.stubEnv('GIT_AUTHOR_EMAIL', 'test@example.com');
  vi.stubEnv('GIT_COMMITTER_NAME', 'Test');
  vi.stubEnv('GIT_COMMITTER_EMAIL', 'test@example.com');
}

function inProject(dir: string, command: string, args: string[]) {
  const result = spawnSync(command, args, { cwd: dir, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  return { ok: result.status === 0, output, tail: output.split('\n').slice(-40).join('\n') };
}

describe('a new project', () => {
  it('scaffolds, installs from its lockfile, and passes its lint, typecheck and contract tests', async () => {
    actLikeAUser();
    const dir = path.join(tmp.dir, 'coin-shop');
    const out: string[] = [];
    const code = await main([dir], { env: process.env, log: (line: string) => out.push(line) });
    expect(code, out.join('\n')).toBe(0);
    expect(out).toContain('Formatted with Biome (the new names change import order and line lengths).');
    expect(out).toContain('git: initialized, first commit made');
    expect(leftoverTemplateNames(dir).map((hit) => hit.replace(/:\d+:/, ':'))).toEqual([creditLine]);
    // The first commit holds everything: the install and the format pass left nothing behind.
    expect(inProject(dir, 'git', ['status', '--porcelain']).output).toBe('');

    for (const [label, args] of [
      ['lint', ['lint']],
      ['typecheck', ['typecheck']],
      ['contract tests', ['--filter', '@coin-shop/iap-contract', 'test']],
    ] as const) {
      const step = inProject(dir, 'pnpm', [...args]);
      expect(step.ok, `${label}:\n${step.tail}`).toBe(true);
    }
    const report = JSON.parse(
      readFileSync(path.join(dir, 'packages/iap-contract/.test-results/vitest.json'), 'utf8'),
    ) as { numPassedTests: number; numFailedTests: number };
    expect(report.numFailedTests).toBe(0);
    expect(report.numPassedTests).toBeGreaterThan(0);
  }, 1_200_000);

  it('leaving out the bench and PostgreSQL: installs from its pruned lockfile, passes lint, typecheck, the server and scripts suites', async () => {
    actLikeAUser();
    const dir = path.join(tmp.dir, 'lean-shop');
    const out: string[] = [];
    const code = await main([dir, '--no-bench', '--no-postgres'], {
      env: process.env,
      log: (line: string) => out.push(line),
    });
    expect(code, out.join('\n')).toBe(0);
    expect(out).toContain('Formatted with Biome (the new names change import order and line lengths).');
    expect(leftoverTemplateNames(dir).map((hit) => hit.replace(/:\d+:/, ':'))).toEqual([creditLine]);
    expect(inProject(dir, 'git', ['status', '--porcelain']).output).toBe('');

    for (const [label, args] of [
      ['lint', ['lint']],
      ['typecheck', ['typecheck']],
      ['server suite', ['--filter', '@lean-shop/server', 'test']],
      ['scripts suite', ['--filter', '@lean-shop/scripts', 'test']],
    ] as const) {
      const step = inProject(dir, 'pnpm', [...args]);
      expect(step.ok, `${label}:\n${step.tail}`).toBe(true);
    }
    for (const suite of ['apps/server', 'scripts']) {
      const report = JSON.parse(readFileSync(path.join(dir, suite, '.test-results/vitest.json'), 'utf8')) as {
        numPassedTests: number;
        numFailedTests: number;
      };
      expect(report.numFailedTests, suite).toBe(0);
      expect(report.numPassedTests, suite).toBeGreaterThan(0);
    }
    const opened = inProject(path.join(dir, 'apps/server'), process.execPath, [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      "const { openDatabase } = await import('./src/db/database.ts'); await openDatabase({ databaseUrl: 'postgres://app@db.internal:5432/app' });",
    ]);
    expect(opened.ok).toBe(false);
    expect(opened.output).toContain(NO_POSTGRES_MESSAGE);
  }, 1_800_000);
});
