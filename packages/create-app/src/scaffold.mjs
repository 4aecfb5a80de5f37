// @ts-check
/**
 * Write a new project: check the target directory, copy every starter file through `transformFile`, keep the
 * executable bit (`.ci/run`), then optionally install dependencies, format (Biome) and make the first git commit.
 * Every write stays inside the target directory, `--force` included: a symlink in the way (the target itself, a
 * folder on the path or the file) is refused, never followed, and an existing file is replaced, not written through.
 * The same on the read side: a starter file that is a symbolic link (or lies under one) is refused (`sourceFile`).
 * You probably don't need to edit this file.
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { keepsFile } from './leave-out.mjs';
import { sourceFile } from './source.mjs';
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

/** What the mini-app's release build reads for the team's support page (apps/web/.env.production, committed). */
export const supportSettingsFile = 'apps/web/.env.production';

/**
 * `leaveOut`: the parts the project goes without (leave-out.mjs): their files are not written, other files lose them.
 * @param {{ source: TemplateSource, targetDir: string, names: ProjectNames, settings?: { supportUrl?: string },
 *   force?: boolean, leaveOut?: import('./leave-out.mjs').LeaveOutName[] }} options
 * @returns {{ written: number }}
 */
export function writeProject({ source, targetDir, names, settings = {}, force = false, leaveOut = [] }) {
  const target = lstatOrNull(targetDir);
  if (target?.isSymbolicLink()) {
    throw new ScaffoldError(
      `${targetDir} is a symbolic link. Pass the directory it points to, if that is intended.`,
    );
  }
  if (target && !target.isDirectory()) {
    throw new ScaffoldError(`${targetDir} exists and is not a directory.`);
  }
  if (!force && !isEmptyDir(targetDir)) {
    throw new ScaffoldError(
      `${targetDir} is not empty. Pick another directory, empty it, or pass --force to write into it ` +
        '(files with the same paths are overwritten; nothing else is deleted).',
    );
  }
  const files = source.files.filter((file) => keepsFile(file.to, leaveOut));
  const readme = files.some((file) => file.to === 'README.md') ? [] : ['README.md'];
  const extra = settings.supportUrl ? [supportSettingsFile] : [];
  const destinations = [...files.map((file) => file.to), ...readme, ...extra];
  // Check every destination before writing anything, so a refusal leaves the directory as it was.
  if (target) {
    const root = realpathSync(targetDir);
    for (const relative of destinations) insideTarget(root, relative, { create: false });
  }
  mkdirSync(targetDir, { recursive: true });
  const root = realpathSync(targetDir);
  for (const file of files) {
    const from = sourceFile(source.root, file.from); // never read through a symbolic link
    const executable = (statSync(from).mode & 0o111) !== 0;
    writeInside(root, file.to, transformFile(file.to, readFileSync(from), names, leaveOut), executable);
  }
  // A starter without a README still gives the new project one (quick start and names).
  if (readme.length > 0) writeInside(root, 'README.md', projectReadme('', names), false);
  if (settings.supportUrl) {
    const body =
      "# The mini-app's release-build settings (Vite reads this file for `vite build`). Written by create-ait-iap.\n" +
      '# Your support page: "고객센터 문의" opens it with the order\'s short reference ({ref}, else ?ref=).\n' +
      // Quoted only when it must be: an unquoted `#` starts a comment (a hash route like /#/contact would be cut).
      `VITE_SUPPORT_URL=${settings.supportUrl.includes('#') ? `"${settings.supportUrl}"` : settings.supportUrl}\n`;
    writeInside(root, supportSettingsFile, Buffer.from(body), false);
  }
  return { written: files.length };
}

export class ScaffoldError extends Error {}

/** @param {string} file */
function lstatOrNull(file) {
  try {
    return lstatSync(file);
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * The absolute path of `relative` (`/`-separated) under `root` (a real path), refusing anything that would leave it:
 * an absolute path, `.`/`..` segments, a symbolic link on the way or at the end, a file where a folder must be.
 * With `create`, missing folders are made one at a time (never through a link).
 * @param {string} root
 * @param {string} relative
 * @param {{ create: boolean }} options
 */
export function insideTarget(root, relative, { create }) {
  const segments = relative.split('/');
  if (
    path.isAbsolute(relative) ||
    relative.includes('\\') ||
    segments.some((segment) => segment === '' || segment === '.' || segment === '..')
  ) {
    throw new ScaffoldError(`refusing to write ${relative}: the path must stay inside the target directory`);
  }
  let current = root;
  for (const [index, segment] of segments.entries()) {
    current = path.join(current, segment);
    const last = index === segments.length - 1;
    let stat = lstatOrNull(current);
    if (stat?.isSymbolicLink()) {
      throw new ScaffoldError(
        `refusing to write through the symbolic link ${current} (it could point outside the target directory); ` +
          'remove it and run again',
      );
    }
    if (last) {
      if (stat?.isDirectory()) throw new ScaffoldError(`refusing to write ${current}: it is a directory`);
      break;
    }
    if (!stat && create) {
      try {
        mkdirSync(current);
      } catch (error) {
        if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') throw error;
      }
      stat = lstatSync(current);
      if (stat.isSymbolicLink())
        throw new ScaffoldError(`refusing to write through the symbolic link ${current}`);
    }
    if (stat && !stat.isDirectory()) {
      throw new ScaffoldError(`refusing to write ${relative}: ${current} is a file, not a directory`);
    }
    if (!stat) break; // (check only) nothing exists below: nothing there can point outside
  }
  const resolved = path.join(root, ...segments);
  const back = path.relative(root, resolved);
  if (back.startsWith('..') || path.isAbsolute(back)) {
    throw new ScaffoldError(`refusing to write ${relative}: it resolves outside the target directory`);
  }
  return resolved;
}

/**
 * Write `content` to `relative` under `root` as a NEW file: an existing file is unlinked first (so a hard link's
 * other name is untouched), and the open fails rather than follow a link that appears in between.
 * @param {string} root
 * @param {string} relative
 * @param {string | Buffer} content
 * @param {boolean} executable
 */
export function writeInside(root, relative, content, executable) {
  const file = insideTarget(root, relative, { create: true });
  if (lstatOrNull(file)) unlinkSync(file);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);
  const fd = openSync(file, flags, executable ? 0o755 : 0o644);
  try {
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd, bytes, offset);
    if (executable) fchmodSync(fd, 0o755);
  } finally {
    closeSync(fd);
  }
}

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
