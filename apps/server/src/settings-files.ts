/**
 * Where the settings come from — ONE loader for the server (`main.ts`), the ops CLI (`ops/cli.ts`, `dist/ops.js`),
 * the reconcile job and `pnpm seed` (scripts/seed/cli.ts), so all of them read the same database and the same Toss.
 * In order, the first that sets a variable wins:
 *   1. the process environment
 *   2. apps/server/.env
 *   3. .env at the repository root
 *   4. .dev/stack.env — written by `pnpm dev` while its stack runs (the mock's URL, the dev certificates, the
 *      database) and removed when it stops; ignored when the `pnpm dev` that wrote it is gone.
 * Relative paths (DATABASE_PATH, CATALOG_PATH, TOSS_MTLS_*, a SQLite DATABASE_URL) are resolved against the folder of
 * the file that named them, or the repository root for the process environment — never the working directory, so
 * `pnpm --filter … ops` (which runs in apps/server/) and a shell at the root agree.
 * AIT_IAP_SETTINGS_ROOT (tests): read the files from this folder instead of the repository (`none`: read no file).
 * You probably don't need to edit this file; the variables themselves are validated in config.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { type Config, loadConfig, repoRoot } from './config';
import { classifyDatabaseUrl, describePostgresUrl } from './db/url';

/** The variables that name files: resolved to absolute paths here. */
export const pathVariables = [
  'DATABASE_PATH',
  'DATABASE_URL',
  'CATALOG_PATH',
  'TOSS_MTLS_CERT',
  'TOSS_MTLS_KEY',
  'TOSS_MTLS_CA',
  'ADMIN_CONSOLE_DIR',
] as const;

/** What `pnpm dev` writes (relative to the repository root), and the variable that names its process. */
export const STACK_ENV_FILE = path.join('.dev', 'stack.env');
export const STACK_PID_VARIABLE = 'DEV_STACK_PID';

export interface SettingsFile {
  /** Absolute path. */
  file: string;
  /** How it is named in messages (relative to the root). */
  label: string;
}

export interface LoadedSettings {
  /** The merged environment, paths absolute: what `loadConfig` takes. */
  env: Record<string, string | undefined>;
  /** Which source set each variable that came from a file (`apps/server/.env`, …); absent = the process env. */
  sourceOf: Record<string, string>;
  /** Files read, in order. */
  files: string[];
  /** Things worth a line on stderr (e.g. a stale .dev/stack.env ignored). */
  notes: string[];
}

/** The files read, in order of precedence (after the process environment). */
export function settingsFiles(root: string = repoRoot): SettingsFile[] {
  return [
    { file: path.join(root, 'apps', 'server', '.env'), label: 'apps/server/.env' },
    { file: path.join(root, '.env'), label: '.env' },
    { file: path.join(root, STACK_ENV_FILE), label: '.dev/stack.env (pnpm dev)' },
  ];
}

function isPathVariable(name: string): boolean {
  return (pathVariables as readonly string[]).includes(name);
}

/**
 * A variable's value with its path made absolute against `base`. DATABASE_URL only when it names a SQLite file:
 * anything config.ts refuses (`mysql:x`, a libpq string) must reach it as written, not as a path that would pass.
 */
function resolveVariable(name: string, value: string, base: string): string {
  if (!isPathVariable(name)) return value;
  if (name === 'DATABASE_URL' && classifyDatabaseUrl(value).kind !== 'sqlite') return value;
  return resolveSettingPath(value, base);
}

/** `value` as an absolute path against `base`, leaving URLs (postgres://, file://) and `:memory:` alone. */
export function resolveSettingPath(value: string, base: string): string {
  const trimmed = value.trim();
  if (trimmed === '' || trimmed === ':memory:') return value;
  if (trimmed.startsWith('file:') && !trimmed.startsWith('file://')) {
    return `file:${path.resolve(base, trimmed.slice('file:'.length))}`;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) return value;
  return path.resolve(base, trimmed);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readSettingsFile(file: string): Record<string, string> | null {
  if (!existsSync(file)) return null;
  return parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
}

/** Merge the process environment and the settings files (see the header). Pure apart from reading the files. */
export function loadSettings(
  options: {
    env?: Record<string, string | undefined>;
    root?: string;
    isAlive?: (pid: number) => boolean;
  } = {},
): LoadedSettings {
  const processEnv = options.env ?? process.env;
  const override = processEnv.AIT_IAP_SETTINGS_ROOT?.trim();
  const root =
    options.root ?? (override && override !== 'none' ? path.resolve(repoRoot, override) : repoRoot);
  const isAlive = options.isAlive ?? processAlive;
  const env: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(processEnv)) {
    env[name] = value === undefined ? value : resolveVariable(name, value, repoRoot);
  }
  const loaded: LoadedSettings = { env, sourceOf: {}, files: [], notes: [] };
  if (override === 'none') return loaded;
  for (const { file, label } of settingsFiles(root)) {
    const values = readSettingsFile(file);
    if (!values) continue;
    if (file.endsWith(STACK_ENV_FILE)) {
      const pid = Number(values[STACK_PID_VARIABLE]);
      if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) {
        loaded.notes.push(
          `ignoring ${label}: the pnpm dev that wrote it (pid ${values[STACK_PID_VARIABLE]}) is not running`,
        );
        continue;
      }
    }
    loaded.files.push(file);
    for (const [name, value] of Object.entries(values)) {
      if (name === STACK_PID_VARIABLE) continue;
      if (env[name] !== undefined && env[name]?.trim() !== '') continue;
      env[name] = resolveVariable(name, value, path.dirname(file));
      loaded.sourceOf[name] = label;
    }
  }
  return loaded;
}

/** Load the settings and validate them: the `Config` every entry point runs with, and where it came from. */
export function loadSettingsConfig(options: Parameters<typeof loadSettings>[0] = {}): {
  config: Config;
  settings: LoadedSettings;
} {
  const settings = loadSettings(options);
  return { config: loadConfig(settings.env), settings };
}

/** The settings file that set the first of `variables` a file set (`apps/server/.env`, …); undefined: none did. */
export function fileThatSet(settings: LoadedSettings, ...variables: string[]): string | undefined {
  return variables.map((v) => settings.sourceOf[v]).find((s) => s !== undefined);
}

/**
 * One line saying what a tool is about to talk to: the environment, the database (never a password) and the Toss URL,
 * each with the file that set it. `ops: environment sandbox · database /repo/.dev/app.db (.dev/stack.env (pnpm dev)) · …`
 */
export function describeSettings(name: string, config: Config, settings: LoadedSettings): string {
  const from = (...variables: string[]) => {
    const source = fileThatSet(settings, ...variables);
    const set = variables.some((v) => settings.env[v]?.trim());
    return source ? ` (from ${source})` : set ? ' (from the environment)' : ' (default)';
  };
  const database = config.databaseUrl
    ? `postgres ${describePostgresUrl(config.databaseUrl)}`
    : config.databasePath;
  return [
    `${name}: environment ${config.environment}${from('TOSS_ENVIRONMENT')}`,
    `database ${database}${from('DATABASE_URL', 'DATABASE_PATH')}`,
    `Toss ${config.toss.baseUrl}${from('TOSS_API_BASE_URL')}${config.toss.mtls ? '' : ' (no mTLS certificate)'}`,
  ].join(' · ');
}
