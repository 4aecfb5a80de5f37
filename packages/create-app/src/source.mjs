// @ts-check
/**
 * Where the new project's files come from, and which files those are.
 * - From a checkout of the starter (running `node packages/create-app/bin/create-ait-iap.mjs`): the files git tracks
 *   (`git ls-files`), as they are in the working tree.
 * - From the published package (`pnpm create ait-iap`): `template/`, which `prepack` filled with the same files.
 *   npm drops `.gitignore` and `.npmrc` from packages, so they travel as `_gitignore` / `_npmrc`.
 * Either way the scaffolder itself and its release workflow are left out. A symbolic link among the files (tracked,
 * in `template/`, or a folder on a file's path) is refused, never followed: a committed link to a file outside the
 * repository would otherwise copy that file into every new project and the packed template.
 * You probably don't need to edit this file.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The names the starter uses, which a new project replaces. */
export const TEMPLATE_NAMES = Object.freeze({
  name: 'ait-iap-starter',
  scope: '@ait-iap',
  appName: 'ait-iap-shop',
});

/** This package, inside the starter. */
export const SELF_DIR = 'packages/create-app';
/** Files of the starter that only exist to publish the scaffolder: its release workflow and release notes. */
const selfFiles = new Set(['.github/workflows/release-create-app.yml']);
const selfFolders = ['.changeset/'];
const junk =
  /(^|\/)(node_modules|\.dev|dist|\.turbo|\.test-results|test-results|playwright-report|coverage)(\/|$)/;

export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Whether a starter file (path relative to the starter's root, `/`-separated) belongs in a new project.
 * @param {string} file
 */
export function isProjectFile(file) {
  if (file === SELF_DIR || file.startsWith(`${SELF_DIR}/`)) return false;
  if (selfFiles.has(file) || selfFolders.some((folder) => file.startsWith(folder))) return false;
  return !junk.test(file);
}

const packedNames = new Map([
  ['.gitignore', '_gitignore'],
  ['.npmrc', '_npmrc'],
]);
const unpackedNames = new Map([...packedNames].map(([a, b]) => [b, a]));

/**
 * A file's path inside `template/` (dotfiles npm would drop get a `_` name).
 * @param {string} file
 */
export function toPackedPath(file) {
  return file
    .split('/')
    .map((part) => packedNames.get(part) ?? part)
    .join('/');
}

/**
 * @param {string} file
 */
export function fromPackedPath(file) {
  return file
    .split('/')
    .map((part) => unpackedNames.get(part) ?? part)
    .join('/');
}

/**
 * The starter checkout this package sits in, or null (e.g. when installed from npm).
 * @param {string} [dir]
 * @returns {string | null}
 */
export function findStarterCheckout(dir = packageRoot) {
  const root = path.resolve(dir, '..', '..');
  // Only the starter's own layout counts: installed under some other repo's node_modules, this is not a checkout.
  if (path.relative(root, dir).split(path.sep).join('/') !== SELF_DIR) return null;
  if (!existsSync(path.join(root, 'pnpm-workspace.yaml'))) return null;
  try {
    const top = execFileSync('git', ['rev-parse', '--show-toplevel'], {
      cwd: root,
      encoding: 'utf8',
      stdio: 'pipe',
    });
    return path.resolve(top.trim()) === root ? root : null;
  } catch {
    return null;
  }
}

export class SourceError extends Error {}

/**
 * The absolute path of the starter file `relative` under `root`, refusing a symbolic link at any step (the file or a
 * folder on its way) and anything that is not a regular file or resolves outside `root`. Read only through this.
 * @param {string} root
 * @param {string} relative `/`-separated
 */
export function sourceFile(root, relative) {
  let current = path.resolve(root);
  for (const part of relative.split('/')) {
    current = path.join(current, part);
    const stat = lstatSync(current);
    if (stat.isSymbolicLink()) {
      const shown = path.relative(root, current).split(path.sep).join('/');
      throw new SourceError(
        `${shown} is a symbolic link: the starter's files must be regular files (a link is never followed or copied). Replace it with the file itself, or remove it.`,
      );
    }
  }
  const realRoot = realpathSync(root);
  const real = realpathSync(current);
  if (!lstatSync(current).isFile() || !real.startsWith(realRoot + path.sep)) {
    throw new SourceError(`${relative} is not a regular file inside ${root}.`);
  }
  return current;
}

/**
 * Files git tracks in a checkout, relative and `/`-separated; files deleted in the working tree are left out, and a
 * tracked symbolic link is refused (`SourceError`).
 * @param {string} root
 * @returns {string[]}
 */
export function gitFiles(root) {
  const out = execFileSync('git', ['ls-files', '-z'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return out.split('\0').filter((file) => {
    if (file.length === 0) return false;
    const stat = lstatOrNull(path.join(root, file));
    if (!stat) return false;
    if (stat.isDirectory()) return false; // a submodule
    sourceFile(root, file);
    return true;
  });
}

/** @param {string} file */
function lstatOrNull(file) {
  try {
    return lstatSync(file);
  } catch {
    return null;
  }
}

/**
 * Every file under `dir`, relative and `/`-separated; a symbolic link anywhere under it is refused (`SourceError`).
 * @param {string} dir
 * @returns {string[]}
 */
export function walk(dir) {
  /** @type {string[]} */
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const full = path.join(entry.parentPath, entry.name);
    const relative = path.relative(dir, full).split(path.sep).join('/');
    if (entry.isSymbolicLink()) sourceFile(dir, relative); // throws, naming it
    if (!entry.isFile()) continue;
    files.push(relative);
  }
  return files.sort();
}

/**
 * @typedef {{ kind: 'checkout' | 'template', root: string, files: { from: string, to: string }[] }} TemplateSource
 * `from`: path under `root`; `to`: path in the new project.
 */

/**
 * Find the starter's files: a checkout around this package first, else the packed `template/`.
 * @param {{ starterRoot?: string, templateDir?: string }} [options]
 * @returns {TemplateSource}
 */
export function resolveSource(options = {}) {
  const checkout = options.starterRoot ?? (options.templateDir ? null : findStarterCheckout());
  if (checkout) {
    const files = gitFiles(checkout)
      .filter(isProjectFile)
      .map((file) => ({ from: file, to: file }));
    return { kind: 'checkout', root: checkout, files };
  }
  const templateDir = options.templateDir ?? path.join(packageRoot, 'template');
  if (!existsSync(templateDir)) {
    throw new Error(
      `No starter files found: ${templateDir} does not exist and this is not a git checkout of the starter.`,
    );
  }
  const files = walk(templateDir)
    .map((file) => ({ from: file, to: fromPackedPath(file) }))
    .filter((file) => isProjectFile(file.to));
  return { kind: 'template', root: templateDir, files };
}

/**
 * Fill `templateDir` (emptied first) with the starter's project files, dotfiles renamed for npm. `prepack` runs this.
 * @param {string} starterRoot
 * @param {string} templateDir
 * @returns {number} files copied
 */
export function packTemplate(starterRoot, templateDir) {
  const source = resolveSource({ starterRoot });
  rmSync(templateDir, { recursive: true, force: true });
  for (const file of source.files) {
    const from = sourceFile(starterRoot, file.from);
    const to = path.join(templateDir, toPackedPath(file.to));
    mkdirSync(path.dirname(to), { recursive: true });
    copyFileSync(from, to);
    chmodSync(to, statSync(from).mode & 0o777);
  }
  return source.files.length;
}
