// @ts-check
/**
 * Which starter a new project was made from, written into it as `starter.json`, so a fork can later see what changed
 * upstream since then (docs/upgrading.md):
 * - `starterVersion`: this scaffolder's version (the starter is released as this package);
 * - `starterCommit`: the starter's git commit. For the published package, `prepack` records it beside template/
 *   (`starter-build.json`); run from a checkout, it is the checkout's HEAD; "unknown" when neither is known;
 * - `renamed`: each starter name and what it became here, in the order the scaffolder replaced them, so a patch of
 *   the starter's later changes can be renamed the same way before it is applied;
 * - `leftOut` (only when something was): the parts the project was scaffolded without (`--no-bench` → "bench"), so
 *   a later patch touching them can be skipped.
 * You probably don't need to edit this file.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeInside } from './scaffold.mjs';
import { packageRoot, TEMPLATE_NAMES } from './source.mjs';

/** The file in the new project. */
export const STARTER_FILE = 'starter.json';
/** Written by `prepack` beside the template folder (published with it), read when scaffolding from the template. */
export const BUILD_INFO_FILE = 'starter-build.json';

/**
 * The checkout's HEAD commit, or null (not a git checkout, no git).
 * @param {string} root
 * @returns {string | null}
 */
export function checkoutCommit(root) {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
    return /^[0-9a-f]{40,64}$/.test(commit.trim()) ? commit.trim() : null;
  } catch {
    return null;
  }
}

/**
 * Record the starter's commit beside `templateDir` (prepack).
 * @param {string} templateDir
 * @param {string | null} commit
 */
export function writeBuildInfo(templateDir, commit) {
  const file = path.join(path.dirname(templateDir), BUILD_INFO_FILE);
  writeFileSync(file, `${JSON.stringify({ commit: commit ?? 'unknown' }, null, 2)}\n`);
  return file;
}

/**
 * The commit `prepack` recorded beside a template folder, or null.
 * @param {string} templateDir
 * @returns {string | null}
 */
function recordedCommit(templateDir) {
  const file = path.join(path.dirname(templateDir), BUILD_INFO_FILE);
  if (!existsSync(file)) return null;
  try {
    const { commit } = JSON.parse(readFileSync(file, 'utf8'));
    return typeof commit === 'string' && commit.length > 0 ? commit : null;
  } catch {
    return null;
  }
}

/**
 * What `starter.json` says for a project made from `source` with `names`, leaving out `leaveOut`.
 * @param {import('./source.mjs').TemplateSource} source
 * @param {import('./transform.mjs').ProjectNames} names
 * @param {string[]} [leaveOut]
 */
export function starterInfo(source, names, leaveOut = []) {
  const { version } = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8'));
  const commit = source.kind === 'checkout' ? checkoutCommit(source.root) : recordedCommit(source.root);
  return {
    starterVersion: String(version),
    starterCommit: commit ?? 'unknown',
    // Same order as transform.mjs `renameText`: the longer names first, then any other short name.
    renamed: [
      [TEMPLATE_NAMES.name, names.name],
      [TEMPLATE_NAMES.appName, names.appName],
      [TEMPLATE_NAMES.scope, names.scope],
      ['ait-iap', names.name],
    ],
    ...(leaveOut.length > 0 ? { leftOut: [...leaveOut] } : {}),
    upgrading: 'docs/upgrading.md',
  };
}

/**
 * Write `starter.json` into the new project (same rules as every other file: inside the target, never through a link).
 * @param {string} targetDir
 * @param {import('./source.mjs').TemplateSource} source
 * @param {import('./transform.mjs').ProjectNames} names
 * @param {string[]} [leaveOut]
 */
export function writeStarterInfo(targetDir, source, names, leaveOut = []) {
  const info = starterInfo(source, names, leaveOut);
  writeInside(realpathSync(targetDir), STARTER_FILE, `${JSON.stringify(info, null, 2)}\n`, false);
  return info;
}
