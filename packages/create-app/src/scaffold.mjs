// @ts-check
/**
 * Write a new project: check the target directory, copy every starter file through `transformFile`, keep the
 * executable bit (`.ci/run`), then optionally install dependencies, format (Biome) and make the first git commit.
 * You probably don't need to edit this file.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { projectReadme, transformFile } from './transform.mjs';

/** @typedef {import('./transform.mjs').ProjectNames} ProjectNames */
/** @typedef {import('./source.mjs').TemplateSource} TemplateSource */

/**
 * Entries that don't make a directory "non-empty" (like create-vite: a fresh `git init` is fine).
 * @param {string} dir
 */
export function isEmptyDir(dir) {
  if (!existsSync(dir)) return true;
  if (!statSync(dir).isDirectory()) return false;
  return readdirSync(dir).every((entry) => entry === '.git' || entry === '.DS_Store');
}

/**
 * @param {{ source: TemplateSource, targetDir: string, names: ProjectNames, force?: boolean }} options
 * @returns {{ written: number }}
 */
export function writeProject({ source, targetDir, names, force = false }) {
  if (existsSync(targetDir) && !statSync(targetDir).isDirectory()) {
    throw new ScaffoldError(`${targetDir} exists and is not a directory.`);
  }
  if (!force && !isEmptyDir(targetDir)) {
    throw new ScaffoldError(
      `${targetDir} is not empty. Pick another directory, empty it, or pass --force to write into it ` +
        '(files with the same paths are overwritten; nothing else is deleted).',
    );
  }
  for (const file of source.files) {
    const from = path.join(source.root, file.from);
    const to = path.join(targetDir, file.to);
    mkdirSync(path.dirname(to), { recursive: true });
    writeFileSync(to, transformFile(file.to, readFileSync(from), names));
    if (statSync(from).mode & 0o111) chmodSync(to, 0o755);
  }
  // A starter without a README still gives the new project one (quick start and names).
  if (!source.files.some((file) => file.to === 'README.md')) {
    writeFileSync(path.join(targetDir, 'README.md'), projectReadme('', names));
  }
  return { written: source.files.length };
}

export class ScaffoldError extends Error {}

/**
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd: string, env?: NodeJS.ProcessEnv, quiet?: boolean }} options
 */
export function run(command, args, { cwd, env = process.env, quiet = false }) {
  const result = spawnSync(command, args, { cwd, env, stdio: quiet ? 'pipe' : 'inherit', encoding: 'utf8' });
  return { ok: result.status === 0, missing: /** @type {any} */ (result.error)?.code === 'ENOENT', result };
}

/**
 * `pnpm install` in the new project (frozen lockfile when CI=true, as pnpm does by default).
 * @param {string} dir
 * @returns {'installed' | 'no-pnpm' | 'failed'}
 */
export function install(dir) {
  const outcome = run('pnpm', ['install', '--prefer-offline'], { cwd: dir, env: process.env });
  if (outcome.missing) return 'no-pnpm';
  return outcome.ok ? 'installed' : 'failed';
}

/**
 * `pnpm run format` (Biome) in the new project. Renaming changes import order (imports are sorted by package name)
 * and line lengths, so the new project needs one formatting pass to pass its own lint.
 * @param {string} dir
 * @returns {'formatted' | 'failed'}
 */
export function format(dir) {
  return run('pnpm', ['run', '--silent', 'format'], { cwd: dir, env: process.env, quiet: true }).ok
    ? 'formatted'
    : 'failed';
}

/**
 * `git init` and a first commit. A machine without a git identity gets the files staged, not committed.
 * A directory that already is a repository is left alone.
 * @param {string} dir
 * @returns {'committed' | 'staged' | 'exists' | 'no-git' | 'failed'}
 */
export function initGit(dir) {
  if (existsSync(path.join(dir, '.git'))) return 'exists';
  const init = run('git', ['init', '-q', '-b', 'main'], { cwd: dir, quiet: true });
  if (init.missing) return 'no-git';
  if (!init.ok) return 'failed';
  if (!run('git', ['add', '-A'], { cwd: dir, quiet: true }).ok) return 'failed';
  const commit = run('git', ['commit', '-q', '-m', 'Initial commit from create-ait-iap'], {
    cwd: dir,
    quiet: true,
  });
  return commit.ok ? 'committed' : 'staged';
}
