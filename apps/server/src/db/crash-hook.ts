/**
 * A TEST hook: SIGKILL this process at a named point inside a write transaction, so a test can prove that a crash
 * there leaves all or nothing (test/crash.test.ts). You don't edit this file.
 *
 * Inert unless BOTH are set in the environment of a non-production process:
 *   IAP_TEST_CRASH_AT    `before-commit` — after a member's work is done and released (SQLite: its SAVEPOINT
 *                        released, the group's COMMIT not yet run; PostgreSQL: the callback returned, COMMIT not sent);
 *                        `after-statement:N` — right after the N-th statement of a write transaction executed.
 *   IAP_TEST_CRASH_ARM   a file path; the hook fires only while that file exists (so a test can log in and create
 *                        orders first, then arm it). A request cannot create files, set the environment or reach this.
 * Under NODE_ENV=production the variables are ignored.
 */
import { existsSync } from 'node:fs';
import type { Kysely, KyselyPlugin } from 'kysely';
import type { Database } from './schema';

export type CrashPoint = 'before-commit' | { afterStatement: number };

export interface CrashHook {
  /** Dies here if armed and this is the configured point. */
  reached(point: 'before-commit'): void;
  /** The transaction handle given to a write callback: counts statements for `after-statement:N`. */
  wrap<C extends Kysely<Database>>(trx: C): C;
}

/** The hook the environment asks for, or null (always null in production). */
export function crashHookFromEnv(env: NodeJS.ProcessEnv = process.env): CrashHook | null {
  const at = env.IAP_TEST_CRASH_AT?.trim();
  const arm = env.IAP_TEST_CRASH_ARM?.trim();
  if (!at || !arm || env.NODE_ENV === 'production') return null;
  const statement = /^after-statement:(\d+)$/.exec(at);
  const point: CrashPoint | null =
    at === 'before-commit' ? 'before-commit' : statement ? { afterStatement: Number(statement[1]) } : null;
  if (point === null) throw new Error(`IAP_TEST_CRASH_AT: unknown point "${at}"`);
  const armed = () => existsSync(arm);
  return {
    reached(name) {
      if (point === name && armed()) die();
    },
    wrap<C extends Kysely<Database>>(trx: C): C {
      if (typeof point === 'string' || !armed()) return trx;
      let executed = 0;
      const plugin: KyselyPlugin = {
        transformQuery: (args) => args.node,
        transformResult: async (args) => {
          executed += 1;
          if (executed === point.afterStatement) die();
          return args.result;
        },
      };
      return trx.withPlugin(plugin) as C;
    },
  };
}

/** SIGKILL ourselves, and run no more JavaScript (no COMMIT, no answer) until the signal lands. */
function die(): never {
  process.kill(process.pid, 'SIGKILL');
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
}
