// @ts-check
/**
 * What a new project can leave out (`--no-bench`, `--no-postgres`), as data: the files that go, the files replaced by
 * a version without the part, the dependencies and scripts dropped, the list items (tsconfig/vitest includes, turbo's
 * env) that named it, and the marker blocks. A marker block is a run of lines between two marker lines,
 * `<!-- starter:NAME -->` … `<!-- /starter:NAME -->` (Markdown), `# starter:NAME` … `# /starter:NAME` (shell, YAML,
 * .env) or `// starter:NAME` … `// /starter:NAME` (JS/TS): left out with NAME, kept otherwise; the marker lines
 * themselves never reach a new project. Customization point: `LEAVE_OUTS` (add a part a fork may not want).
 */

/** @typedef {'bench' | 'postgres'} LeaveOutName */
/**
 * @typedef {{
 *   summary: string,
 *   drops: (file: string) => boolean,
 *   replaces: Record<string, string>,
 *   dependencies: Record<string, string[]>,
 *   scripts: Record<string, Record<string, string | null>>,
 *   listItems: Record<string, RegExp>,
 * }} LeaveOut
 * `drops`: starter files (project paths) not written. `replaces`: project path → its content without the part.
 * `dependencies`: package folder ('' = root) → dependency names removed from its package.json, the workspace
 * catalog and the lockfile. `scripts`: package.json path → script name → its new command, or null to drop it.
 * `listItems`: file → which quoted list items (include globs, env names) to drop.
 */

/** What a --no-postgres project's server says for a postgres:// DATABASE_URL, in source lines (as Biome lays them). */
const noPostgresLines = [
  'DATABASE_URL names a PostgreSQL database, but this project was scaffolded with --no-postgres: it has no ',
  'PostgreSQL driver. Use a SQLite file (DATABASE_PATH, or a file path in DATABASE_URL), or add PostgreSQL ',
  'back as apps/server/src/db/drivers.ts describes.',
];

const noPostgresDrivers = `/**
 * The database drivers beside the built-in SQLite. This project was scaffolded with \`--no-postgres\`, so it has
 * none: a postgres:// DATABASE_URL stops the server (and \`pnpm seed\`, the ops CLI) when the database is
 * opened, saying so. To add PostgreSQL back, copy the starter's apps/server/src/db/postgres.ts and drivers.ts here and
 * \`pnpm --filter <scope>/server add pg @types/pg\`; the SQL in database.ts already speaks both.
 */
import type { Db } from './schema';

/** What a PostgreSQL pool would read (the shape \`DatabaseOptions\` passes). */
export interface PostgresPoolOptions {
  poolSize?: number;
  acquireTimeoutMs?: number;
  statementTimeoutMs?: number;
}

/** Always refuses: this project has no PostgreSQL driver. */
export function openPostgres(_url: string, _options: PostgresPoolOptions): Db {
  throw new Error(
    ${noPostgresLines.map((line) => `'${line}'`).join(' +\n      ')},
  );
}
`;

const noPostgresTestClient = `/**
 * This project was scaffolded with \`--no-postgres\`: its server suite runs on SQLite only, and no test connects to
 * PostgreSQL. The helpers' PostgreSQL branches (\`testBackend === 'postgres'\`) are never taken; these two
 * refuse if one ever is.
 */
export interface PostgresClient {
  query<Row extends Record<string, unknown>>(text: string, values?: unknown[]): Promise<Row[]>;
  end(): Promise<void>;
}

const leftOut = 'this project was scaffolded with --no-postgres: the server suite runs on SQLite only';

export async function postgresClient(_url: string): Promise<PostgresClient> {
  throw new Error(leftOut);
}

export async function createTestPostgresDatabase(_name: string): Promise<string> {
  throw new Error(leftOut);
}
`;

