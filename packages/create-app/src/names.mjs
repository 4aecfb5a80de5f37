// @ts-check
/**
 * Names a new project needs, and their rules:
 * - the project (root package.json) name, by npm's rules;
 * - the package scope of its workspace packages (`@my-app` → `@my-app/server`, ...);
 * - the Apps in Toss `appName` (granite.config.ts): it becomes part of hostnames (`<appName>.apps.tossmini.com`),
 *   so lowercase letters, digits and hyphens.
 * Each validator returns a list of problems (empty = valid), in plain words.
 */
import { builtinModules } from 'node:module';
import path from 'node:path';

const blocked = new Set(['node_modules', 'favicon.ico']);

/**
 * npm package name rules (those of validate-npm-package-name for new packages).
 * @param {string} name
 * @returns {string[]}
 */
export function validatePackageName(name) {
  const problems = [];
  if (name.length === 0) return ['name must not be empty'];
  if (name.length > 214) problems.push('name must be at most 214 characters');
  if (name !== name.trim()) problems.push('name must not start or end with spaces');
  if (/^[._]/.test(name)) problems.push('name must not start with . or _');
  if (name.toLowerCase() !== name) problems.push('name must be lowercase');
  if (/[~'!()*]/.test(name.split('/').slice(-1)[0] ?? '')) problems.push("name must not contain ~'!()*");
  if (blocked.has(name)) problems.push(`"${name}" is a reserved name`);
  if (builtinModules.includes(name)) problems.push(`"${name}" is a Node.js core module name`);
  const scoped = /^@([^/]+)\/([^/]+)$/.exec(name);
  const parts = scoped ? [scoped[1] ?? '', scoped[2] ?? ''] : [name];
  if (name.startsWith('@') && !scoped) problems.push('a scoped name looks like @scope/name');
  for (const part of parts) {
    if (part.length === 0) problems.push('name parts must not be empty');
    else if (encodeURIComponent(part) !== part)
      problems.push('name may only use URL-safe characters (a-z 0-9 - . _)');
  }
  return [...new Set(problems)];
}

/**
 * A package scope like `@my-app` (the `@` is optional on input; see `normalizeScope`).
 * @param {string} scope
 * @returns {string[]}
 */
export function validateScope(scope) {
  if (!/^@[a-z0-9][a-z0-9._~-]*$/.test(scope)) {
    return [`scope must look like @my-app (lowercase letters, digits, - . _ ~), got "${scope}"`];
  }
  return validatePackageName(`${scope}/server`).map((p) => `scope: ${p}`);
}

/**
 * @param {string} scope
 * @returns {string}
 */
export function normalizeScope(scope) {
  const trimmed = scope.trim();
  return trimmed.startsWith('@') ? trimmed : `@${trimmed}`;
}

/**
 * The Apps in Toss appName: used in hostnames, so a DNS label in lowercase.
 * @param {string} appName
 * @returns {string[]}
 */
export function validateAppName(appName) {
  if (!/^[a-z][a-z0-9-]*[a-z0-9]$/.test(appName) || appName.includes('--') || appName.length > 63) {
    return [
      `appName must be 2-63 lowercase letters, digits and single hyphens, starting with a letter (e.g. my-shop), got "${appName}"`,
    ];
  }
  return [];
}

/**
 * The team's support page the mini-app's "고객센터 문의" opens (VITE_SUPPORT_URL): an http(s) URL; `{ref}` in it is
 * replaced by the order's short reference. Empty = not set (the app falls back to Toss's general page).
 * @param {string} url
 * @returns {string[]}
 */
export function validateSupportUrl(url) {
  if (url === '') return [];
  let web = false;
  try {
    const parsed = new URL(url.replace('{ref}', 'ref'));
    web = parsed.protocol === 'https:' || parsed.protocol === 'http:';
  } catch {}
  if (!web) {
    return [
      `support URL must be an http(s) URL, e.g. https://help.example.com/contact?order={ref}, got "${url}"`,
    ];
  }
  // Vite reads the value with dotenv + dotenv-expand: `$` would be expanded, quotes and spaces end the value.
  if (/[\s"'`$\\]/.test(url)) {
    return [
      `support URL must not contain spaces, quotes, backslashes or $ (percent-encode them), got "${url}"`,
    ];
  }
  return [];
}

/**
 * Turn any folder name into a package-name-like slug: "My Shop!" → "my-shop".
 * @param {string} text
 * @returns {string}
 */
export function slugify(text) {
  const slug = text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50)
    .replace(/-+$/g, '');
  return /^[a-z]/.test(slug) ? slug : `app-${slug}`.replace(/-+$/g, '');
}

/**
 * Defaults derived from the target directory: my-shop → { name: 'my-shop', scope: '@my-shop', appName: 'my-shop' }.
 * @param {string} targetDir
 * @returns {{ name: string, scope: string, appName: string }}
 */
export function defaultNames(targetDir) {
  const slug = slugify(path.basename(path.resolve(targetDir)));
  return { name: slug, scope: `@${slug}`, appName: slug };
}
