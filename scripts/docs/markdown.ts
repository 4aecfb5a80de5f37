/**
 * What the docs test reads from the repository: its Markdown files, their code (inline spans and fenced blocks),
 * links, the env vars they name, the `pnpm` commands they name, the `.env.example` files and the workspace's
 * package.json scripts. Pure file reading: no network, no child process.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Folders never searched for docs (dependencies, build output, local state, release tooling's own notes). */
const skippedDirs = new Set([
  'node_modules',
  '.git',
  '.dev',
  '.turbo',
  '.changeset',
  '.test-results',
  'dist',
  'coverage',
  'test-results',
  'playwright-report',
]);

/** A generated report (rewritten by its tool on every run) or a changelog is not a doc a person keeps. */
function isKeptDoc(relative: string, text: string): boolean {
  if (path.basename(relative) === 'CHANGELOG.md') return false;
  return !/^<!--[^>]*\bgenerated\b/i.test(text);
}

export interface Doc {
  /** Path from the repository root, with `/`. */
  file: string;
  text: string;
}

export function markdownFiles(root: string, dir = ''): Doc[] {
  const docs: Doc[] = [];
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const relative = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory() && !skippedDirs.has(entry.name)) docs.push(...markdownFiles(root, relative));
    if (!entry.isFile() || !entry.name.endsWith('.md')) continue;
    const text = readFileSync(path.join(root, relative), 'utf8');
    if (isKeptDoc(relative, text)) docs.push({ file: relative, text });
  }
  return docs;
}

export interface Code {
  /** 1-based line of the doc where this code starts. */
  line: number;
  text: string;
  /** `span` for `inline code`; otherwise the fenced block's language (`''` when none). */
  kind: 'span' | string;
}

const fence = /^\s*(`{3,}|~{3,})\s*([\w-]*)/;

/** Fenced blocks, and inline spans outside them. */
export function codeOf(text: string): Code[] {
  const code: Code[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = fence.exec(lines[i] ?? '');
    if (!open) {
      for (const span of (lines[i] ?? '').matchAll(/(`+)(.+?)\1/g)) {
        code.push({ line: i + 1, text: span[2] ?? '', kind: 'span' });
      }
      continue;
    }
    const start = i;
    const marker = open[1] ?? '```';
    while (i + 1 < lines.length && !(lines[i + 1] ?? '').trim().startsWith(marker)) i++;
    code.push({ line: start + 1, text: lines.slice(start + 1, i + 1).join('\n'), kind: open[2] ?? '' });
    i++;
  }
  return code;
}

