/**
 * Bundle phase: the production web build's INITIAL JS/CSS (gzip) next to a baseline built in the same run — a bare
 * Vite + React + Apps in Toss SDK + TDS provider page (bundle-baseline/), what every TDS mini-app pays.
 * Both are built with the web app's own Vite and React plugin into temp dirs (never apps/web/dist), with
 * `build.manifest: true`. "Initial" = what the entry HTML loads before any lazy import: the scripts, modulepreloads
 * and stylesheets index.html references, plus the entry chunk's static imports and CSS from the Vite manifest.
 */
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { repoRoot } from '../lib/processes.mjs';

export const webDir = path.join(repoRoot, 'apps/web');
export const baselineDir = path.join(repoRoot, 'scripts/bench/bundle-baseline');

export interface BundleSize {
  /** Files the entry HTML loads before any lazy import (relative to the build dir). */
  initialFiles: string[];
  /**
   * Initial JS plus the entry's own lazy imports (one level, with their static imports): what a page that boots a
   * shell and then lazy-loads its app needs before the first real screen. Context only; the target is `initial`.
   */
  firstLazyLevelJsGzipBytes: number;
  initialJsBytes: number;
  initialJsGzipBytes: number;
  initialCssGzipBytes: number;
  /** Every JS chunk of the build, lazy ones included. */
  totalJsGzipBytes: number;
  jsChunks: number;
  buildMs: number;
}

interface ManifestChunk {
  file: string;
  src?: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
}

const gzipBytes = (file: string) => gzipSync(readFileSync(file)).length;

/** The assets index.html pulls in up front, joined with the entry chunk's static import graph from the manifest. */
export function initialAssets(outDir: string, options: { firstLazyLevel?: boolean } = {}): string[] {
  const html = readFileSync(path.join(outDir, 'index.html'), 'utf8');
  const files = new Set<string>();
  const local = (ref: string) => ref.replace(/^\.?\//, '').split(/[?#]/)[0] ?? '';
  for (const match of html.matchAll(/<script\b[^>]*\btype=["']module["'][^>]*\bsrc=["']([^"']+)["']/g)) {
    files.add(local(match[1] ?? ''));
  }
  for (const match of html.matchAll(/<link\b[^>]*>/g)) {
    const tag = match[0];
    const rel = /\brel=["']([^"']+)["']/.exec(tag)?.[1];
    const href = /\bhref=["']([^"']+)["']/.exec(tag)?.[1];
    if (href && (rel === 'modulepreload' || rel === 'stylesheet') && !/^https?:/.test(href))
      files.add(local(href));
  }
  const manifest = JSON.parse(readFileSync(path.join(outDir, '.vite/manifest.json'), 'utf8')) as Record<
    string,
    ManifestChunk
  >;
  const visit = (key: string, seen: Set<string>) => {
    if (seen.has(key)) return;
    seen.add(key);
    const chunk = manifest[key];
    if (!chunk) return;
    files.add(chunk.file);
    for (const css of chunk.css ?? []) files.add(css);
    for (const imported of chunk.imports ?? []) visit(imported, seen);
  };
  const seen = new Set<string>();
  const entries = Object.entries(manifest).filter(
    ([key, chunk]) => chunk.isEntry && (chunk.src ?? key).endsWith('.html'),
  );
  for (const [key] of entries) visit(key, seen);
  if (options.firstLazyLevel) {
    // The entry's own dynamic imports (and what they statically import): e.g. the app behind a boot screen.
    for (const [, chunk] of entries) for (const lazy of chunk.dynamicImports ?? []) visit(lazy, seen);
  }
  return [...files].filter((f) => f.length > 0).sort();
}

export function measureBuild(outDir: string, buildMs: number): BundleSize {
  const initialFiles = initialAssets(outDir);
  const manifest = JSON.parse(readFileSync(path.join(outDir, '.vite/manifest.json'), 'utf8')) as Record<
    string,
    ManifestChunk
  >;
  const allJs = new Set(
    Object.values(manifest)
      .map((c) => c.file)
      .filter((f) => f.endsWith('.js')),
  );
  for (const f of initialFiles) if (f.endsWith('.js')) allJs.add(f);
  const sum = (list: string[], measure: (file: string) => number) =>
    list.reduce((total, f) => total + measure(path.join(outDir, f)), 0);
  const js = initialFiles.filter((f) => f.endsWith('.js'));
  const firstLevelJs = initialAssets(outDir, { firstLazyLevel: true }).filter((f) => f.endsWith('.js'));
  const css = initialFiles.filter((f) => f.endsWith('.css'));
  return {
    initialFiles,
    initialJsBytes: sum(js, (f) => readFileSync(f).length),
    initialJsGzipBytes: sum(js, gzipBytes),
    firstLazyLevelJsGzipBytes: sum(firstLevelJs, gzipBytes),
    initialCssGzipBytes: sum(css, gzipBytes),
    totalJsGzipBytes: sum([...allJs], gzipBytes),
    jsChunks: allJs.size,
    buildMs,
  };
}

type ViteModule = {
  build(config: Record<string, unknown>): Promise<unknown>;
};
type ReactPlugin = (options?: Record<string, unknown>) => unknown;

/** The web app's own Vite and React plugin (resolved from apps/web, the same versions its build uses). */
async function loadVite(): Promise<{ vite: ViteModule; react: ReactPlugin }> {
  const requireFromWeb = createRequire(path.join(webDir, 'package.json'));
  const vite = (await import(pathToFileURL(requireFromWeb.resolve('vite')).href)) as ViteModule;
  const reactModule = (await import(pathToFileURL(requireFromWeb.resolve('@vitejs/plugin-react')).href)) as {
    default: ReactPlugin;
  };
  return { vite, react: reactModule.default };
}

/** Bare imports in the baseline resolve as if they were written in apps/web (it has React, the SDK and TDS). */
function resolveFromWeb() {
  const webImporter = path.join(webDir, 'src', 'main.tsx');
  return {
    name: 'bench-resolve-from-web',
    enforce: 'pre' as const,
    async resolveId(
      this: { resolve(source: string, importer: string, options: Record<string, unknown>): Promise<unknown> },
      source: string,
      importer: string | undefined,
      options: Record<string, unknown>,
    ) {
      if (!importer?.startsWith(baselineDir)) return null;
      if (/^[./\0]/.test(source) || source.includes('\0')) return null;
      return this.resolve(source, webImporter, { ...options, skipSelf: true });
    },
  };
}

export async function buildWeb(outDir: string): Promise<BundleSize> {
  const { vite } = await loadVite();
  rmSync(outDir, { recursive: true, force: true });
  const started = Date.now();
  // A release build must name a real server (the web app's config refuses loopback); any URL does for sizing.
  process.env.VITE_API_URL ??= 'https://api.example.com';
  await vite.build({
    root: webDir,
    configFile: path.join(webDir, 'vite.config.ts'),
    mode: 'production',
    logLevel: 'error',
    build: { outDir, emptyOutDir: true, manifest: true },
  });
  return measureBuild(outDir, Date.now() - started);
}

export async function buildBaseline(outDir: string): Promise<BundleSize> {
  const { vite, react } = await loadVite();
  rmSync(outDir, { recursive: true, force: true });
  const started = Date.now();
  await vite.build({
    root: baselineDir,
    configFile: false,
    mode: 'production',
    logLevel: 'error',
    plugins: [resolveFromWeb(), react()],
    build: { outDir, emptyOutDir: true, manifest: true, target: 'es2020', sourcemap: false },
  });
  return measureBuild(outDir, Date.now() - started);
}
