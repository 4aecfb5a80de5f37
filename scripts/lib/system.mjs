// Machine prerequisites shared by `scripts/up.mjs`, `scripts/test.mjs` and `.ci/run`: Debian's Chromium (for the
// browser tests and screenshots) and a Korean font. Plain Node, no dependencies: it runs before `pnpm install`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

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
 * Install Debian's `chromium` and `fonts-noto-cjk` when missing and we are root on a Debian-like machine.
 * Returns the Chromium path, or undefined with a printed hint when it cannot install.
 */
export function ensureChromium({ log = console.log } = {}) {
  const missingBrowser = !findChromium();
  const missingFont = !hasKoreanFont();
  if (!missingBrowser && !missingFont) return findChromium();
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = existsSync('/usr/bin/apt-get');
  if (!isRoot || !hasApt) {
    if (missingBrowser) {
      log('Chromium not found. Install it (Debian/Ubuntu: sudo apt-get install -y chromium fonts-noto-cjk)');
      log('or point CHROMIUM_PATH at a Chrome/Chromium binary.');
    }
    return findChromium();
  }
  const packages = [missingBrowser && 'chromium', missingFont && 'fonts-noto-cjk'].filter(Boolean);
  log(`Installing ${packages.join(', ')} from Debian packages…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
    stdio: 'inherit',
    env,
  });
  return findChromium();
}

/** node-gyp must not download Node headers on machines without internet; use the system's when present. */
export function nativeBuildEnv(env = process.env) {
  if (existsSync('/usr/include/node/node.h') && !env.npm_config_nodedir) {
    return { ...env, npm_config_nodedir: '/usr' };
  }
  return env;
}
