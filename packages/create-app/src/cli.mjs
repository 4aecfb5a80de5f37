// @ts-check
/**
 * `create-ait-iap [dir] [options]`: ask (or take from flags) the directory, project name, package scope and Apps in
 * Toss appName; validate them; write the project; install; first commit; print the next steps.
 * Non-interactive when --yes is given, CI=true, or stdin/stdout is not a terminal: defaults come from the directory.
 * Customization point: none — flags and prompts are documented in README.md.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { LEAVE_OUT_NAMES, LEAVE_OUTS } from './leave-out.mjs';
import {
  defaultNames,
  normalizeScope,
  validateAppName,
  validatePackageName,
  validateScope,
  validateSupportUrl,
} from './names.mjs';
import { format, initGit, install, isEmptyDir, ScaffoldError, writeProject } from './scaffold.mjs';
import { packageRoot, resolveSource, SourceError } from './source.mjs';
import { writeStarterInfo } from './starter-info.mjs';

export const usage = `Usage: create-ait-iap [directory] [options]

Scaffold an Apps in Toss mini-app that sells in-app purchases (mini-app, fulfillment server, Toss mock, CI).

Options:
  --name <name>          project (root package.json) name      default: the directory name
  --scope <@scope>       package scope of the workspace        default: @<name>
  --app-name <appName>   Apps in Toss appName (granite.config)  default: <name>
  --support-url <url>    your support page ("고객센터 문의"; {ref} = the order's reference),
                         written to apps/web/.env.production     default: none (Toss's page)
  -y, --yes              don't ask; use flags and defaults
  --no-bench             leave out the benchmark (scripts/bench, \`pnpm bench\`)
  --no-postgres          leave out PostgreSQL: SQLite only (no pg driver, no PostgreSQL suite or CI
                         service; a postgres:// DATABASE_URL is refused at startup)
  --no-install           don't run pnpm install
  --no-git               don't git init / commit
  --force                write into a non-empty directory (overwrites same-named files)
  -h, --help             this help
  -v, --version          the version

Examples:
  pnpm create ait-iap my-shop
  npx create-ait-iap my-shop --scope @acme --app-name acme-shop --yes --no-install
  npx create-ait-iap my-shop --no-bench --no-postgres --yes
  npx create-ait-iap my-shop --support-url "https://help.acme.com/contact?order={ref}" --yes`;

/**
 * @typedef {{ targetDir?: string, name?: string, scope?: string, appName?: string, supportUrl?: string, yes: boolean,
 *   install: boolean, git: boolean, force: boolean, help: boolean, version: boolean,
 *   leaveOut: import('./leave-out.mjs').LeaveOutName[] }} CliOptions
 */

/**
 * @param {string[]} argv
 * @returns {CliOptions}
 */
export function parseCliArgs(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: 'string' },
      scope: { type: 'string' },
      'app-name': { type: 'string' },
      'support-url': { type: 'string' },
      yes: { type: 'boolean', short: 'y', default: false },
      'no-install': { type: 'boolean', default: false },
      'no-git': { type: 'boolean', default: false },
      'no-bench': { type: 'boolean', default: false },
      'no-postgres': { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', short: 'v', default: false },
    },
  });
  if (positionals.length > 1) throw new ScaffoldError(`expected one directory, got ${positionals.join(' ')}`);
  return {
    targetDir: positionals[0],
    name: values.name,
    scope: values.scope,
    appName: values['app-name'],
    supportUrl: values['support-url'],
    yes: Boolean(values.yes),
    install: !values['no-install'],
    git: !values['no-git'],
    force: Boolean(values.force),
    help: Boolean(values.help),
    version: Boolean(values.version),
    leaveOut: LEAVE_OUT_NAMES.filter((name) => values[`no-${name}`]),
  };
}

/**
 * @param {NodeJS.ProcessEnv} env
 * @param {{ isTTY?: boolean }} stdin
 * @param {{ isTTY?: boolean }} stdout
 */
export function isInteractive(env, stdin, stdout) {
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== '0' && env.CI.toLowerCase() !== 'false';
  return !ci && Boolean(stdin.isTTY) && Boolean(stdout.isTTY);
}

/**
 * Fill in and validate every name. `ask` is called for each missing value when interactive.
 * @param {CliOptions} options
 * @param {((question: string, fallback: string, validate: (v: string) => string[]) => Promise<string>) | null} ask
 */
export async function resolveNames(options, ask) {
  const targetDir =
    options.targetDir ??
    (ask ? await ask('Project directory', 'my-ait-app', (v) => (v.trim() ? [] : ['enter a directory'])) : '');
  if (!targetDir)
    throw new ScaffoldError('Which directory? Pass it as the first argument, e.g. create-ait-iap my-app');
  const defaults = defaultNames(targetDir);
  const pick = async (
    /** @type {string | undefined} */ given,
    /** @type {string} */ question,
    /** @type {string} */ fallback,
    /** @type {(v: string) => string[]} */ validate,
  ) => (given !== undefined || !ask ? (given ?? fallback) : ask(question, fallback, validate));
  const name = await pick(options.name, 'Project name', defaults.name, validatePackageName);
  const scope = normalizeScope(
    await pick(options.scope, 'Package scope', `@${defaultNames(name.replace(/^@[^/]+\//, '')).name}`, (v) =>
      validateScope(normalizeScope(v)),
    ),
  );
  const appName = await pick(options.appName, 'Apps in Toss appName', defaults.appName, validateAppName);
  // Asked last: the page customers reach from "고객센터 문의" (with the order's reference); "none" leaves it unset.
  const support = await pick(
    options.supportUrl,
    "Support page URL for customers ({ref} = order reference; none = Toss's page)",
    'none',
    (v) => validateSupportUrl(v === 'none' ? '' : v.trim()),
  );
  const supportUrl = support === 'none' ? '' : support.trim();
  const problems = [
    ...validatePackageName(name).map((p) => `project name "${name}": ${p}`),
    ...validateScope(scope),
    ...validateAppName(appName),
    ...validateSupportUrl(supportUrl),
  ];
  if (problems.length > 0) throw new ScaffoldError(problems.join('\n'));
  return { targetDir: path.resolve(targetDir), names: { name, scope, appName }, settings: { supportUrl } };
}

