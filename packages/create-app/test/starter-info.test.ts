/**
 * A new project records which starter it came from (`starter.json`): the scaffolder's version and the starter's
 * commit — the checkout's HEAD when run from a checkout, the commit `prepack` recorded when run from the packed
 * template, "unknown" when a template carries none. docs/upgrading.md starts from these two values.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../src/cli.mjs';
import { findStarterCheckout, packageRoot, resolveSource } from '../src/source.mjs';
import { tempDir } from './helpers';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(() => tmp.cleanup());

const checkout = findStarterCheckout()!;
const version = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')).version as string;
const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: checkout, encoding: 'utf8' }).trim();

async function scaffold(dir: string, source?: ReturnType<typeof resolveSource>) {
  const out: string[] = [];
  const code = await main([dir, '--no-install', '--no-git'], {
    env: { CI: 'true' },
    log: (line: string) => out.push(line),
    ...(source ? { source } : {}),
  });
  expect(code, out.join('\n')).toBe(0);
  return {
    starter: JSON.parse(readFileSync(path.join(dir, 'starter.json'), 'utf8')) as Record<string, unknown>,
    out,
  };
}

describe('starter.json in a new project', () => {
  it("from a checkout: this scaffolder's version and the checkout's HEAD commit", async () => {
    const { starter, out } = await scaffold(path.join(tmp.dir, 'from-checkout'));
    expect(starter).toEqual({
      starterVersion: version,
      starterCommit: head,
      renamed: [
        ['ait-iap-starter', 'from-checkout'],
        ['ait-iap-shop', 'from-checkout'],
        ['@ait-iap', '@from-checkout'],
        ['ait-iap', 'from-checkout'],
      ],
      upgrading: 'docs/upgrading.md',
    });
    expect(out.join('\n')).toContain(`starter.json: version ${version}, commit ${head}`);
  });

  it("its `renamed` pairs, applied in order (as docs/upgrading.md does to a starter patch), give the project's text", async () => {
    const dir = path.join(tmp.dir, 'coin-shop');
    const { starter } = await scaffold(dir);
    const renamed = starter.renamed as unknown as [string, string][];
    for (const file of [
      'apps/server/package.json',
      'apps/web/granite.config.ts',
      'apps/server/test/helpers.ts',
      'packages/toss-mock/src/certs.ts',
    ]) {
      const original = readFileSync(path.join(checkout, file), 'utf8');
      const byRecipe = renamed.reduce((text, [from, to]) => text.split(from).join(to), original);
      expect(byRecipe, file).toBe(readFileSync(path.join(dir, file), 'utf8'));
      expect(original, file).toMatch(/ait-iap/);
    }
  });

  it('from the packed template: the commit prepack recorded at pack time, not the machine it runs on', async () => {
    const templateDir = path.join(tmp.dir, 'pack', 'template');
    await promisify(execFile)(process.execPath, ['scripts/prepack.mjs', templateDir], { cwd: packageRoot });
    const buildInfo = path.join(tmp.dir, 'pack', 'starter-build.json');
    expect(JSON.parse(readFileSync(buildInfo, 'utf8'))).toEqual({ commit: head });
    const packed = resolveSource({ templateDir });
    expect((await scaffold(path.join(tmp.dir, 'from-template'), packed)).starter.starterCommit).toBe(head);

    // What the published package carries is what counts: another recorded commit is what the project gets.
    const released = 'a'.repeat(40);
    writeFileSync(buildInfo, JSON.stringify({ commit: released }));
    expect((await scaffold(path.join(tmp.dir, 'released'), packed)).starter).toMatchObject({
      starterVersion: version,
      starterCommit: released,
    });

    rmSync(buildInfo);
    expect((await scaffold(path.join(tmp.dir, 'unrecorded'), packed)).starter.starterCommit).toBe('unknown');
  }, 120_000);
});
