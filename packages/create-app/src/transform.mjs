// @ts-check
/**
 * What changes in each starter file on its way into a new project:
 * - every template name is renamed: the root name `ait-iap-starter`, the appName `ait-iap-shop`, the scope
 *   `@ait-iap`, and any other `ait-iap` (temp-dir prefixes, dev-certificate labels) becomes the project name;
 * - the scaffolder is removed everywhere it is mentioned: root scripts, turbo tasks, the lockfile's importer, and
 *   lines of Markdown/YAML (docs, workflows, pnpm-workspace.yaml);
 * - the README becomes the new project's README (quick start first, then the starter's guide);
 * - what the project leaves out (`--no-bench`, `--no-postgres`) goes, and every `starter:` marker line (leave-out.mjs).
 * Binary files pass through untouched. Customization point: `projectReadme` (the new project's README header).
 */
import { leaveOutText, removedDependencies, replacementOf, stripMarkers } from './leave-out.mjs';
import { pruneLockfile } from './lockfile.mjs';
import { SELF_DIR, TEMPLATE_NAMES } from './source.mjs';

/** @typedef {{ name: string, scope: string, appName: string }} ProjectNames */

const selfMention = /create-app|create-ait-iap|pnpm create|npm create|npx create/;

/**
 * @param {string} text
 * @param {ProjectNames} names
 */
export function renameText(text, names) {
  return text
    .replaceAll(TEMPLATE_NAMES.name, names.name)
    .replaceAll(TEMPLATE_NAMES.appName, names.appName)
    .replace(/@ait-iap(?![\w-])/g, names.scope)
    .replace(/(?<![\w@/.-])ait-iap(?!\w)/g, names.name);
}

/**
 * @param {Uint8Array} bytes
 */
export function isBinary(bytes) {
  return bytes.subarray(0, 8000).includes(0);
}

/**
 * Root package.json: drop scripts that run the scaffolder; set the new name.
 * @param {string} text
 */
function rootPackageJson(text) {
  const manifest = JSON.parse(text);
  const drop = Object.entries(manifest.scripts ?? {}).filter(([key, command]) =>
    selfMention.test(`${key} ${command}`),
  );
  if (drop.length === 0) return text; // untouched: keep the file byte-for-byte (Biome-formatted)
  for (const [key] of drop) delete manifest.scripts[key];
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * turbo.json: drop task entries for the scaffolder (`create-ait-iap#test`, ...).
 * @param {string} text
 */
function turboJson(text) {
  const turbo = JSON.parse(text);
  const drop = Object.keys(turbo.tasks ?? {}).filter((key) => selfMention.test(key));
  if (drop.length === 0) return text;
  for (const key of drop) delete turbo.tasks[key];
  return `${JSON.stringify(turbo, null, 2)}\n`;
}

/**
 * pnpm-lock.yaml: drop the scaffolder's importer. (Renaming happens after, like every file.)
 * @param {string} text
 */
export function lockfileWithoutSelf(text) {
  const lines = text.split('\n');
  const start = lines.indexOf(`  ${SELF_DIR}:`);
  if (start === -1) return text;
  let end = start + 1;
  while (end < lines.length && !/^ {0,2}\S/.test(lines[end] ?? '')) end++;
  return [...lines.slice(0, start), ...lines.slice(end)].join('\n');
}

/**
 * Markdown and YAML: drop lines that mention the scaffolder (list items, table rows, steps).
 * @param {string} text
 */
function withoutSelfLines(text) {
  return text
    .split('\n')
    .filter((line) => !selfMention.test(line))
    .join('\n');
}

/**
 * The new project's README: its name, the two quick-start commands, its names, then the starter's guide (every
 * section after the starter's quick start, minus anything about scaffolding).
 * @param {string} starterReadme
 * @param {ProjectNames} names
 */
export function projectReadme(starterReadme, names) {
  const sections = starterReadme.split(/\n(?=## )/);
  const quickStart = sections.findIndex((s) => /^## Quick start/i.test(s));
  const guide = sections
    .slice(quickStart + 1)
    .filter((s) => quickStart !== -1 && !/^## .*(scaffold|create|new project)/i.test(s))
    .join('\n');
  const header = `# ${names.name}

An Apps in Toss mini-app that sells in-app purchases: the mini-app (\`apps/web\`), its fulfillment server
(\`apps/server\`), the contract they share (\`packages/iap-contract\`) and a faithful mock of Toss
(\`packages/toss-mock\`), with tests that prove a paid order is never lost and never granted twice.

## Quick start — two commands

You need Node (24 LTS recommended; 22.12+ works; an older Node gets Node 24 from the npm registry). The first command installs pnpm, the dependencies and, on
Debian/Ubuntu as root, Chromium and a Korean font for the browser tests.

\`\`\`sh
node scripts/up.mjs   # 1. install everything and start mock Toss + server + mini-app, seeded
pnpm test             # 2. run every check and test: lint, typecheck, unit, integration, browser e2e
\`\`\`

Then open <http://localhost:5173>. After the first install, \`pnpm dev\` starts everything again.

## This project's names

| what | value | where |
|---|---|---|
| project | \`${names.name}\` | root \`package.json\` |
| package scope | \`${names.scope}\` | \`${names.scope}/web\`, \`${names.scope}/server\`, \`${names.scope}/iap-contract\`, ... |
| Apps in Toss appName | \`${names.appName}\` | \`apps/web/granite.config.ts\` — must match the app registered in the console |

Next: put your products in \`catalog/products.json\` (\`pnpm seed --sheet\` prints what to register in the console),
set what each SKU grants, and change the screens and copy in \`apps/web\`.
`;
  const body = guide.length > 0 ? `\n${renameText(withoutSelfLines(guide), names)}` : '';
  return `${header}${body.trimEnd()}\n\nScaffolded with create-ait-iap, from the Apps in Toss IAP starter.\n`;
}

/**
 * Transform one starter file for the new project.
 * @param {string} file path in the project, `/`-separated
 * @param {Buffer} bytes
 * @param {ProjectNames} names
 * @param {Iterable<import('./leave-out.mjs').LeaveOutName>} [leaveOut] the parts this project leaves out
 * @returns {Buffer}
 */
export function transformFile(file, bytes, names, leaveOut = []) {
  if (isBinary(bytes)) return bytes;
  let text = replacementOf(file, leaveOut) ?? bytes.toString('utf8');
  if (file === 'README.md') return Buffer.from(projectReadme(stripMarkers(text, leaveOut, file), names));
  if (file === 'pnpm-lock.yaml') {
    const removed = removedDependencies(leaveOut);
    text = lockfileWithoutSelf(text);
    return Buffer.from(renameText(removed.size > 0 ? pruneLockfile(text, removed) : text, names));
  }
  if (file === 'package.json') text = rootPackageJson(text);
  else if (file === 'turbo.json') text = turboJson(text);
  else if (/\.(md|ya?ml)$/.test(file)) text = withoutSelfLines(text);
  return Buffer.from(renameText(leaveOutText(file, text, leaveOut), names));
}
