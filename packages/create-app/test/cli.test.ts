import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.mjs';
import { creditLine, filesUnder, leftoverTemplateNames, tempDir } from './helpers';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let errors: string[];
beforeEach(async () => {
  tmp = await tempDir();
  errors = [];
  vi.spyOn(console, 'error').mockImplementation((line: unknown) => void errors.push(String(line)));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await tmp.cleanup();
});

/** Run the CLI as CI would: CI=true, no terminal. */
async function create(args: string[]) {
  const out: string[] = [];
  const code = await main(args, { env: { CI: 'true' }, log: (line: string) => out.push(line) });
  return { code, out, err: errors };
}

describe('create-ait-iap (non-interactive)', () => {
  it('scaffolds with names derived from the directory, leaving no template name behind', async () => {
    const dir = path.join(tmp.dir, 'Lucky Shop');
    const run = await create([dir, '--no-install', '--no-git']);
    expect(run.code).toBe(0);
    const root = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    expect(root.name).toBe('lucky-shop');
    expect(JSON.parse(readFileSync(path.join(dir, 'apps/server/package.json'), 'utf8')).name).toBe(
      '@lucky-shop/server',
    );
    expect(readFileSync(path.join(dir, 'apps/web/granite.config.ts'), 'utf8')).toContain(
      "appName: 'lucky-shop'",
    );
    expect(filesUnder(dir).filter((f) => f.startsWith('packages/create-app'))).toEqual([]);
    expect(statSync(path.join(dir, '.ci/run')).mode & 0o111).not.toBe(0);
    expect(readFileSync(path.join(dir, 'README.md'), 'utf8')).toMatch(/^# lucky-shop\n/);
    expect(leftoverTemplateNames(dir).map((hit) => hit.replace(/:\d+:/, ':'))).toEqual([creditLine]);
    expect(run.out.join('\n')).toMatch(/node scripts\/up\.mjs/);
    // Nothing left out by default, and no `starter:` marker line reaches the project (leave-out.test.ts: the options).
    expect(readFileSync(path.join(dir, '.ci/run'), 'utf8')).toMatch(/need\+=\(postgresql\)/);
    expect(readFileSync(path.join(dir, '.ci/run'), 'utf8')).not.toMatch(/starter:/);
    expect(readFileSync(path.join(dir, 'scripts/lib/system.mjs'), 'utf8')).not.toMatch(/starter:/);
    expect(existsSync(path.join(dir, 'scripts/bench'))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(dir, 'starter.json'), 'utf8')).leftOut).toBeUndefined();
  });

  it('takes the project name, scope and appName from flags', async () => {
    const dir = path.join(tmp.dir, 'x');
    const run = await create([
      dir,
      '--name',
      'acme-store',
      '--scope',
      'acme',
      '--app-name',
      'acme-mini',
      '-y',
      '--no-install',
      '--no-git',
    ]);
    expect(run.code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name).toBe('acme-store');
    expect(JSON.parse(readFileSync(path.join(dir, 'packages/iap-contract/package.json'), 'utf8')).name).toBe(
      '@acme/iap-contract',
    );
    expect(readFileSync(path.join(dir, 'pnpm-lock.yaml'), 'utf8')).toContain("'@acme/iap-contract':");
    expect(readFileSync(path.join(dir, 'pnpm-lock.yaml'), 'utf8')).not.toContain('packages/create-app');
    expect(readFileSync(path.join(dir, 'apps/web/granite.config.ts'), 'utf8')).toContain(
      "appName: 'acme-mini'",
    );
  });

  it('refuses a non-empty directory without --force, and writes nothing', async () => {
    const dir = path.join(tmp.dir, 'busy');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    const run = await create([dir, '--no-install', '--no-git']);
    expect(run.code).toBe(1);
    expect(run.err.join('\n')).toMatch(/is not empty.*--force/s);
    expect(filesUnder(dir)).toEqual(['notes.txt']);
  });

  it('writes into a non-empty directory with --force, keeping unrelated files', async () => {
    const dir = path.join(tmp.dir, 'busy');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    const run = await create([dir, '--force', '--no-install', '--no-git']);
    expect(run.code).toBe(0);
    expect(readFileSync(path.join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    expect(existsSync(path.join(dir, 'apps/server/package.json'))).toBe(true);
  });

  it('rejects invalid names with every reason, before writing anything', async () => {
    const dir = path.join(tmp.dir, 'bad');
    const run = await create([
      dir,
      '--name',
      'Bad Name',
      '--app-name',
      'My_Shop',
      '--no-install',
      '--no-git',
    ]);
    expect(run.code).toBe(1);
    const text = run.err.join('\n');
    expect(text).toMatch(/project name "Bad Name": name must be lowercase/);
    expect(text).toMatch(/appName must be .* got "My_Shop"/);
    expect(existsSync(dir)).toBe(false);
  });

  it('writes --support-url for the release build, refuses a bad one, and writes nothing without it', async () => {
    const withUrl = path.join(tmp.dir, 'with-support');
    const url = 'https://help.acme.com/contact?order={ref}';
    expect((await create([withUrl, '--support-url', url, '--no-install', '--no-git'])).code).toBe(0);
    expect(readFileSync(path.join(withUrl, 'apps/web/.env.production'), 'utf8')).toContain(
      `VITE_SUPPORT_URL=${url}\n`,
    );
    const bad = path.join(tmp.dir, 'bad-support');
    const refused = await create([bad, '--support-url', 'help desk', '--no-install', '--no-git']);
    expect(refused.code).toBe(1);
    expect(refused.err.join('\n')).toMatch(/support URL must be an http\(s\) URL/);
    expect(existsSync(bad)).toBe(false);
    const hashRoute = path.join(tmp.dir, 'hash-support');
    const hashUrl = 'https://help.acme.com/#/contact?order={ref}';
    expect((await create([hashRoute, '--support-url', hashUrl, '--no-install', '--no-git'])).code).toBe(0);
    // Unquoted, dotenv would read everything after the `#` as a comment.
    expect(readFileSync(path.join(hashRoute, 'apps/web/.env.production'), 'utf8')).toContain(
      `VITE_SUPPORT_URL="${hashUrl}"\n`,
    );
    const dollar = path.join(tmp.dir, 'dollar-support');
    const expanded = await create([
      dollar,
      '--support-url',
      'https://help.acme.com/$HOME',
      '--no-install',
      '--no-git',
    ]);
    expect(expanded.code).toBe(1);
    expect(expanded.err.join('\n')).toMatch(/must not contain .*\$/);
    const without = path.join(tmp.dir, 'no-support');
    expect((await create([without, '--no-install', '--no-git'])).code).toBe(0);
    expect(existsSync(path.join(without, 'apps/web/.env.production'))).toBe(false);
  });

  it('explains an unknown option and a missing directory', async () => {
    expect((await create(['--colour'])).code).toBe(1);
    expect(errors.join('\n')).toMatch(/--colour/);
    expect((await create(['--no-install'])).code).toBe(1);
    expect(errors.join('\n')).toMatch(/Which directory\?/);
  });
});

describe('create-ait-iap (interactive)', () => {
  it('asks for each name with a default, re-asking until the answer is valid', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const stdout = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
    const dir = path.join(tmp.dir, 'asked');
    const answers: [RegExp, string][] = [
      [/Project directory/, dir],
      [/Project name \(asked\)/, ''], // accept the default
      [/Package scope \(@asked\)/, 'Bad Scope'],
      [/Package scope \(@asked\)/, 'team'],
      [/appName \(asked\)/, 'asked-mini'],
      [/Support page URL .*\(none\)/, 'help desk'],
      [/Support page URL .*\(none\)/, 'https://help.asked.dev/contact?order={ref}'],
    ];
    let transcript = '';
    stdout.on('data', (chunk: Buffer) => {
      transcript += chunk.toString();
      const next = answers[0];
      if (next?.[0].test(transcript)) {
        answers.shift();
        transcript = '';
        setImmediate(() => stdin.write(`${next[1]}\n`));
      }
    });
    const out: string[] = [];
    const code = await main(['--no-install', '--no-git'], {
      env: {},
      stdin: stdin as unknown as NodeJS.ReadStream,
      stdout: stdout as unknown as NodeJS.WriteStream,
      log: (line: string) => out.push(line),
    });
    expect(code).toBe(0);
    expect(answers).toEqual([]);
    expect(JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name).toBe('asked');
    expect(JSON.parse(readFileSync(path.join(dir, 'apps/web/package.json'), 'utf8')).name).toBe('@team/web');
    expect(readFileSync(path.join(dir, 'apps/web/granite.config.ts'), 'utf8')).toContain(
      "appName: 'asked-mini'",
    );
    expect(readFileSync(path.join(dir, 'apps/web/.env.production'), 'utf8')).toContain(
      'VITE_SUPPORT_URL=https://help.asked.dev/contact?order={ref}\n',
    );
  });
});
