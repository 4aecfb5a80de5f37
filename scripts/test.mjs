// `pnpm test`: every check and every suite, then ONE closing line `N passed, N failed`.
// 1. lint (Biome)  2. typecheck (every package)  3. unit/integration suites (vitest, per package)
// 4. browser e2e (Playwright + Debian Chromium). Each suite writes a JSON report under <package>/.test-results/;
// this script sums them. A package whose suite crashed before reporting counts as a failure, never as a pass.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCurrentNode } from './lib/node-runtime.mjs';
import { freePort } from './lib/processes.mjs';
import { ensureSystemPackages } from './lib/system.mjs';

if (process.argv.includes('--help')) {
  console.log(`usage: pnpm test   (node scripts/test.mjs)

Lint, typecheck, every package's suite and the browser e2e; ends with one line: N passed, N failed.`);
  process.exit(0);
}
await ensureCurrentNode();

const root = fileURLToPath(new URL('..', import.meta.url));
const env = {
  ...process.env,
  TURBO_TELEMETRY_DISABLED: '1',
  FORCE_COLOR: process.env.FORCE_COLOR ?? '0',
};
const chromium = ensureSystemPackages();
if (chromium) env.CHROMIUM_PATH = chromium;

function run(label, command, args, extraEnv = {}) {
  console.log(`\n▶ ${label}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...env, ...extraEnv } });
  return result.status === 0;
}

/** `ait build` of the release mini-app (no mock compiled in) must produce the `.ait` bundle the console deploys. */
function aitBuild() {
  const artifact = join(root, 'apps', 'web', 'ait-iap-shop.ait');
  rmSync(artifact, { force: true });
  const ok = run('ait build', 'pnpm', ['--filter', '@ait-iap/web', 'build:ait'], {
    VITE_API_URL: 'https://api.example.com',
  });
  return ok && existsSync(artifact);
}

/** `pnpm dev --smoke` on free ports and a throwaway database: the README's first command really starts. */
async function devSmoke() {
  const dir = mkdtempSync(join(tmpdir(), 'ait-dev-smoke-'));
  try {
    return run('dev smoke', 'node', ['scripts/dev.mjs', '--smoke'], {
      MOCK_TOSS_PORT: String(await freePort()),
      MOCK_TOSS_CONTROL_PORT: String(await freePort()),
      PORT: String(await freePort()),
      WEB_PORT: String(await freePort()),
      DATABASE_PATH: join(dir, 'app.db'),
      MOCK_TOSS_CERT_DIR: join(dir, 'certs'),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Workspace packages that declare a `test` script. */
function testPackages() {
  const dirs = [];
  for (const group of ['apps', 'packages']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base)) dirs.push(join(base, name));
  }
  dirs.push(join(root, 'e2e'), join(root, 'scripts'));
  return dirs.filter((dir) => {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) return false;
    return Boolean(JSON.parse(readFileSync(manifest, 'utf8')).scripts?.test);
  });
}

/** Count passed/failed in one package's reports (vitest JSON or Playwright JSON). */
function countReports(dir) {
  const reportDir = join(dir, '.test-results');
  if (!existsSync(reportDir)) return undefined;
  let passed = 0;
  let failed = 0;
  let found = false;
  for (const file of readdirSync(reportDir).filter((f) => f.endsWith('.json'))) {
    const report = JSON.parse(readFileSync(join(reportDir, file), 'utf8'));
    if (typeof report.numPassedTests === 'number') {
      found = true;
      passed += report.numPassedTests;
      failed +=
        report.numFailedTests +
        (report.numTotalTestSuites > 0 && report.success === false && report.numFailedTests === 0 ? 1 : 0);
    } else if (report.stats && typeof report.stats.expected === 'number') {
      found = true;
      passed += report.stats.expected;
      failed += report.stats.unexpected + report.stats.flaky;
    }
  }
  return found ? { passed, failed } : undefined;
}

const packages = testPackages();
for (const dir of packages) rmSync(join(dir, '.test-results'), { recursive: true, force: true });

const checks = [];
checks.push({ name: 'lint (biome + workflow schema)', ok: run('lint', 'pnpm', ['lint']) });
checks.push({
  name: 'typecheck',
  ok: run('typecheck', 'pnpm', ['exec', 'turbo', 'run', 'typecheck', '--continue']),
});
checks.push({ name: 'dev smoke (mock + seed + server + web start and answer)', ok: await devSmoke() });
checks.push({ name: 'ait build (the .ait bundle Apps in Toss deploys)', ok: aitBuild() });
const unitOk = run('unit and integration suites', 'pnpm', [
  'exec',
  'turbo',
  'run',
  'test',
  '--continue',
  '--concurrency=1',
  '--filter=!@ait-iap/e2e',
]);
const e2eOk = packages.some((dir) => dir.endsWith('/e2e'))
  ? run('browser e2e', 'pnpm', ['exec', 'turbo', 'run', 'test', '--filter=@ait-iap/e2e'])
  : true;

let passed = 0;
let failed = 0;
console.log('\nSummary');
for (const check of checks) {
  console.log(`  ${check.ok ? 'ok  ' : 'FAIL'} ${check.name}`);
  if (check.ok) passed += 1;
  else failed += 1;
}
for (const dir of packages) {
  const counts = countReports(dir);
  const name = relative(root, dir);
  if (!counts) {
    console.log(`  FAIL ${name}: no test report (the suite crashed or did not run)`);
    failed += 1;
    continue;
  }
  console.log(
    `  ${counts.failed === 0 ? 'ok  ' : 'FAIL'} ${name}: ${counts.passed} passed, ${counts.failed} failed`,
  );
  passed += counts.passed;
  failed += counts.failed;
}
if ((!unitOk || !e2eOk) && failed === 0) {
  console.log('  FAIL a test runner exited non-zero without a failing test in its report');
  failed += 1;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
