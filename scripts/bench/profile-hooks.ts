/**
 * Installed only in the CPU-profiled pass of the in-process server (server-inproc.ts with BENCH_CPU_PROFILE), before
 * the server starts, so the profile can be read by what the time was spent ON:
 *  - better-sqlite3 goes through the named `sqliteCommit` / `sqliteStatement` frames, both timed on the wall clock
 *    (sqlite-hooks.ts), so a COMMIT's WAL append + fsync is told apart from executing the other statements;
 *  - `JSON.parse` / `JSON.stringify` go through the named `jsonParse` / `jsonStringify` frames. V8 charges a
 *    builtin's time to its caller's self time, so without these JSON would hide inside tRPC, Express and the logger.
 * The wrappers cost a function call each; that pass is never a measured figure.
 */
import { type SqliteTimings, startSqliteTimings, stopSqliteTimings } from './sqlite-hooks';

const parse = JSON.parse;
const stringify = JSON.stringify;

function jsonParse(text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown): unknown {
  return parse(text, reviver);
}
function jsonStringify(value: unknown, replacer?: unknown, space?: string | number): string {
  return stringify(value, replacer as Parameters<typeof JSON.stringify>[1], space);
}

export const jsonFrameNames = { parse: jsonParse.name, stringify: jsonStringify.name } as const;

/** Route JSON and SQLite through named frames; call once, before the server is created. */
export function installProfileHooks(): { start(): void; stop(): SqliteTimings } {
  JSON.parse = jsonParse as typeof JSON.parse;
  JSON.stringify = jsonStringify as typeof JSON.stringify;
  stopSqliteTimings(); // installs the SQLite routing now, before the server opens its database
  return { start: startSqliteTimings, stop: stopSqliteTimings };
}
