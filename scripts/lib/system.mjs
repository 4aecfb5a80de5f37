// Machine prerequisites shared by `scripts/up.mjs` and `scripts/test.mjs` (`.ci/run` checks the same in shell):
// Debian's Chromium (for the browser tests and screenshots), a Korean font, and PostgreSQL where the project keeps it
// (the server's PostgreSQL suite starts a throwaway cluster from its binaries). Plain Node, no dependencies: it runs
// before `pnpm install`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
// starter:postgres
import { findPostgresBin } from './postgres.mjs';
// /starter:postgres

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
 * What the machine needs: each Debian package, whether it is missing, and what to tell someone who must install it.
 * @returns {{ name: string, missing: boolean, hint?: string[] }[]}
 */
function requirements() {
  return [
    {
      name: 'chromium',
      missing: !findChromium(),
      hint: [
        'Chromium not found. Install it (Debian/Ubuntu: sudo apt-get install -y chromium fonts-noto-cjk)',
        'or point CHROMIUM_PATH at a Chrome/Chromium binary.',
      ],
    },
    { name: 'fonts-noto-cjk', missing: !hasKoreanFont() },
    // starter:postgres
    {
      name: 'postgresql',
      missing: !process.env.PG_TEST_URL && !findPostgresBin(),
      hint: [
        'PostgreSQL not found: the server suite on PostgreSQL will fail. Install it (Debian/Ubuntu: sudo apt-get',
        'install -y postgresql) or point PG_TEST_URL at a PostgreSQL server you can create databases on.',
      ],
    },
    // /starter:postgres
  ];
}

/**
 * Install the missing Debian packages (`requirements`) when we are root on a Debian-like machine; otherwise print how
 * to install them. Returns the Chromium path, or undefined when there is none.
 */
export function ensureSystemPackages({ log = console.log } = {}) {
  const missing = requirements().filter((requirement) => requirement.missing);
  if (missing.length === 0) return findChromium();
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = existsSync('/usr/bin/apt-get');
  if (!isRoot || !hasApt) {
    for (const line of missing.flatMap((requirement) => requirement.hint ?? [])) log(line);
    return findChromium();
  }
  const packages = missing.map((requirement) => requirement.name);
  log(`Installing ${packages.join(', ')} from Debian packages…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
    stdio: 'inherit',
    env,
  });
  return findChromium();
}
