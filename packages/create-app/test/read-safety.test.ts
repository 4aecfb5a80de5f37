/**
 * The read side is as strict as the write side: a starter file that is a symbolic link — tracked in git, in the packed
 * template, or under a linked folder — is refused with a message naming it, never followed, never copied. (A committed
 * link to a file outside the repository used to copy that file into the new project and the packed template.)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeProject } from '../src/scaffold.mjs';
import { packTemplate, resolveSource, SourceError } from '../src/source.mjs';
import { tempDir } from './helpers';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let outside: string;
const names = { name: 'my-app', scope: '@my-app', appName: 'my-app' };

beforeEach(async () => {
  tmp = await tempDir();
  outside = path.join(tmp.dir, 'outside-secret.txt');
  writeFileSync(outside, 'SECRET OUTSIDE THE REPO\n');
});
afterEach(() => tmp.cleanup());

/** A tiny starter checkout: two tracked files, plus whatever `extra` adds before the commit. */
function starter(extra: (root: string) => void): string {
  const root = path.join(tmp.dir, 'starter');
  mkdirSync(path.join(root, 'docs'), { recursive: true });
  writeFileSync(path.join(root, 'package.json'), '{"name":"ait-iap-starter"}\n');
  writeFileSync(path.join(root, 'docs', 'a.md'), 'hello\n');
  extra(root);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'pipe' });
  git('init', '-q');
  git('add', '-A');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'starter');
  return root;
}

describe('symbolic links among the starter files', () => {
  it('a tracked link to a file outside the repo is refused by name, before anything is written', () => {
    const root = starter((r) => symlinkSync(outside, path.join(r, 'docs', 'leak.md')));
    expect(() => resolveSource({ starterRoot: root })).toThrow(SourceError);
    expect(() => resolveSource({ starterRoot: root })).toThrow(/docs\/leak\.md is a symbolic link/);
  });

  it('a tracked link inside the repo is refused too (never followed, never copied)', () => {
    const root = starter((r) => symlinkSync('a.md', path.join(r, 'docs', 'alias.md')));
    expect(() => resolveSource({ starterRoot: root })).toThrow(/docs\/alias\.md is a symbolic link/);
  });

  it('packing the template refuses it, and leaves no copy of the outside file', () => {
    const root = starter((r) => symlinkSync(outside, path.join(r, 'leak.txt')));
    const templateDir = path.join(tmp.dir, 'template');
    expect(() => packTemplate(root, templateDir)).toThrow(/leak\.txt is a symbolic link/);
    expect(existsSync(path.join(templateDir, 'leak.txt'))).toBe(false);
  });

  it('a link in a packed template (or a folder on a file path swapped for a link) is refused when scaffolding', () => {
    const templateDir = path.join(tmp.dir, 'template');
    mkdirSync(path.join(templateDir, 'docs'), { recursive: true });
    writeFileSync(path.join(templateDir, 'package.json'), '{"name":"ait-iap-starter"}\n');
    symlinkSync(outside, path.join(templateDir, 'docs', 'leak.md'));
    expect(() => resolveSource({ templateDir })).toThrow(/docs\/leak\.md is a symbolic link/);

    // Listed as a regular file, then its folder replaced by a link before the copy: still refused at read time.
    const root = starter(() => undefined);
    const source = resolveSource({ starterRoot: root });
    const elsewhere = path.join(tmp.dir, 'elsewhere');
    mkdirSync(elsewhere);
    writeFileSync(path.join(elsewhere, 'a.md'), 'SECRET OUTSIDE THE REPO\n');
    execFileSync('rm', ['-r', path.join(root, 'docs')]);
    symlinkSync(elsewhere, path.join(root, 'docs'));
    const target = path.join(tmp.dir, 'new-app');
    expect(() => writeProject({ source, targetDir: target, names })).toThrow(/docs is a symbolic link/);
    expect(existsSync(path.join(target, 'docs', 'a.md'))).toBe(false);
  });
});
