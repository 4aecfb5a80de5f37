/**
 * The leave-out options (--no-bench, --no-postgres), fast: the marker and list edits on their own, the lockfile
 * pruned against the starter's real one, and one scaffold per option (no install) checked for what went, what
 * stayed and what would still refer to the removed part. new-project.test.ts installs and runs a leave-out scaffold.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.mjs';
import { LEAVE_OUT_NAMES, stripMarkers, withoutListItems } from '../src/leave-out.mjs';
import { pruneLockfile } from '../src/lockfile.mjs';
import { resolveSource, sourceFile } from '../src/source.mjs';
import { lockfileWithoutSelf } from '../src/transform.mjs';
import { filesUnder, tempDir } from './helpers';

const source = resolveSource();
const starterText = (file: string) => readFileSync(sourceFile(source.root, file), 'utf8');

describe('marker blocks', () => {
  const text = [
    'intro',
    '<!-- starter:bench -->',
    'about the bench',
    '<!-- /starter:bench -->',
    '  # starter:postgres',
    '  PG_TEST_URL: x',
    '  # /starter:postgres',
    '// starter:postgres',
    "import { findPostgresBin } from './postgres.mjs';",
    '// /starter:postgres',
    'outro',
  ].join('\n');

  it('go with their leave-out, and only the marker lines go otherwise', () => {
    expect(stripMarkers(text, ['bench'])).toBe(
      ['intro', '  PG_TEST_URL: x', "import { findPostgresBin } from './postgres.mjs';", 'outro'].join('\n'),
    );
    expect(stripMarkers(text, ['postgres'])).toBe(['intro', 'about the bench', 'outro'].join('\n'));
    expect(stripMarkers(text, [])).not.toMatch(/starter:/);
  });

  it('nest, and refuse an unknown name or a block that does not close', () => {
    const nested = '# starter:postgres\na\n# starter:bench\nb\n# /starter:bench\nc\n# /starter:postgres\nd';
    expect(stripMarkers(nested, ['bench'])).toBe('a\nc\nd');
    expect(stripMarkers(nested, ['postgres'])).toBe('d');
    expect(() => stripMarkers('<!-- starter:redis -->\nx\n<!-- /starter:redis -->', [], 'a.md')).toThrow(
      'a.md:1: unknown marker starter:redis',
    );
    expect(() => stripMarkers('# starter:bench\nx', [], 'b.yml')).toThrow(
      'b.yml: starter:bench never closes',
    );
    expect(() => stripMarkers('# /starter:bench', [], 'c')).toThrow(
      'c:1: /starter:bench closes no open block',
    );
  });

  it('are well-formed in every starter file (so no user meets the errors above)', () => {
    for (const { from, to } of source.files) {
      const bytes = readFileSync(sourceFile(source.root, from));
      if (bytes.subarray(0, 8000).includes(0)) continue;
      expect(() => stripMarkers(bytes.toString('utf8'), LEAVE_OUT_NAMES, to)).not.toThrow();
    }
  });
});

describe('list items', () => {
  it('go with the comma beside them, inline or one per line, leaving the rest as it was', () => {
    expect(withoutListItems('["src", "a.ts", "vitest.postgres.config.ts"]', /^vitest\.postgres/)).toBe(
      '["src", "a.ts"]',
    );
    expect(withoutListItems("include: ['seed/**', 'bench/test/**', 'lib/**'],", /^bench\//)).toBe(
      "include: ['seed/**', 'lib/**'],",
    );
    expect(withoutListItems('[\n  "CI",\n  "PG_TEST_URL",\n  "PATH"\n]', /^PG_TEST_URL$/)).toBe(
      '[\n  "CI",\n  "PATH"\n]',
    );
    expect(withoutListItems('[\n  "CI",\n  "PG_TEST_URL"\n]', /^PG_TEST_URL$/)).toBe('[\n  "CI"\n]');
  });
});

describe('the lockfile', () => {
  const lockfile = lockfileWithoutSelf(starterText('pnpm-lock.yaml'));

  it("is the starter's own, byte for byte, when nothing is removed (every package it lists is reached)", () => {
    expect(pruneLockfile(lockfile, new Map())).toBe(lockfile);
  });

  it('loses the removed dependencies, their catalog entries and every package only they reached', () => {
    const pruned = pruneLockfile(lockfile, new Map([['apps/server', ['pg', '@types/pg']]]));
    const keys = (text: string) => new Set(text.split('\n').filter((line) => /^ {2}\S/.test(line)));
    const before = keys(lockfile);
    const after = keys(pruned);
    const gone = [...before].filter((key) => !after.has(key));
    expect(gone.length).toBeGreaterThan(4);
    for (const key of gone) expect(key).toMatch(/^ {2}'?(@types\/)?(pg|pgpass|postgres)[\w-]*@/);
    expect(pruned).not.toMatch(/^ {4,}'?(@types\/)?pg'?:/m);
    // What the rest still uses stays (split2 is also pino's).
    expect(after).toEqual(new Set([...before].filter((key) => !gone.includes(key))));
  });
});

/** Scaffold into a fresh folder without installing; returns the folder and a reader. */
async function scaffold(dir: string, flags: string[]) {
  const out: string[] = [];
  const code = await main([dir, '--no-install', '--no-git', '--yes', ...flags], {
    env: { CI: 'true' },
    log: (line: string) => out.push(line),
    source,
  });
  expect(code, out.join('\n')).toBe(0);
  const read = (file: string) => readFileSync(path.join(dir, file), 'utf8');
  return { dir, out, read, has: (file: string) => existsSync(path.join(dir, file)) };
}

