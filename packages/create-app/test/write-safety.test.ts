/**
 * The scaffolder never writes outside the target directory, `--force` included: a symbolic link in the target (to a
 * folder or a file outside it), or the target itself being one, is refused before anything is written; a hard link
 * is replaced, not written through; template paths that climb out are refused.
 */
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.mjs';
import { insideTarget, ScaffoldError, writeProject } from '../src/scaffold.mjs';
import { filesUnder, tempDir } from './helpers';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let outside: string;
let errors: string[];
beforeEach(async () => {
  tmp = await tempDir();
  outside = path.join(tmp.dir, 'outside');
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'precious.txt'), 'do not touch');
  errors = [];
  vi.spyOn(console, 'error').mockImplementation((line: unknown) => void errors.push(String(line)));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await tmp.cleanup();
});

const names = { name: 'shop', scope: '@shop', appName: 'shop' };

/** A tiny template: a few files in folders, one executable. */
function smallSource() {
  const root = path.join(tmp.dir, 'template');
  mkdirSync(path.join(root, 'apps/server'), { recursive: true });
  mkdirSync(path.join(root, '.ci'), { recursive: true });
  writeFileSync(path.join(root, 'README.md'), '# ait-iap-starter\n');
  writeFileSync(path.join(root, 'apps/server/index.ts'), 'export const app = "@ait-iap/server";\n');
  writeFileSync(path.join(root, '.ci/run'), '#!/bin/sh\necho ok\n', { mode: 0o755 });
  const files = ['README.md', 'apps/server/index.ts', '.ci/run'].map((file) => ({ from: file, to: file }));
  return { kind: 'checkout' as const, root, files };
}

const outsideUntouched = () => {
  expect(readdirSync(outside)).toEqual(['precious.txt']);
  expect(readFileSync(path.join(outside, 'precious.txt'), 'utf8')).toBe('do not touch');
};

describe('create-ait-iap --force and links', () => {
  it('a symlinked folder inside the target pointing outside is not written through, and nothing is written', async () => {
    const dir = path.join(tmp.dir, 'app');
    mkdirSync(dir);
    symlinkSync(outside, path.join(dir, 'apps'));
    const code = await main([dir, '--force', '--no-install', '--no-git'], {
      env: { CI: 'true' },
      log: () => {},
    });
    expect(code).toBe(1);
    expect(errors.join('\n')).toMatch(/symbolic link .*apps/);
    outsideUntouched();
    expect(readdirSync(dir)).toEqual(['apps']);
  });

  it('a symlinked file inside the target pointing outside is refused, the outside file keeps its content', () => {
    const dir = path.join(tmp.dir, 'app');
    mkdirSync(path.join(dir, 'apps/server'), { recursive: true });
    symlinkSync(path.join(outside, 'precious.txt'), path.join(dir, 'apps/server/index.ts'));
    expect(() => writeProject({ source: smallSource(), targetDir: dir, names, force: true })).toThrow(
      /symbolic link .*index\.ts/,
    );
    outsideUntouched();
    expect(filesUnder(dir)).toEqual([]);
  });

  it('a target directory that is itself a symlink is refused', () => {
    const dir = path.join(tmp.dir, 'app');
    symlinkSync(outside, dir);
    expect(() => writeProject({ source: smallSource(), targetDir: dir, names, force: true })).toThrow(
      ScaffoldError,
    );
    outsideUntouched();
  });

  it('a dangling symlink (to a file that does not exist yet) is refused too', () => {
    const dir = path.join(tmp.dir, 'app');
    mkdirSync(dir);
    symlinkSync(path.join(outside, 'planted.txt'), path.join(dir, 'README.md'));
    expect(() => writeProject({ source: smallSource(), targetDir: dir, names, force: true })).toThrow(
      /symbolic link/,
    );
    expect(existsSync(path.join(outside, 'planted.txt'))).toBe(false);
  });

  it('a hard-linked file is replaced in the target, its other name outside keeps its content', () => {
    const dir = path.join(tmp.dir, 'app');
    mkdirSync(dir);
    linkSync(path.join(outside, 'precious.txt'), path.join(dir, 'README.md'));
    writeProject({ source: smallSource(), targetDir: dir, names, force: true });
    outsideUntouched();
    expect(readFileSync(path.join(dir, 'README.md'), 'utf8')).toMatch(/^# shop\n/);
    expect(readFileSync(path.join(dir, 'apps/server/index.ts'), 'utf8')).toContain('@shop/server');
    expect(statSync(path.join(dir, '.ci/run')).mode & 0o111).not.toBe(0);
  });

  it('template paths that would climb out of the target are refused', () => {
    const root = path.join(tmp.dir, 'app');
    mkdirSync(root);
    for (const bad of [
      '../outside/precious.txt',
      '/etc/passwd',
      'apps/../../x',
      'apps//x',
      './x',
      'a\\..\\x',
    ]) {
      expect(() => insideTarget(root, bad, { create: true }), bad).toThrow(ScaffoldError);
    }
    expect(insideTarget(root, 'apps/server/x.ts', { create: true })).toBe(
      path.join(root, 'apps/server/x.ts'),
    );
    outsideUntouched();
  });
});
