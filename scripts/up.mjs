// The README's first command: `node scripts/up.mjs` — on a machine that has only Node, install everything and start
// everything. Installs pnpm (pinned) when missing, Debian's Chromium + a Korean font when root on Debian (for the
// browser tests), the dependencies, then runs `pnpm dev` (mock Toss + server + web, seeded).
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureSystemPackages, nativeBuildEnv } from './lib/system.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const pnpmVersion = '12.21.0';
const env = { ...nativeBuildEnv(), TURBO_TELEMETRY_DISABLED: '1' };

function pnpmInstalledVersion() {
  const result = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(
    `Node ${process.versions.node} is too old: this starter needs Node 20.19+ (22 or 24 LTS recommended).`,
  );
  process.exit(1);
}
if (pnpmInstalledVersion() !== pnpmVersion) {
  console.log(`Installing pnpm ${pnpmVersion}…`);
  execFileSync('npm', ['install', '-g', `pnpm@${pnpmVersion}`, '--no-fund', '--no-audit'], {
    stdio: 'inherit',
  });
}
ensureSystemPackages();
console.log('Installing dependencies (the first run compiles better-sqlite3, ~1–2 min)…');
execFileSync('pnpm', ['install'], { cwd: root, stdio: 'inherit', env });
const dev = spawnSync('pnpm', ['dev'], { cwd: root, stdio: 'inherit', env });
process.exit(dev.status ?? 0);
