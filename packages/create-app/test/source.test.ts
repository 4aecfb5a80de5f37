import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findStarterCheckout, isProjectFile, packTemplate, resolveSource } from '../src/source.mjs';
import { tempDir } from './helpers';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(() => tmp.cleanup());

const checkout = findStarterCheckout();

describe('which starter files a new project gets', () => {
  it('finds the starter checkout this package sits in', () => {
    expect(checkout).not.toBeNull();
    expect(existsSync(path.join(checkout!, 'pnpm-workspace.yaml'))).toBe(true);
  });

  it("takes the starter's tracked files: apps, packages, scripts, catalog, configs, CI, e2e", () => {
    const files = resolveSource().files.map((f) => f.to);
    for (const file of [
      'package.json',
      'pnpm-lock.yaml',
      'pnpm-workspace.yaml',
      'turbo.json',
      'tsconfig.base.json',
      '.gitignore',
      '.npmrc',
      'apps/server/package.json',
      'apps/web/package.json',
      'packages/iap-contract/src/catalog.ts',
      'packages/toss-mock/package.json',
      'catalog/products.json',
      'catalog/images/coin_100.png',
      'scripts/seed.ts',
      'e2e/package.json',
      '.ci/run',
      '.github/workflows/ci.yml',
    ]) {
      expect(files, file).toContain(file);
    }
  });

  it('leaves the scaffolder itself, its release workflow and changesets, and build output out; keeps the LICENSE', () => {
    const files = resolveSource().files.map((f) => f.to);
    expect(files.filter((f) => f.startsWith('packages/create-app/'))).toEqual([]);
    expect(files).not.toContain('.github/workflows/release-create-app.yml');
    expect(files.filter((f) => f.startsWith('.changeset/'))).toEqual([]);
    expect(files).toContain('LICENSE');
    expect(isProjectFile('apps/web/dist/index.html')).toBe(false);
    expect(isProjectFile('apps/server/node_modules/x/index.js')).toBe(false);
    expect(isProjectFile('.dev/app.db')).toBe(false);
    expect(isProjectFile('apps/web/src/main.tsx')).toBe(true);
  });

  it('packs the same files into template/ for npm, dotfiles renamed so npm keeps them', () => {
    const dir = path.join(tmp.dir, 'template');
    const count = packTemplate(checkout!, dir);
    expect(existsSync(path.join(dir, '_gitignore'))).toBe(true);
    expect(existsSync(path.join(dir, '.gitignore'))).toBe(false);
    expect(existsSync(path.join(dir, '_npmrc'))).toBe(true);
    const fromTemplate = resolveSource({ templateDir: dir });
    expect(fromTemplate.kind).toBe('template');
    expect(fromTemplate.files).toHaveLength(count);
    expect(fromTemplate.files.map((f) => f.to).sort()).toEqual(
      resolveSource()
        .files.map((f) => f.to)
        .sort(),
    );
  });
});

describe('finding the starter checkout', () => {
  it('does not mistake another repository for the starter when installed in its node_modules', () => {
    expect(findStarterCheckout(path.join(checkout!, 'node_modules', 'create-ait-iap'))).toBeNull();
    expect(findStarterCheckout(path.join(checkout!, 'packages', 'create-app'))).toBe(checkout);
  });
});