/** `file:line: text` of every line matching `pattern` outside Markdown and the lockfile. */
function linesMatching(dir: string, pattern: RegExp) {
  const hits: string[] = [];
  for (const file of filesUnder(dir)) {
    if (/\.md$|^pnpm-lock\.yaml$|\.(png|jpg|ico|woff2?)$/.test(file)) continue;
    readFileSync(path.join(dir, file), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (pattern.test(line)) hits.push(`${file}:${i + 1}: ${line.trim()}`);
      });
  }
  return hits;
}

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(() => tmp?.cleanup());

describe('--no-bench', () => {
  let project: Awaited<ReturnType<typeof scaffold>>;
  beforeAll(async () => {
    project = await scaffold(path.join(tmp.dir, 'shop-a'), ['--no-bench']);
  }, 60_000);

  it('writes no scripts/bench, no bench script, no include of it', () => {
    expect(filesUnder(project.dir).filter((file) => file.startsWith('scripts/bench'))).toEqual([]);
    expect(JSON.parse(project.read('package.json')).scripts.bench).toBeUndefined();
    expect(project.read('scripts/tsconfig.json')).not.toMatch(/bench/);
    expect(project.read('scripts/vitest.config.ts')).not.toMatch(/bench/);
    expect(project.out).toContain('  left out: the benchmark (scripts/bench, `pnpm bench`) (--no-bench)');
    expect(JSON.parse(project.read('starter.json')).leftOut).toEqual(['bench']);
  });

  it('leaves nothing that refers to it: the word is left only in comments of the files that run it', () => {
    const outsideStarterJson = (pattern: RegExp) =>
      linesMatching(project.dir, pattern).filter((hit) => !hit.startsWith('starter.json:'));
    expect(outsideStarterJson(/scripts\/bench|pnpm bench|bench\/|"bench"/)).toEqual([]);
    const mentions = outsideStarterJson(/\bbench\b/i);
    const allowed = [
      'apps/server/src/db/group-commit.ts',
      'apps/server/src/fulfillment/subscription-periods.ts',
      'scripts/lib/postgres.mjs',
      'scripts/lib/processes.mjs',
      'scripts/lib/processes.d.mts',
      'scripts/lib/stack.mjs',
      'scripts/lib/stack.d.mts',
      'scripts/dev.mjs',
    ];
    for (const hit of mentions) {
      expect(allowed, hit).toContain(hit.split(':')[0]);
      expect(hit.split(': ').slice(1).join(': '), hit).toMatch(/^(\/\/|\/\*\*|\*)/);
    }
  });

  it('keeps PostgreSQL, with its marker lines gone', () => {
    expect(JSON.parse(project.read('apps/server/package.json')).dependencies.pg).toBe('catalog:');
    expect(project.has('apps/server/src/db/postgres.ts')).toBe(true);
    expect(project.read('.ci/run')).toMatch(/need\+=\(postgresql\)/);
    expect(project.read('pnpm-lock.yaml')).toMatch(/^ {2}pg@/m);
    expect(linesMatching(project.dir, /starter:(bench|postgres)/)).toEqual([]);
  });
});

