/**
 * The docs keep up with the code: every env var a doc names exists in an `.env.example` (and every one there is
 * named in a doc), every `pnpm` script a doc names exists in the package it runs in, every relative link between
 * docs points at a file, and the commands the root README's quick start names answer their --help form.
 * Reads the repository's Markdown as it is (README, docs/, each package's README), so it keeps checking whatever
 * the docs say next. Fast: no network; the only child processes are the --help forms.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  codeOf,
  envExampleNames,
  envNamesOf,
  markdownFiles,
  type PnpmCommand,
  pnpmCommandsOf,
  relativeLinksOf,
  workspaceOf,
} from './markdown';

const root = path.resolve(import.meta.dirname, '../..');
// Each doc's code (spans and fenced blocks) is parsed once, here, for every check below.
const docs = markdownFiles(root).map((doc) => ({ ...doc, code: codeOf(doc.text) }));
const workspace = workspaceOf(root);

/**
 * Env vars the docs may name that are deliberately not in an `.env.example`: nobody sets them for the app.
 * Each with its reason; keep this list short (only names some doc does name).
 */
const notInEnvExample: Record<string, string> = {
  CI: 'set by CI runners; the scaffolder reads it (no questions) and pnpm (a frozen lockfile)',
  CHROMIUM_PATH: "the browser tests' Chromium, set by `pnpm test` (or by hand) on the test machine only",
  PWDEBUG: "Playwright's own debug switch (`pnpm --filter @ait-iap/e2e test:debug`)",
  INIT_CWD: 'set by pnpm for the scripts it runs (where the command was typed)',
  NPM_TOKEN: "CI only: the release workflow's npm publish secret",
  TRUST_PROXY:
    'refused on purpose: any value stops the server (the docs say to use TRUST_PROXY_HOPS or _SUBNETS)',
  IAP_TEST_CRASH_AT: "tests only: the server's crash-injection point (the crash test and the chaos phase)",
  IAP_TEST_CRASH_ARM: 'tests only: arms IAP_TEST_CRASH_AT',
  // starter:postgres
  PG_TEST_URL: "tests only: the PostgreSQL suite's database",
  // /starter:postgres
  E2E_KEEP_TMP: "tests only: keeps the e2e suite's temporary folders for a look after the run",
};

function envExamples(): { file: string; names: string[] }[] {
  const appDirs = readdirSync(path.join(root, 'apps')).map((app) => `apps/${app}/.env.example`);
  return ['.env.example', ...appDirs]
    .filter((file) => existsSync(path.join(root, file)))
    .map((file) => ({ file, names: envExampleNames(readFileSync(path.join(root, file), 'utf8')) }));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = `${dir}/${entry.name}`;
    if (entry.isDirectory())
      return /^(node_modules|dist|\..*)$/.test(entry.name) ? [] : sourceFiles(relative);
    return /\.(m?[jt]sx?|cjs)$/.test(entry.name) && !/\.test\.|\.spec\./.test(entry.name) ? [relative] : [];
  });
}

