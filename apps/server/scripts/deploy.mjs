// @ts-check
/**
 * `pnpm deploy:server [dir]` (root) = `pnpm --filter @ait-iap/server bundle:deploy [dir]`: the server as one folder
 * you copy to a machine (or into a container) and start with plain `node`, nothing else installed. Default dir:
 * `<repo>/dist/server` (gitignored).
 *
 *   <dir>/apps/server/dist/main.js    the server; ops.js (support CLI) and reconcile.js beside it (scripts/build.mjs)
 *   <dir>/apps/server/package.json    production dependencies only
 *   <dir>/apps/server/node_modules/   `pnpm deploy --prod`: real files, native addons included (better-sqlite3, pg)
 *   <dir>/catalog/products.json       the console mirror the server loads at start
 *   <dir>/apps/console/dist/          the support console, served on ADMIN_PORT when that is set (its default dir)
 *   <dir>/Dockerfile                  the container recipe for this folder (apps/server/Dockerfile)
 *
 * The repository's layout is kept (apps/server/dist → ../../.. is the root), so the defaults the server computes from
 * its own location (catalog/products.json, apps/server/.env, .dev/app.db) mean the same in the folder as in the repo.
 * Migrations are code (src/db/migrations.ts), bundled into main.js. You probably don't need to edit this file.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildServer } from './build.mjs';

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(serverDir, '../..');

/** What `pnpm deploy` leaves in the server's folder that the running server needs; the rest (src, tests) goes. */
const keptFromDeploy = new Set(['package.json', 'node_modules']);

/**
 * Refuse a target that isn't ours to replace: the repository (or a folder holding it), or a non-empty folder that
 * is not an earlier deploy folder.
 * @param {string} out
 */
function checkTarget(out) {
  const back = path.relative(out, repoRoot);
  if (!back.startsWith('..') && !path.isAbsolute(back)) {
    throw new Error(`deploy: ${out} holds the repository; pick a folder outside it or under dist/`);
  }
  if (!existsSync(out) || readdirSync(out).length === 0) return;
  if (!existsSync(path.join(out, 'apps/server/dist/main.js'))) {
    throw new Error(`deploy: ${out} is not empty and is not an earlier deploy folder; pick an empty folder`);
  }
}

/**
 * `pnpm deploy --prod` of this package into `<out>/apps/server`: its production dependencies as a node_modules with
 * no link outside the folder. Then only package.json and node_modules are kept.
 * @param {string} packageOut
 */
function installProductionDependencies(packageOut) {
  const result = spawnSync(
    'pnpm',
    ['--filter', '@ait-iap/server', 'deploy', '--prod', '--prefer-offline', packageOut],
    { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (result.error) throw new Error(`deploy: cannot run pnpm (${result.error.message}); is pnpm installed?`);
  if (result.status !== 0) throw new Error(`deploy: pnpm deploy failed (exit ${result.status})`);
  for (const entry of readdirSync(packageOut)) {
    if (!keptFromDeploy.has(entry)) rmSync(path.join(packageOut, entry), { recursive: true, force: true });
  }
}

/**
 * The support console's built files at `<out>/apps/console/dist`, where the server looks for them by default
 * (ADMIN_CONSOLE_DIR), so ADMIN_PORT on the deployed server serves the console, not a "not built" page.
 * @param {string} out
 */
function buildConsole(out) {
  const outDir = path.join(out, 'apps/console/dist');
  const result = spawnSync(
    'pnpm',
    [
      '--filter',
      '@ait-iap/console',
      'exec',
      'vite',
      'build',
      '--outDir',
      outDir,
      '--emptyOutDir',
      '--logLevel',
      'warn',
    ],
    { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (result.error) throw new Error(`deploy: cannot run pnpm (${result.error.message}); is pnpm installed?`);
  if (result.status !== 0) throw new Error(`deploy: the console build failed (exit ${result.status})`);
}

/**
 * The folder's package.json: name, version and production dependencies, and scripts that are plain `node`.
 * Workspace packages (`@ait-iap/*`) are compiled into the bundle, so they are not listed.
 * @param {string} packageOut
 */
function writeManifest(packageOut) {
  const file = path.join(packageOut, 'package.json');
  const deployed = JSON.parse(readFileSync(file, 'utf8'));
  const dependencies = Object.fromEntries(
    Object.entries(deployed.dependencies ?? {}).filter(([name]) => !name.startsWith('@ait-iap/')),
  );
  const manifest = {
    name: deployed.name,
    version: deployed.version,
    private: true,
    type: 'module',
    scripts: {
      start: 'node --enable-source-maps dist/main.js',
      ops: 'node dist/ops.js',
      reconcile: 'node dist/reconcile.js',
    },
    dependencies,
  };
  writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * Build the whole folder at `out` (replacing an earlier deploy folder there).
 * @param {string} out
 */
export async function buildDeployFolder(out) {
  checkTarget(out);
  rmSync(out, { recursive: true, force: true });
  const packageOut = path.join(out, 'apps/server');
  installProductionDependencies(packageOut);
  writeManifest(packageOut);
  await buildServer({ outdir: path.join(packageOut, 'dist') });
  mkdirSync(path.join(out, 'catalog'), { recursive: true });
  copyFileSync(path.join(repoRoot, 'catalog/products.json'), path.join(out, 'catalog/products.json'));
  copyFileSync(path.join(serverDir, 'Dockerfile'), path.join(out, 'Dockerfile'));
  buildConsole(out);
  return { out, main: path.join(packageOut, 'dist/main.js') };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // A relative dir is the caller's (pnpm runs this script from apps/server; INIT_CWD is where it was typed).
  const given = process.argv.slice(2).find((arg) => arg !== '--');
  const out = given
    ? path.resolve(process.env.INIT_CWD ?? process.cwd(), given)
    : path.join(repoRoot, 'dist/server');
  try {
    const { main } = await buildDeployFolder(out);
    console.log(`\nDeploy folder: ${out}`);
    console.log(`Start it from anywhere: node --enable-source-maps ${main}`);
    console.log('Container: docker build -t my-server <that folder> (see docs/deploy.md)');
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
