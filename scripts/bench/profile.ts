/**
 * `pnpm bench -- --profile` (and any missed fulfill target): summarize the in-process server's V8 CPU profile of
 * the timed run (steady state, no startup).
 *
 * The V8 profiler samples the main thread, so its total is main-thread time: CPU, plus the time the thread sat
 * blocked inside a synchronous native call (SQLite's fsync at COMMIT above all). It is grouped by WHAT the time was
 * spent on, not by which package happened to call it:
 *  - native time by kind: SQLite COMMIT (WAL append + fsync), other SQLite statements, JSON, crypto, socket I/O,
 *    log file writes, garbage collection, promise machinery, … (profile-hooks.ts routes SQLite and JSON through
 *    named frames so they can be told apart);
 *  - JavaScript self time by package (node_modules package, app file, or Node built-in module).
 * `<profile>.sqlite.json` (written by the profiled server) adds the wall time of the COMMITs (WAL append + fsync) and
 * of the other statements over the same window.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqliteTimings } from './sqlite-hooks';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

export interface Share {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  /** Main-thread time sampled (idle and the profiler's own work left out): CPU plus blocking native calls. */
  totalMs: number;
  /** What the time was spent on (JavaScript counted as one kind; `packages` breaks it down). */
  kinds: Share[];
  /** JavaScript self time by package / app file / Node built-in module (shares of `totalMs`). */
  packages: Share[];
  /** Hottest JavaScript functions by self time (shares of `totalMs`). */
  functions: Share[];
  /** COMMIT and other statement timings over the same window, if the profiled server wrote them. */
  sqlite: SqliteTimings | null;
}

export const kindNames = {
  commit: 'SQLite COMMIT (WAL append + fsync)',
  statement: 'SQLite executing other statements',
  json: 'JSON parse/stringify',
  crypto: 'crypto (hashes, HMAC, random)',
  socket: 'socket I/O',
  file: 'file writes (log lines)',
  gc: 'garbage collection',
  microtasks: 'promise/microtask machinery',
  program: 'V8/Node outside JavaScript',
  text: 'text encoding/decoding',
  url: 'URL parsing',
  otherNative: 'other native',
  javascript: 'JavaScript',
} as const;

/** Which package/app file/built-in module a JavaScript frame belongs to. */
export function packageOf(url: string): string {
  const pnpm = url.split('node_modules/.pnpm/')[1];
  if (pnpm) {
    const dir = pnpm.split('/')[0] ?? '';
    // "@trpc+server@11.7.0_…" → "@trpc/server"; "kysely@0.28.8" → "kysely"
    return dir.replace(/^@([^+]+)\+/, '@$1/').replace(/@[\d][^_]*(_.*)?$/, '');
  }
  if (url.startsWith('node:')) {
    const mod = url.slice('node:'.length).replace(/^internal\//, '');
    if (mod.startsWith('deps/undici')) return 'node:undici (fetch Request/Response)';
    if (mod.startsWith('modules/')) return 'node:modules (loading, tsx hooks)';
    if (mod.startsWith('webstreams/')) return 'node:webstreams';
    return `node:${mod.split('/')[0]}`;
  }
  const file = url.replace(/^file:\/\//, '');
  return file.startsWith(`${repoRoot}/`) ? file.slice(repoRoot.length + 1) : file;
}

/** The kind of a native frame, from its name and the nearest named frames above it. */
function nativeKind(name: string, ancestors: CallFrame[]): keyof typeof kindNames {
  if (name === '(garbage collector)') return 'gc';
  if (name === '(program)') return 'program';
  if (name === 'runMicrotasks' || name === 'enqueueMicrotask') return 'microtasks';
  for (const frame of ancestors) {
    if (frame.functionName === 'sqliteCommit') return 'commit';
    if (frame.functionName === 'sqliteStatement') return 'statement';
    if (frame.functionName === 'jsonParse' || frame.functionName === 'jsonStringify') return 'json';
    if (!frame.url) continue;
    // Without the hooks (a profile taken by hand): SQLite under Kysely's driver or better-sqlite3, COMMIT included.
    if (frame.url.includes('/better-sqlite3') || frame.url.includes('/sqlite-driver')) return 'statement';
    if (frame.url.startsWith('node:internal/crypto') || frame.url === 'node:crypto') return 'crypto';
    if (frame.url.startsWith('node:internal/stream_base_commons') || frame.url === 'node:net')
      return 'socket';
    if (frame.url === 'node:fs' || frame.url.startsWith('node:internal/fs')) return 'file';
    if (frame.url.startsWith('node:internal/encoding') || /TextDecoder|TextEncoder/.test(name)) return 'text';
    if (frame.url === 'node:internal/url') return 'url';
    break; // the nearest JavaScript frame decides
  }
  return 'otherNative';
}

export function summarizeProfile(file: string, top = 8): ProfileSummary | null {
  if (!existsSync(file)) return null;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });

  const ancestorsOf = (id: number): CallFrame[] => {
    const out: CallFrame[] = [];
    for (let up = parents.get(id); up !== undefined; up = parents.get(up)) {
      const frame = nodes.get(up)?.callFrame;
      if (frame) out.push(frame);
    }
    return out;
  };

  let total = 0;
  const byKind = new Map<string, number>();
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);
  for (const [id, us] of selfUs) {
    const frame = nodes.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') continue;
    const ancestors = ancestorsOf(id);
    // The profiler's own session (starting/stopping, writing the file) is not the server's work.
    if (frame.url.startsWith('node:inspector') || ancestors.some((a) => a.url.startsWith('node:inspector')))
      continue;
    if (!frame.url && frame.functionName === 'dispatch') continue;
    total += us;
    const routed =
      frame.functionName === 'sqliteCommit'
        ? 'commit'
        : frame.functionName === 'sqliteStatement'
          ? 'statement'
          : frame.functionName === 'jsonParse' || frame.functionName === 'jsonStringify'
            ? 'json'
            : null;
    if (routed) {
      add(byKind, kindNames[routed], us);
      continue;
    }
    if (!frame.url) {
      add(byKind, kindNames[nativeKind(frame.functionName, ancestors)], us);
      continue;
    }
    add(byKind, kindNames.javascript, us);
    const pkg = packageOf(frame.url);
    add(byPackage, pkg, us);
    add(byFunction, `${frame.functionName || '(anonymous)'} (${pkg}:${frame.lineNumber + 1})`, us);
  }
  const rank = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: us / 1000, share: total > 0 ? us / total : 0 }));
  const sqlitePath = `${file}.sqlite.json`;
  const sqlite = existsSync(sqlitePath)
    ? (JSON.parse(readFileSync(sqlitePath, 'utf8')) as SqliteTimings)
    : null;
  return {
    totalMs: total / 1000,
    kinds: rank(byKind, byKind.size),
    packages: rank(byPackage, top),
    functions: rank(byFunction, top),
    sqlite,
  };
}
