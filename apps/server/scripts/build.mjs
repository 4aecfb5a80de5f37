// @ts-check
/**
 * `pnpm --filter @ait-iap/server build`: the server as plain JavaScript for production, so `pnpm start` is
 * `node dist/main.js` with no TypeScript loader at run time.
 *
 * esbuild bundles each entry with the workspace packages it imports (`@ait-iap/*` export TypeScript source, so they
 * are compiled in) and leaves every npm dependency external: node_modules is installed as usual (`pnpm install
 * --prod`), native addons (better-sqlite3) load from there. Entries sit directly in dist/, one level below the
 * package like src/, so the paths computed from `import.meta.url` (repo root, apps/server/.env) stay right.
 *
 *   dist/main.js       the server (src/main.ts)
 *   dist/ops.js        the support CLI (src/ops/cli.ts)
 *   dist/reconcile.js  the reconcile job, once (src/ops/reconcile-once.ts)
 *
 * Types are checked by `pnpm typecheck` (tsc), not here. `buildServer({ outdir })` is the same build into another
 * folder one level below a copy of this package (scripts/deploy.mjs uses it for the deploy folder).
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Bundle `@ait-iap/*` (TypeScript source), keep everything else from node_modules external. */
const externalNpmPackages = {
  name: 'external-npm-packages',
  /** @param {import('esbuild').PluginBuild} pluginBuild */
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@ait-iap/') ? undefined : { path: args.path, external: true },
    );
  },
};

/**
 * Bundle the three entries into `outdir` (emptied first); returns each output file and its size in bytes.
 * @param {{ outdir?: string }} [options]
 */
export async function buildServer({ outdir = path.join(root, 'dist') } = {}) {
  await rm(outdir, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: {
      main: 'src/main.ts',
      ops: 'src/ops/cli.ts',
      reconcile: 'src/ops/reconcile-once.ts',
    },
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    // No code splitting: a shared chunk in a subfolder would move `import.meta.url` (config.ts finds the repo root
    // from it), and three small self-contained files are simpler to ship.
    plugins: [externalNpmPackages],
    // The built server is the production artifact: NODE_ENV defaults to production, so a deploy that forgets it still
    // has to name TOSS_ENVIRONMENT (config refuses to start without it) instead of silently running as sandbox.
    banner: { js: "process.env.NODE_ENV ??= 'production';" },
    logLevel: 'warning',
    metafile: true,
  });
  return Object.entries(result.metafile.outputs)
    .filter(([file]) => file.endsWith('.js'))
    .map(([file, { bytes }]) => ({ file: path.resolve(root, file), bytes }));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const { file, bytes } of await buildServer()) {
    console.log(`${path.relative(root, file).padEnd(40)} ${(bytes / 1024).toFixed(1)} KiB`);
  }
}