describe('--no-postgres', () => {
  let project: Awaited<ReturnType<typeof scaffold>>;
  beforeAll(async () => {
    project = await scaffold(path.join(tmp.dir, 'shop-b'), ['--no-postgres']);
  }, 60_000);

  it('drops the driver, the PostgreSQL suite and its machinery; the seam files refuse, naming the option', () => {
    for (const file of [
      'apps/server/src/db/postgres.ts',
      'apps/server/test/postgres-setup.ts',
      'apps/server/test/run-both.mjs',
      'apps/server/vitest.postgres.config.ts',
      'scripts/lib/postgres.mjs',
      'scripts/lib/postgres.d.mts',
    ]) {
      expect(project.has(file), file).toBe(false);
    }
    expect(project.read('apps/server/src/db/drivers.ts')).toMatch(
      /scaffolded with --no-postgres: it has no /,
    );
    expect(project.read('apps/server/test/postgres.ts')).toMatch(/scaffolded with --no-postgres/);
    expect(JSON.parse(project.read('starter.json')).leftOut).toEqual(['postgres']);
  });

  it('has no pg dependency anywhere: package.json, catalog, lockfile', () => {
    const server = JSON.parse(project.read('apps/server/package.json'));
    expect(server.dependencies.pg).toBeUndefined();
    expect(server.devDependencies['@types/pg']).toBeUndefined();
    expect(server.scripts.test).toBe('vitest run');
    expect(server.scripts['test:postgres']).toBeUndefined();
    expect(project.read('pnpm-workspace.yaml')).not.toMatch(/^\s+"?(@types\/)?pg"?:/m);
    expect(project.read('pnpm-lock.yaml')).not.toMatch(/^ {2}'?(@types\/)?pg@|^ {4,}'?(@types\/)?pg'?:/m);
  });

  it('leaves nothing that refers to it (the dialect-neutral SQL and config stay)', () => {
    const references =
      /from 'pg'|"(@types\/)?pg"|PG_TEST_URL|PG_BIN|postgres-setup|vitest\.postgres|run-both|lib\/postgres|test:postgres|postgresql\)|image: postgres/;
    expect(linesMatching(project.dir, references)).toEqual([]);
    expect(project.read('.github/workflows/ci.yml')).not.toMatch(/services:/);
    expect(project.read('turbo.json')).not.toMatch(/PG_/);
    expect(project.read('.env.example')).not.toMatch(/postgres/i);
    expect(project.read('apps/server/tsconfig.json')).toMatch(
      /"include": \["src", "test", "vitest.config.ts"\]/,
    );
    expect(project.read('scripts/lib/system.mjs')).not.toMatch(/findPostgresBin|postgres\.mjs/);
  });

  it('keeps the bench, with its marker lines gone', () => {
    expect(JSON.parse(project.read('package.json')).scripts.bench).toMatch(/scripts\/bench/);
    expect(filesUnder(project.dir).some((file) => file.startsWith('scripts/bench/'))).toBe(true);
    expect(linesMatching(project.dir, /starter:(bench|postgres)/)).toEqual([]);
  });
});