/**
 * A readline-backed `ask`: shows the default, re-asks until the answer is valid.
 * @param {NodeJS.ReadableStream} input
 * @param {NodeJS.WritableStream} output
 */
function readlineAsk(input, output) {
  const rl = createInterface({ input, output });
  /** @type {(question: string, fallback: string, validate: (v: string) => string[]) => Promise<string>} */
  const ask = async (question, fallback, validate) => {
    for (;;) {
      const answer = (await rl.question(`${question} (${fallback}): `)).trim() || fallback;
      const problems = validate(answer);
      if (problems.length === 0) return answer;
      output.write(`  ${problems.join('\n  ')}\n`);
    }
  };
  return { ask, close: () => rl.close() };
}

/**
 * @param {string[]} argv
 * @param {{ env?: NodeJS.ProcessEnv, stdin?: NodeJS.ReadStream, stdout?: NodeJS.WriteStream,
 *   log?: (line: string) => void, source?: import('./source.mjs').TemplateSource }} [io]
 * @returns {Promise<number>} exit code
 */
export async function main(argv, io = {}) {
  const env = io.env ?? process.env;
  const stdin = io.stdin ?? process.stdin;
  const stdout = io.stdout ?? process.stdout;
  const log = io.log ?? ((line) => console.log(line));
  let prompt = null;
  try {
    const options = parseCliArgs(argv);
    if (options.help) {
      log(usage);
      return 0;
    }
    if (options.version) {
      log(JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')).version);
      return 0;
    }
    prompt = !options.yes && isInteractive(env, stdin, stdout) ? readlineAsk(stdin, stdout) : null;
    const { targetDir, names, settings } = await resolveNames(options, prompt?.ask ?? null);
    prompt?.close();
    prompt = null;
    if (!options.force && !isEmptyDir(targetDir)) {
      throw new ScaffoldError(
        `${targetDir} is not empty. Pick another directory, empty it, or pass --force to write into it ` +
          '(files with the same paths are overwritten; nothing else is deleted).',
      );
    }
    const source = io.source ?? resolveSource();
    log(`Creating ${names.name} in ${targetDir}`);
    log(
      `  scope ${names.scope} · appName ${names.appName} · from the starter ${source.kind} (${source.files.length} files)`,
    );
    writeProject({ source, targetDir, names, settings, force: options.force, leaveOut: options.leaveOut });
    for (const name of options.leaveOut) log(`  left out: ${LEAVE_OUTS[name].summary} (--no-${name})`);
    if (settings.supportUrl) log(`  support page ${settings.supportUrl} (apps/web/.env.production)`);
    const starter = writeStarterInfo(targetDir, source, names, options.leaveOut);
    log(
      `  starter.json: version ${starter.starterVersion}, commit ${starter.starterCommit} (see docs/upgrading.md)`,
    );

    let installed = false;
    if (options.install) {
      log('Installing dependencies with pnpm (the first time downloads ~1 GB of packages)…');
      const outcome = install(targetDir);
      installed = outcome === 'installed';
      if (outcome === 'no-pnpm')
        log('  pnpm is not installed: `node scripts/up.mjs` (below) installs it and everything else.');
      if (outcome === 'failed') log('  pnpm install failed (see above); `node scripts/up.mjs` retries it.');
    }
    // Renamed imports sort differently and lines change length: one Biome pass keeps `pnpm lint` green.
    if (installed) {
      log(
        format(targetDir) === 'formatted'
          ? 'Formatted with Biome (the new names change import order and line lengths).'
          : '  `pnpm format` failed; run it once before `pnpm test`.',
      );
    } else {
      log('After installing, run `pnpm format` once: the new names change import order and line lengths.');
    }
    if (options.git) {
      const outcome = initGit(targetDir);
      const words = {
        committed: 'git: initialized, first commit made',
        staged: 'git: initialized and files staged (no git identity here, so no commit yet)',
        exists: 'git: already a repository, left alone',
        'no-git': 'git: not installed, skipped',
        failed: 'git: git init failed, skipped',
      };
      log(words[outcome]);
    }
    const relative = path.relative(process.cwd(), targetDir) || '.';
    log('');
    log('Done. Next:');
    log(`  cd ${relative.includes(' ') ? JSON.stringify(relative) : relative}`);
    log(
      `  node scripts/up.mjs   # ${installed ? 'start' : 'install everything and start'} mock Toss + server + mini-app`,
    );
    if (!installed) log('  pnpm format           # once, after the first install');
    log('  pnpm test             # every check and test');
    return 0;
  } catch (error) {
    prompt?.close();
    if (
      error instanceof ScaffoldError ||
      error instanceof SourceError ||
      (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      console.error(`create-ait-iap: ${error.message}`);
      console.error('Run create-ait-iap --help for the options.');
      return 1;
    }
    throw error;
  }
}
