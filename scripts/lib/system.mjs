// Machine prerequisites shared by `scripts/up.mjs`, `scripts/test.mjs` and `.ci/run`: Debian's Chromium (for the
// browser tests and screenshots), a Korean font, and PostgreSQL (the server's PostgreSQL suite starts a throwaway
// cluster from its binaries). Plain Node, no dependencies: it runs before `pnpm install`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { findPostgresBin } from './postgres.mjs';

export const chromiumCandidates = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
];

export function findChromium() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  return chromiumCandidates.find((path) => existsSync(path));
}

function hasKoreanFont() {
  const result = spawnSync('fc-list', [':lang=ko'], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.trim().length > 0;
}

/**
 * Install Debian's `chromium`, `fonts-noto-cjk` and `postgresql` when missing (PostgreSQL only when PG_TEST_URL does
 * not name a server) and we are root on a Debian-like machine.
 * Returns the Chromium path, or undefined with a printed hint when it cannot install.
 */
export function ensureSystemPackages({ log = console.log } = {}) {
  const missingBrowser = !findChromium();
  const missingFont = !hasKoreanFont();
  const missingPostgres = !process.env.PG_TEST_URL && !findPostgresBin();
  if (!missingBrowser && !missingFont && !missingPostgres) return findChromium();
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = existsSync('/usr/bin/apt-get');
  if (!isRoot || !hasApt) {
    if (missingBrowser) {
      log('Chromium not found. Install it (Debian/Ubuntu: sudo apt-get install -y chromium fonts-noto-cjk)');
      log('or point CHROMIUM_PATH at a Chrome/Chromium binary.');
    }
    if (missingPostgres) {
      log(
        'PostgreSQL not found: the server suite on PostgreSQL will fail. Install it (Debian/Ubuntu: sudo apt-get',
      );
      log('install -y postgresql) or point PG_TEST_URL at a PostgreSQL server you can create databases on.');
    }
    return findChromium();
  }
  const packages = [
    missingBrowser && 'chromium',
    missingFont && 'fonts-noto-cjk',
    missingPostgres && 'postgresql',
  ].filter(Boolean);
  log(`Installing ${packages.join(', ')} from Debian packages…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
    stdio: 'inherit',
    env,
  });
  return findChromium();
}
