// The README's first command: `node scripts/up.mjs` — on a machine that has only Node, install everything and start
// everything. On a Node older than 22.12 it first brings Node 24 from the npm registry and re-runs itself on it (one
// line says so). Then it installs pnpm (pinned) when missing, Debian's Chromium + a Korean font (+ PostgreSQL for the
// server's PostgreSQL suite) when root on Debian, the dependencies, and runs `pnpm dev`'s script (mock Toss + server + web,
// seeded).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureCurrentNode } from './lib/node-runtime.mjs';
import { ensureSystemPackages } from './lib/system.mjs';

if (process.argv.includes('--help')) {
  console.log(`usage: node scripts/up.mjs

Installs pnpm, the dependencies (and, as root on Debian, Chromium and a Korean font), then runs \`pnpm dev\`.`);
  process.exit(0);
}
await ensureCurrentNode();

const root = fileURLToPath(new URL('..', import.meta.url));
const pnpmVersion = '12.21.0';
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1' };

function pnpmInstalledVersion() {
  const result = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

if (pnpmInstalledVersion() !== pnpmVersion) {
  console.log(`Installing pnpm ${pnpmVersion}…`);
  execFileSync('npm', ['install', '-g', `pnpm@${pnpmVersion}`, '--no-fund', '--no-audit'], {
    stdio: 'inherit',
  });
}
ensureSystemPackages();
console.log('Installing dependencies…');
execFileSync('pnpm', ['install'], { cwd: root, stdio: 'inherit', env });
// `pnpm dev` without the pnpm shim in between, so a stop signal reaches the script that stops every child.
const dev = spawn(process.execPath, ['scripts/dev.mjs'], { cwd: root, stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => dev.kill(signal));
dev.on('exit', (code) => process.exit(code ?? 0));