/** The doc with its fenced blocks blanked out (line numbers kept), for what only prose may contain. */
export function proseOf(text: string): string {
  const lines = text.split('\n');
  let inFence: string | undefined;
  return lines
    .map((line) => {
      const open = fence.exec(line);
      if (inFence) {
        if (line.trim().startsWith(inFence)) inFence = undefined;
        return '';
      }
      if (open) {
        inFence = open[1];
        return '';
      }
      return line.replace(/(`+)(.+?)\1/g, '');
    })
    .join('\n');
}

const shellLanguages = new Set(['sh', 'bash', 'shell', 'console', 'zsh', 'env', 'dotenv', 'ini', 'text', '']);

export function isShellLike(code: Code): boolean {
  return code.kind === 'span' || shellLanguages.has(code.kind);
}

export interface Named {
  name: string;
  line: number;
}

const upperSnake = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/;

/**
 * Env-var-shaped names a doc's code names: an inline span that is one UPPER_SNAKE word, and every `NAME=value` in
 * spans and shell-like blocks. A one-word name (`PORT`) counts only in the `PORT=…` form; `$NAME` is left out (an
 * example's shell variable, such as `$TOKEN`, is no setting).
 */
export function envNamesOf(code: Code[]): Named[] {
  const named: Named[] = [];
  for (const piece of code) {
    if (!isShellLike(piece)) continue;
    const lines = piece.text.split('\n');
    lines.forEach((text, offset) => {
      const line = piece.line + offset + (piece.kind === 'span' ? 0 : 1);
      if (piece.kind === 'span' && upperSnake.test(text.trim())) named.push({ name: text.trim(), line });
      for (const match of text.matchAll(/(?<![\w.$-])([A-Z][A-Z0-9_]*[A-Z0-9])=/g)) {
        named.push({ name: match[1] ?? '', line });
      }
    });
  }
  return named;
}

/** Relative link targets (`[text](target)` and `[label]: target`) in prose, without their `#anchor`. */
export function relativeLinksOf(text: string): Named[] {
  const links: Named[] = [];
  proseOf(text)
    .split('\n')
    .forEach((line, index) => {
      const targets = [
        ...line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g),
        ...line.matchAll(/^\s*\[[^\]]+\]:\s+(\S+)/g),
      ];
      for (const match of targets) {
        const target = match[1] ?? '';
        if (/^(?:[a-z][a-z0-9+.-]*:|#|\/\/)/i.test(target)) continue;
        links.push({ name: decodeURIComponent(target.split('#')[0] ?? ''), line: index + 1 });
      }
    });
  return links.filter((link) => link.name !== '');
}

/** Every `NAME=` in an `.env.example`, set or commented out (`# NAME=default`). */
export function envExampleNames(text: string): string[] {
  return [...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1] ?? '');
}

export interface Workspace {
  /** package name → its folder (from the root) and scripts; the root package is under `.`. */
  packages: Map<string, { dir: string; scripts: Set<string> }>;
}

function readScripts(file: string): { name: string; scripts: Set<string> } {
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as {
    name: string;
    scripts?: Record<string, string>;
  };
  return { name: manifest.name, scripts: new Set(Object.keys(manifest.scripts ?? {})) };
}

/** The workspace's packages, from the folders `pnpm-workspace.yaml` names (`dir/*` or `dir`). */
export function workspaceOf(root: string): Workspace {
  const packages = new Map<string, { dir: string; scripts: Set<string> }>();
  const rootManifest = readScripts(path.join(root, 'package.json'));
  packages.set('.', { dir: '.', scripts: rootManifest.scripts });
  const yaml = readFileSync(path.join(root, 'pnpm-workspace.yaml'), 'utf8');
  const section = /^packages:\n((?:[ \t]+.*\n?)*)/m.exec(yaml)?.[1] ?? '';
  const globs = [...section.matchAll(/^\s*-\s*['"]?([\w./*-]+?)['"]?\s*$/gm)].map((match) => match[1] ?? '');
  for (const glob of globs) {
    const dirs = glob.endsWith('/*')
      ? readdirSync(path.join(root, glob.slice(0, -2)), { withFileTypes: true })
          .filter((entry) => entry.isDirectory())
          .map((entry) => `${glob.slice(0, -2)}/${entry.name}`)
      : [glob];
    for (const dir of dirs.filter((d) => existsSync(path.join(root, d, 'package.json')))) {
      const { name, scripts } = readScripts(path.join(root, dir, 'package.json'));
      packages.set(name, { dir, scripts });
    }
  }
  return { packages };
}

/** pnpm's own commands (not package scripts); `test` and `start` are left out: they run the package's script. */
const pnpmBuiltins = new Set(
  (
    'add approve-builds audit bin cache cat-file cat-index config create dedupe deploy dlx doctor env exec fetch ' +
    'find-hash i ignored-builds import init install install-test it licenses link list ll ls outdated pack patch ' +
    'patch-commit patch-remove prune publish rebuild remove rm root self-update server setup store un uninstall ' +
    'unlink up update why help'
  ).split(' '),
);

/** Flags of pnpm that take a value as the next word. */
const valueFlags = new Set(['--filter', '-F', '--dir', '-C', '--workspace-concurrency', '--reporter']);

export interface PnpmCommand {
  line: number;
  /** `--filter`/`-F` values, and `-C`/`--dir` folders prefixed `dir:`. */
  filters: string[];
  /** The script named, unless the command is one of pnpm's own. */
  script?: string;
}

/** Reads one `pnpm …` invocation's words; undefined for pnpm's own commands, flags alone or placeholders. */
export function parsePnpm(words: string[], line: number): PnpmCommand | undefined {
  const filters: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    const inline = /^(--filter|-F|--dir|-C)=(.+)$/.exec(word);
    if (inline) filters.push(/^(--dir|-C)$/.test(inline[1] ?? '') ? `dir:${inline[2]}` : (inline[2] ?? ''));
    else if (valueFlags.has(word)) {
      const value = (words[++i] ?? '').replace(/^['"]|['"]$/g, '');
      filters.push(word === '--dir' || word === '-C' ? `dir:${value}` : value);
    } else if (word.startsWith('-')) continue;
    else if (word === 'run' && i + 1 < words.length) continue;
    else if (pnpmBuiltins.has(word) || !/^[a-z][\w:.-]*$/i.test(word) || /^\d/.test(word)) return undefined;
    else return { line, filters, script: word };
  }
  return undefined;
}

/** Every `pnpm …` a doc's spans and shell-like blocks name. */
export function pnpmCommandsOf(code: Code[]): PnpmCommand[] {
  const commands: PnpmCommand[] = [];
  for (const piece of code.filter(isShellLike)) {
    piece.text.split('\n').forEach((text, offset) => {
      const line = piece.line + offset + (piece.kind === 'span' ? 0 : 1);
      // A shell comment (`# …` after a space) is prose, not a command.
      const command = piece.kind === 'span' ? text : text.replace(/(^|\s)#.*$/, '');
      for (const match of command.matchAll(/(?:^|[\s;&|(`$])pnpm\s+([^;&|)\n#]*)/g)) {
        const parsed = parsePnpm((match[1] ?? '').trim().split(/\s+/), line);
        if (parsed) commands.push(parsed);
      }
    });
  }
  return commands;
}