/** UPPER_SNAKE string literals of the code (order statuses, error codes, reasons) that are not env vars it reads. */
function codeConstants(): Set<string> {
  const text = ['apps', 'packages', 'scripts', 'e2e']
    .filter((dir) => existsSync(path.join(root, dir)))
    .flatMap(sourceFiles)
    .map((file) => readFileSync(path.join(root, file), 'utf8'))
    .join('\n');
  const readAsEnv = new Set(
    [...text.matchAll(/\benv(?:\.|\[['"])([A-Z][A-Z0-9_]*)/g)].map((match) => match[1] ?? ''),
  );
  const literals = [
    ...text.matchAll(/['"`]([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)['"`]/g),
    ...text.matchAll(/\b(?:const|let|enum)\s+([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b/g),
  ].map((match) => match[1] ?? '');
  return new Set(literals.filter((name) => !readAsEnv.has(name)));
}

describe('env vars named in the docs', () => {
  const examples = envExamples();
  const documented = new Set(examples.flatMap((example) => example.names));
  const constants = codeConstants();

  it('each exists in an .env.example (or the short list of vars nobody sets for the app)', () => {
    const named = docs.flatMap((doc) =>
      envNamesOf(doc.code).map(({ name, line }) => ({ name, line, doc: doc.file })),
    );
    expect(named.length).toBeGreaterThan(0);
    const unknown = named
      .filter(({ name }) => !documented.has(name) && !(name in notInEnvExample) && !constants.has(name))
      .filter(({ name }) => !name.startsWith('ERR_')) // a tool's error code (ERR_PNPM_…), not a setting
      .map(({ name, line, doc }) => `${doc}:${line} ${name}`);
    expect(unknown, 'named in a doc, but in no .env.example and not a constant of the code').toEqual([]);
  });

  it('each var of every .env.example is named in a doc', () => {
    const allDocs = docs.map((doc) => doc.text).join('\n');
    const unnamed = examples.flatMap(({ file, names }) =>
      names.filter((name) => !new RegExp(`\\b${name}\\b`).test(allDocs)).map((name) => `${file} ${name}`),
    );
    expect(unnamed, 'in an .env.example, but named in no doc').toEqual([]);
  });

  it('the allow-list names only vars that are really not in an .env.example', () => {
    expect(Object.keys(notInEnvExample).filter((name) => documented.has(name))).toEqual([]);
  });
});

/** The workspace package a doc sits in (its nearest folder with a package.json), or the root. */
function packageOfDoc(file: string): string {
  let dir = path.dirname(file);
  for (; dir !== '.'; dir = path.dirname(dir)) {
    for (const [name, pkg] of workspace.packages) if (pkg.dir === dir) return name;
  }
  return '.';
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/** The packages a `--filter` value selects (by name or folder; `...`, `^` and `!` forms are taken loosely). */
function selected(filter: string): string[] {
  const bare = filter
    .replace(/^dir:/, '')
    .replace(/^[!^]|\.\.\.$|^\.\.\./g, '')
    .replace(/^\.\//, '');
  const pattern = globToRegExp(bare.replace(/^\{(.*)\}$/, '$1').replace(/\/$/, ''));
  return [...workspace.packages]
    .filter(([name, pkg]) => pattern.test(name) || pattern.test(pkg.dir))
    .map(([n]) => n);
}

function scriptProblem(doc: string, command: PnpmCommand): string | undefined {
  const script = command.script ?? '';
  const where =
    command.filters.length > 0 ? command.filters.flatMap(selected) : [...new Set(['.', packageOfDoc(doc)])];
  if (where.length === 0) return `${doc}:${command.line} pnpm ${command.filters.join(' ')}: no such package`;
  const found = where.some((name) => workspace.packages.get(name)?.scripts.has(script));
  return found ? undefined : `${doc}:${command.line} pnpm ${script} (looked in ${where.join(', ')})`;
}

describe('pnpm commands named in the docs', () => {
  const named = docs.flatMap((doc) =>
    pnpmCommandsOf(doc.code).map((command) => ({ doc: doc.file, command })),
  );

  it('each script exists in the package.json it runs from', () => {
    expect(named.length).toBeGreaterThan(0);
    const missing = named.map(({ doc, command }) => scriptProblem(doc, command)).filter((problem) => problem);
    expect(missing).toEqual([]);
  });

  it("each of the root package.json's scripts is named in a doc", () => {
    const rootNamed = new Set(
      named.filter(({ command }) => command.filters.length === 0).map(({ command }) => command.script),
    );
    const unnamed = [...(workspace.packages.get('.')?.scripts ?? [])].filter(
      (script) => !rootNamed.has(script),
    );
    expect(unnamed, 'a root script no doc names: document it or drop it').toEqual([]);
  });
});

describe('links between the docs', () => {
  it('every relative link points at a file or folder that exists', () => {
    const links = docs.flatMap((doc) =>
      relativeLinksOf(doc.text).map((link) => ({ ...link, doc: doc.file })),
    );
    expect(links.length).toBeGreaterThan(0);
    const broken = links
      .filter(({ name, doc }) => !existsSync(path.join(root, path.dirname(doc), name)))
      .map(({ name, line, doc }) => `${doc}:${line} → ${name}`);
    expect(broken).toEqual([]);
  });

  it("every starter:<option> block (the scaffolder's leave-out markers) is closed in the same file", () => {
    const unbalanced = docs.filter((doc) => {
      const opened = doc.text.match(/<!-- starter:[\w-]+ -->/g) ?? [];
      const closed = doc.text.match(/<!-- \/starter:[\w-]+ -->/g) ?? [];
      return opened.length !== closed.length;
    });
    expect(unbalanced.map((doc) => doc.file)).toEqual([]);
  });
});

interface HelpForm {
  /** What the README writes, as a prefix of its command line. */
  named: string;
  /** The same command's --help (or dry-run) form: program, arguments, folder. */
  run: [string, string[], string];
  first: RegExp;
}

const tsx = ['--import', 'tsx'];
/** The --help form of each command a root README's quick start may name. */
const helpForms: HelpForm[] = [
  {
    named: 'node scripts/up.mjs',
    run: ['node', ['scripts/up.mjs', '--help'], '.'],
    first: /^usage: node scripts\/up/,
  },
  { named: 'pnpm dev', run: ['node', ['scripts/dev.mjs', '--help'], '.'], first: /^usage: pnpm dev/ },
  { named: 'pnpm test', run: ['node', ['scripts/test.mjs', '--help'], '.'], first: /^usage: pnpm test/ },
  { named: 'pnpm seed', run: ['node', [...tsx, 'seed.ts', '--help'], 'scripts'], first: /^usage: pnpm seed/ },
  {
    named: 'pnpm --filter @ait-iap/server ops',
    run: ['node', [...tsx, 'src/ops/cli.ts', '--help'], 'apps/server'],
    first: /^usage: ops <command>/,
  },
  {
    named: 'pnpm create ait-iap',
    run: ['node', [scaffolderBin(), '--help'], '.'],
    first: /^Usage: create-/,
  },
];

/** The scaffolder's bin, found rather than named: a scaffolded project has no scaffolder (nor names it). */
function scaffolderBin(): string {
  const dir = path.join('packages', 'create-app', 'bin');
  const bins = existsSync(path.join(root, dir)) ? readdirSync(path.join(root, dir)) : [];
  return path.join(dir, bins[0] ?? 'missing');
}

/** Lines of a shell block that only move around or set up the shell (`cd my-app`), and pnpm's own commands. */
const notACommand =
  /^(cd|cp|mv|ls|cat|export|git|open|curl|apt-get|sudo|echo)\b|^pnpm (install|i|exec|dlx|add)\b/;

const rootReadmes = docs.filter((doc) => /^README(\.[\w-]+)?\.md$/.test(doc.file));

/** Each command line of the root READMEs' shell blocks (`$ ` prompts and `# comments` dropped). */
function rootReadmeCommands(): { file: string; command: string }[] {
  return rootReadmes.flatMap((doc) =>
    doc.code
      .filter((code) => /^(sh|bash|shell|console|zsh)$/.test(code.kind))
      .flatMap((code) => code.text.split('\n'))
      .map((line) =>
        line
          .replace(/^\s*\$\s*/, '')
          .replace(/\s+#.*$/, '')
          .trim(),
      )
      .filter((command) => command !== '' && !command.startsWith('#') && !notACommand.test(command))
      .map((command) => ({ file: doc.file, command: command.replace(/\s-F\s/, ' --filter ') })),
  );
}

describe("the root README's quick start", () => {
  const commands = rootReadmeCommands();

  it('names commands, and each one has a --help form here', () => {
    expect(commands.length).toBeGreaterThan(0);
    const unknown = commands.filter(
      ({ command }) => !helpForms.some((form) => command.startsWith(form.named)),
    );
    expect(unknown, 'add its --help form to helpForms in this file').toEqual([]);
  });

  // Run every command the root READMEs name in their code, shell block or inline (`pnpm dev` in a table).
  const rootCode = rootReadmes.flatMap((doc) =>
    doc.code.map((code) => code.text.replace(/\s-F\s/g, ' --filter ')),
  );
  const named = helpForms.filter((form) =>
    rootCode.some((code) => new RegExp(`(^|[\\s;&(])${form.named}(?![\\w:-])`).test(code)),
  );
  it.each(named.map((form) => [form.named, form] as const))('%s answers --help', (_, form) => {
    const [program, args, cwd] = form.run;
    const result = spawnSync(program === 'node' ? process.execPath : program, args, {
      cwd: path.join(root, cwd),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trimStart().split('\n')[0]).toMatch(form.first);
  });
});
