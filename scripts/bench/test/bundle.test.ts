import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initialAssets, measureBuild } from '../bundle';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A Vite-shaped build: index.html, assets, and .vite/manifest.json. */
function fakeBuild(files: Record<string, string>, manifest: unknown): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-bundle-test-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  mkdirSync(path.join(dir, '.vite'), { recursive: true });
  writeFileSync(path.join(dir, '.vite/manifest.json'), JSON.stringify(manifest));
  return dir;
}

const manifest = {
  'index.html': {
    file: 'assets/index-A.js',
    src: 'index.html',
    isEntry: true,
    imports: ['_vendor-B.js'],
    dynamicImports: ['src/Shop.tsx'],
    css: ['assets/index-C.css'],
  },
  '_vendor-B.js': { file: 'assets/vendor-B.js', imports: ['_shared-D.js'] },
  '_shared-D.js': { file: 'assets/shared-D.js' },
  'src/Shop.tsx': {
    file: 'assets/Shop-E.js',
    isDynamicEntry: true,
    imports: ['_vendor-B.js'],
    css: ['assets/Shop-F.css'],
  },
};
const html = `<!doctype html><html><head>
<script type="module" crossorigin src="/assets/index-A.js"></script>
<link rel="modulepreload" crossorigin href="/assets/vendor-B.js">
<link rel="stylesheet" crossorigin href="/assets/index-C.css">
<link rel="icon" href="/favicon.png">
</head><body></body></html>`;

describe('initial assets of a build', () => {
  it('counts what index.html loads and the static import graph, never a lazy route', () => {
    const dir = fakeBuild(
      {
        'index.html': html,
        'assets/index-A.js': 'a'.repeat(1000),
        'assets/vendor-B.js': 'b'.repeat(5000),
        'assets/shared-D.js': 'd'.repeat(300),
        'assets/index-C.css': 'c'.repeat(200),
        'assets/Shop-E.js': 'e'.repeat(9000),
        'assets/Shop-F.css': 'f'.repeat(100),
      },
      manifest,
    );
    expect(initialAssets(dir)).toEqual([
      'assets/index-A.js',
      'assets/index-C.css',
      'assets/shared-D.js',
      'assets/vendor-B.js',
    ]);
    const size = measureBuild(dir, 0);
    expect(size.initialJsBytes).toBe(1000 + 5000 + 300);
    expect(size.initialCssGzipBytes).toBeGreaterThan(0);
    // The lazy chunk is in the total, not in the initial figure.
    expect(size.totalJsGzipBytes).toBeGreaterThan(size.initialJsGzipBytes);
    expect(size.jsChunks).toBe(4);
    // One lazy level on top: the route the entry itself lazy-loads, for context.
    expect(initialAssets(dir, { firstLazyLevel: true })).toContain('assets/Shop-E.js');
    expect(size.firstLazyLevelJsGzipBytes).toBeGreaterThan(size.initialJsGzipBytes);
  });
});
