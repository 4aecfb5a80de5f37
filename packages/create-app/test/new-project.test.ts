/**
 * The whole promise, end to end: scaffold a project non-interactively, install it with the lockfile CI will use, and
 * run its typecheck and one representative package's unit tests (iap-contract). Slow by nature (install + tsc of
 * every package: 1–3 minutes on 2 cores with a warm pnpm store); the other suites in this folder are the fast ones.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.mjs';
import { creditLine, leftoverTemplateNames, tempDir } from './helpers';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(() => tmp?.cleanup());

/** The environment a user's shell would have: nothing inherited from the pnpm/turbo/vitest running this test. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|PNPM_|TURBO_|VITEST|NODE_OPTIONS$|INIT_CWD$)/i.test(key)) continue;
    env[key] = value;
  }
  env.CI = 'true';
  env.TURBO_TELEMETRY_DISABLED = '1';
  if (existsSync('/usr/include/node/node.h')) env.npm_config_nodedir = '/usr';
  return env;
}

function pnpm(args: string[], cwd: string) {
  const result = spawnSync('pnpm', args, {
    cwd,
    env: userEnv(),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  return { ok: result.status === 0, tail: output.split('\n').slice(-40).join('\n') };
}

describe('a new project', () => {
  it('scaffolds non-interactively, installs from its lockfile, and passes typecheck and the contract tests', async () => {
    vi.stubEnv('GIT_AUTHOR_NAME', 'Test');
    vi.stubEnv('GIT_AUTHOR_EMAIL', 'test@example.com');
    vi.stubEnv('GIT_COMMITTER_NAME', 'Test');
    vi.stubEnv('GIT_COMMITTER_EMAIL', 'test@example.com');
    const dir = path.join(tmp.dir, 'coin-shop');
    const out: string[] = [];
    const code = await main([dir, '--no-install'], {
      env: { CI: 'true' },
      log: (line: string) => out.push(line),
    });
    vi.unstubAllEnvs();
    expect(code).toBe(0);
    expect(out).toContain('git: initialized, first commit made');
    expect(leftoverTemplateNames(dir).map((hit) => hit.replace(/:\d+:/, ':'))).toEqual([creditLine]);

    const installed = pnpm(['install', '--frozen-lockfile', '--prefer-offline'], dir);
    expect(installed.ok, installed.tail).toBe(true);
    const typecheck = pnpm(['typecheck'], dir);
    expect(typecheck.ok, typecheck.tail).toBe(true);
    const tests = pnpm(['--filter', '@coin-shop/iap-contract', 'test'], dir);
    expect(tests.ok, tests.tail).toBe(true);
    const report = JSON.parse(
      readFileSync(path.join(dir, 'packages/iap-contract/.test-results/vitest.json'), 'utf8'),
    ) as { numPassedTests: number; numFailedTests: number };
    expect(report.numFailedTests).toBe(0);
    expect(report.numPassedTests).toBeGreaterThan(0);
  }, 900_000);
});