/** @type {Readonly<Record<LeaveOutName, LeaveOut>>} */
export const LEAVE_OUTS = Object.freeze({
  bench: {
    summary: 'the benchmark (scripts/bench, `pnpm bench`)',
    drops: (file) => file.startsWith('scripts/bench/'),
    replaces: {},
    dependencies: {},
    scripts: { 'package.json': { bench: null } },
    listItems: { 'scripts/tsconfig.json': /^bench\//, 'scripts/vitest.config.ts': /^bench\// },
  },
  postgres: {
    summary: 'PostgreSQL (the pg driver, the server suite on PostgreSQL and its CI service)',
    drops: (file) =>
      [
        'apps/server/src/db/postgres.ts',
        'apps/server/test/postgres-setup.ts',
        'apps/server/test/run-both.mjs',
        'apps/server/vitest.postgres.config.ts',
        'scripts/lib/postgres.mjs',
        'scripts/lib/postgres.d.mts',
      ].includes(file),
    replaces: {
      'apps/server/src/db/drivers.ts': noPostgresDrivers,
      'apps/server/test/postgres.ts': noPostgresTestClient,
    },
    dependencies: { 'apps/server': ['pg', '@types/pg'] },
    scripts: { 'apps/server/package.json': { test: 'vitest run', 'test:postgres': null } },
    listItems: {
      'apps/server/tsconfig.json': /^vitest\.postgres\.config\.ts$/,
      'turbo.json': /^PG_TEST_URL$/,
    },
  },
});

export const LEAVE_OUT_NAMES = /** @type {LeaveOutName[]} */ (Object.keys(LEAVE_OUTS));

/** The message a --no-postgres project's server gives for a postgres:// DATABASE_URL. */
export const NO_POSTGRES_MESSAGE = noPostgresLines.join('');

/**
 * @param {Iterable<LeaveOutName>} leaveOut
 * @returns {LeaveOut[]}
 */
function plans(leaveOut) {
  return [...leaveOut].map((name) => LEAVE_OUTS[name]);
}

/**
 * Whether the starter file `file` (project path) is written at all.
 * @param {string} file
 * @param {Iterable<LeaveOutName>} leaveOut
 */
export function keepsFile(file, leaveOut) {
  return !plans(leaveOut).some((plan) => plan.drops(file));
}

/**
 * The content that replaces `file`, or undefined when it is transformed as usual.
 * @param {string} file
 * @param {Iterable<LeaveOutName>} leaveOut
 */
export function replacementOf(file, leaveOut) {
  return plans(leaveOut).find((plan) => file in plan.replaces)?.replaces[file];
}

/**
 * Every dependency name the leave-outs remove, by package folder ('' = root).
 * @param {Iterable<LeaveOutName>} leaveOut
 * @returns {Map<string, string[]>}
 */
export function removedDependencies(leaveOut) {
  /** @type {Map<string, string[]>} */
  const removed = new Map();
  for (const plan of plans(leaveOut)) {
    for (const [dir, names] of Object.entries(plan.dependencies)) {
      removed.set(dir, [...(removed.get(dir) ?? []), ...names]);
    }
  }
  return removed;
}

const marker = /^\s*(?:<!--\s*(\/?)starter:([\w-]+)\s*-->|(?:#|\/\/)\s*(\/?)starter:([\w-]+))\s*$/;

/**
 * Drop the lines inside the leave-outs' marker blocks, and every marker line. Throws on an unknown name or a block
 * that does not close (the starter's own test runs this over every file, so a user never meets it).
 * @param {string} text
 * @param {Iterable<LeaveOutName>} leaveOut
 * @param {string} [file] for the error message
 */
export function stripMarkers(text, leaveOut, file = 'a file') {
  if (!text.includes('starter:')) return text;
  const dropped = new Set(leaveOut);
  /** @type {string[]} */
  const open = [];
  const kept = text.split('\n').filter((line, index) => {
    const match = marker.exec(line);
    if (!match) return !open.some((name) => dropped.has(/** @type {LeaveOutName} */ (name)));
    const closing = (match[1] ?? match[3]) === '/';
    const name = /** @type {string} */ (match[2] ?? match[4]);
    if (!(name in LEAVE_OUTS)) throw new Error(`${file}:${index + 1}: unknown marker starter:${name}`);
    if (!closing) open.push(name);
    else if (open.pop() !== name)
      throw new Error(`${file}:${index + 1}: /starter:${name} closes no open block`);
    return false;
  });
  if (open.length > 0) throw new Error(`${file}: starter:${open.join(', starter:')} never closes`);
  return kept.join('\n');
}

/**
 * Drop the quoted list items `pattern` matches (`"bench/*.ts", ` in an include list, a `"PG_TEST_URL",` line), each
 * with the comma after it (the one before it when it is the last item), keeping the rest of the text as it was.
 * @param {string} text
 * @param {RegExp} pattern tested against the item without its quotes
 */
export function withoutListItems(text, pattern) {
  let out = '';
  let done = 0;
  for (const match of text.matchAll(/(['"])([^'"\n]*)\1/g)) {
    if (!pattern.test(match[2] ?? '') || match.index < done) continue;
    let start = match.index;
    let end = start + match[0].length;
    const after = /^[ \t]*,[ \t]*/.exec(text.slice(end));
    const before = after ? null : /,\s*$/.exec(text.slice(done, start));
    if (after) end += after[0].length;
    else if (before) start -= before[0].length;
    const lineStart = text.lastIndexOf('\n', start - 1) + 1;
    const lineEnd = text.indexOf('\n', end);
    if (
      text.slice(lineStart, start).trim() === '' &&
      text.slice(end, lineEnd).trim() === '' &&
      lineEnd !== -1
    ) {
      start = Math.max(lineStart, done);
      end = lineEnd + 1;
    }
    out += text.slice(done, start);
    done = end;
  }
  return out + text.slice(done);
}

/**
 * A package.json with the leave-outs' dependencies and scripts removed (untouched text when nothing applies).
 * @param {string} file project path of the package.json
 * @param {string} text
 * @param {Iterable<LeaveOutName>} leaveOut
 */
export function packageJsonWithout(file, text, leaveOut) {
  const dir = file === 'package.json' ? '' : file.slice(0, -'/package.json'.length);
  const dependencies = removedDependencies(leaveOut).get(dir) ?? [];
  const scripts = Object.assign({}, ...plans(leaveOut).map((plan) => plan.scripts[file] ?? {}));
  if (dependencies.length === 0 && Object.keys(scripts).length === 0) return text;
  const manifest = JSON.parse(text);
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies']) {
    for (const name of dependencies) delete manifest[field]?.[name];
  }
  for (const [name, command] of Object.entries(scripts)) {
    if (!manifest.scripts || !(name in manifest.scripts)) continue;
    if (command === null) delete manifest.scripts[name];
    else manifest.scripts[name] = command;
  }
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * pnpm-workspace.yaml: drop the catalog entries of the removed dependencies.
 * @param {string} text
 * @param {Iterable<LeaveOutName>} leaveOut
 */
export function workspaceWithout(text, leaveOut) {
  const names = new Set([...removedDependencies(leaveOut).values()].flat());
  if (names.size === 0) return text;
  return text
    .split('\n')
    .filter((line) => {
      const key = /^\s+["']?([^"'\s:]+)["']?:\s/.exec(line)?.[1];
      return !(key && names.has(key));
    })
    .join('\n');
}

/**
 * Every edit the leave-outs make to one text file, before renaming (markers are stripped for every project).
 * @param {string} file project path
 * @param {string} text
 * @param {Iterable<LeaveOutName>} leaveOut
 */
export function leaveOutText(file, text, leaveOut) {
  let edited = stripMarkers(text, leaveOut, file);
  for (const plan of plans(leaveOut)) {
    const pattern = plan.listItems[file];
    if (pattern) edited = withoutListItems(edited, pattern);
  }
  if (file === 'package.json' || file.endsWith('/package.json'))
    edited = packageJsonWithout(file, edited, leaveOut);
  if (file === 'pnpm-workspace.yaml') edited = workspaceWithout(edited, leaveOut);
  if (file === '.gitignore') {
    edited = edited
      .split('\n')
      .filter((line) => keepsFile(line.trim().replace(/^\//, ''), leaveOut))
      .join('\n');
  }
  return edited;
}
