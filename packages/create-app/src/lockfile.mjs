// @ts-check
/**
 * The new project's pnpm-lock.yaml when a leave-out removes dependencies: the removed dependencies go from their
 * importers and the catalog, then every package nothing reaches any more (from any importer, through the snapshots'
 * dependencies) goes too. The result is what `pnpm install` would write, so the project installs with
 * `--frozen-lockfile` (its CI), offline and without running pnpm here. Reads the lockfile v9 layout line by line
 * (two-space YAML as pnpm writes it); the starter's test checks that pruning its own lockfile with nothing removed
 * changes nothing. You probably don't need to edit this file.
 */

/** @param {string} line */
const indentOf = (line) => line.length - line.trimStart().length;
/**
 * The key of a mapping line: `  '@scope/name@1.0.0':` → `@scope/name@1.0.0`, `  name@1.0.0: {}` → `name@1.0.0`.
 * @param {string} line
 */
function keyOf(line) {
  const text = line.trim();
  const quoted = /^'((?:[^']|'')*)':/.exec(text);
  if (quoted) return (quoted[1] ?? '').replaceAll("''", "'");
  return text.replace(/:( .*)?$/, '');
}

/**
 * Split `lines` into blocks: each starts at a line of exactly `indent` spaces followed by a key, and runs until the
 * next such line or a line indented less (blank lines stay with the block before them).
 * @param {string[]} lines
 * @param {number} from
 * @param {number} to
 * @param {number} indent
 */
function blocks(lines, from, to, indent) {
  /** @type {{ key: string, start: number, end: number }[]} */
  const found = [];
  for (let i = from; i < to; i++) {
    const line = /** @type {string} */ (lines[i]);
    if (line.trim() === '') continue;
    if (indentOf(line) < indent) break;
    if (indentOf(line) !== indent) continue;
    const last = found.at(-1);
    if (last) last.end = i;
    found.push({ key: keyOf(line), start: i, end: to });
  }
  const last = found.at(-1);
  if (last) {
    let end = last.start + 1;
    while (end < to && ((lines[end] ?? '').trim() === '' || indentOf(lines[end] ?? '') > indent)) end++;
    last.end = end;
  }
  return found;
}

/** @param {string[]} lines @param {string} name */
function section(lines, name) {
  const start = lines.indexOf(`${name}:`);
  if (start === -1) return null;
  let end = start + 1;
  while (end < lines.length && !/^\S/.test(lines[end] ?? '')) end++;
  return { start, end };
}

/**
 * The snapshot key a dependency entry `name: value` points at (`value` may be an alias, `other@1.0.0`).
 * @param {string} name
 * @param {string} value
 */
function snapshotKey(name, value) {
  const base = value.split('(')[0] ?? '';
  return base.lastIndexOf('@') > 0 ? value : `${name}@${value}`;
}

/**
 * Dependency entries (`name: value` at `indent + 2` under `dependencies:`/`optionalDependencies:` at `indent`).
 * @param {string[]} lines
 * @param {number} from
 * @param {number} to
 * @param {number} indent
 */
function dependencyLines(lines, from, to, indent) {
  /** @type {string[]} */
  const keys = [];
  let inside = false;
  for (let i = from; i < to; i++) {
    const line = lines[i] ?? '';
    if (line.trim() === '') continue;
    if (indentOf(line) === indent) inside = /^(dependencies|optionalDependencies):$/.test(line.trim());
    else if (inside && indentOf(line) === indent + 2) {
      const match = /^('?)(.+?)\1: ('?)(.+)\3$/.exec(line.trim());
      if (match) keys.push(snapshotKey(/** @type {string} */ (match[2]), /** @type {string} */ (match[4])));
    }
  }
  return keys;
}

/**
 * @param {string} text the lockfile
 * @param {Map<string, string[]>} removed package folder ('' = the root, `.` in the lockfile) → dependency names
 * @returns {string}
 */
export function pruneLockfile(text, removed) {
  const names = new Set([...removed.values()].flat());
  let lines = text.split('\n');
  /** @type {Set<number>} */
  const drop = new Set();
  const dropBlock = (/** @type {{ start: number, end: number }} */ block) => {
    for (let i = block.start; i < block.end; i++) drop.add(i);
  };
  const catalogs = section(lines, 'catalogs');
  if (catalogs) {
    for (const catalog of blocks(lines, catalogs.start + 1, catalogs.end, 2)) {
      for (const entry of blocks(lines, catalog.start + 1, catalog.end, 4))
        if (names.has(entry.key)) dropBlock(entry);
    }
  }
  const importers = section(lines, 'importers');
  if (importers) {
    for (const importer of blocks(lines, importers.start + 1, importers.end, 2)) {
      const gone = removed.get(importer.key === '.' ? '' : importer.key) ?? [];
      for (const field of blocks(lines, importer.start + 1, importer.end, 4)) {
        for (const entry of blocks(lines, field.start + 1, field.end, 6))
          if (gone.includes(entry.key)) dropBlock(entry);
      }
    }
  }
  lines = lines.filter((_, i) => !drop.has(i));
  return withoutUnreachable(lines).join('\n');
}

/**
 * Drop the snapshots and packages no importer reaches.
 * @param {string[]} lines
 */
function withoutUnreachable(lines) {
  const importers = section(lines, 'importers');
  const snapshots = section(lines, 'snapshots');
  const packages = section(lines, 'packages');
  if (!importers || !snapshots || !packages) return lines;
  /** @type {string[]} */
  const roots = [];
  for (const importer of blocks(lines, importers.start + 1, importers.end, 2)) {
    for (const field of blocks(lines, importer.start + 1, importer.end, 4)) {
      for (const entry of blocks(lines, field.start + 1, field.end, 6)) {
        const version = lines
          .slice(entry.start + 1, entry.end)
          .map((line) => /^\s+version: ('?)(.+)\1$/.exec(line)?.[2])
          .find(Boolean);
        if (version && !/^(link|file):/.test(version)) roots.push(snapshotKey(entry.key, version));
      }
    }
  }
  const snapshotBlocks = new Map(
    blocks(lines, snapshots.start + 1, snapshots.end, 2).map((block) => [block.key, block]),
  );
  const reached = new Set();
  for (const queue = roots; queue.length > 0; ) {
    const key = /** @type {string} */ (queue.pop());
    const block = snapshotBlocks.get(key);
    if (!block || reached.has(key)) continue;
    reached.add(key);
    queue.push(...dependencyLines(lines, block.start + 1, block.end, 4));
  }
  const reachedPackages = new Set([...reached].map((key) => key.split('(')[0]));
  /** @type {Set<number>} */
  const drop = new Set();
  for (const block of snapshotBlocks.values()) {
    if (!reached.has(block.key)) for (let i = block.start; i < block.end; i++) drop.add(i);
  }
  for (const block of blocks(lines, packages.start + 1, packages.end, 2)) {
    if (!reachedPackages.has(block.key)) for (let i = block.start; i < block.end; i++) drop.add(i);
  }
  return lines.filter((_, i) => !drop.has(i));
}
