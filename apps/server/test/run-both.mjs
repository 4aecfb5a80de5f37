// `pnpm --filter @ait-iap/server test [-- <vitest args>]`: the same suite on both backends, one after the other
// (SQLite: vitest.config.ts → .test-results/vitest.json; PostgreSQL: vitest.postgres.config.ts →
// .test-results/vitest-postgres.json). Extra arguments (a file filter, -t …) go to both runs. Exits non-zero if either
// fails. A run that crashed before reporting (e.g. no PostgreSQL on the machine) leaves a FAILING report with the
// reason, so the root `pnpm test` counts it as a failure — never as a skipped suite.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2).filter((arg) => arg !== '--');
const runs = [
  { backend: 'SQLite', config: 'vitest.config.ts', report: '.test-results/vitest.json' },
  {
    backend: 'PostgreSQL',
    config: 'vitest.postgres.config.ts',
    report: '.test-results/vitest-postgres.json',
  },
];

// The package's own vitest (also when this file is run with plain `node`, outside `pnpm test`).
const localVitest = path.join(serverDir, 'node_modules', '.bin', 'vitest');
const vitest = existsSync(localVitest) ? localVitest : 'vitest';

let failed = false;
for (const run of runs) {
  const report = path.join(serverDir, run.report);
  rmSync(report, { force: true });
  console.log(`\n▶ server suite on ${run.backend} (${run.config})`);
  const result = spawnSync(vitest, ['run', '--config', run.config, ...args], {
    cwd: serverDir,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (result.error) console.error(`✗ cannot start vitest: ${result.error.message}`);
  if (result.status !== 0) failed = true;
  // A run that failed before any test (e.g. the PostgreSQL setup threw) may leave a report counting no failure.
  const counted = existsSync(report) ? JSON.parse(readFileSync(report, 'utf8')) : null;
  if (
    !counted ||
    (result.status !== 0 && !(counted.numFailedTests > 0) && !(counted.numTotalTestSuites > 0))
  ) {
    failed = true;
    const reason = `the ${run.backend} run failed (exit ${result.status ?? result.signal}) before reporting a test: see its output above`;
    console.error(`✗ ${reason}`);
    mkdirSync(path.dirname(report), { recursive: true });
    writeFileSync(
      report,
      JSON.stringify({
        numTotalTestSuites: 1,
        numPassedTests: 0,
        numFailedTests: 1,
        numTotalTests: 1,
        success: false,
        testResults: [{ name: run.config, status: 'failed', message: reason, assertionResults: [] }],
      }),
    );
  }
}
process.exit(failed ? 1 : 0);
