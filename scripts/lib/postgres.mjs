// A throwaway PostgreSQL cluster from Debian's binaries (/usr/lib/postgresql/<version>/bin), for tests, the bench
// and `pnpm dev` with DATABASE_URL: initdb in a temp dir, started on a free port with its unix socket in that dir,
// trust auth for the `postgres` role on 127.0.0.1 only, stopped (and the dir removed) by `stop()`.
// As root it runs the binaries as the `postgres` OS user (PostgreSQL refuses to run as root).
// Plain Node ESM, no dependencies (it runs before or outside `pnpm install`). The server's tests reach it through
// apps/server/test/postgres-setup.ts (vitest globalSetup); PG_TEST_URL skips all this (e.g. a CI service container).
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './processes.mjs';

export const postgresInstallHint =
  'PostgreSQL not found (no /usr/lib/postgresql/*/bin/initdb). Install it: `sudo apt-get install -y postgresql` ' +
  '(Debian/Ubuntu; `node scripts/test.mjs` and `.ci/run` do this when run as root), or point PG_TEST_URL at a ' +
  'PostgreSQL server you can create databases on (postgres://user:password@host:5432/postgres), or set PG_BIN to ' +
  'the folder holding initdb and pg_ctl.';

/** The folder holding initdb/pg_ctl: PG_BIN, else the newest /usr/lib/postgresql/<version>/bin. Undefined if none. */
export function findPostgresBin(env = process.env) {
  if (env.PG_BIN && existsSync(path.join(env.PG_BIN, 'initdb'))) return env.PG_BIN;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((name) => /^\d+(\.\d+)?$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = path.join(root, version, 'bin');
    if (existsSync(path.join(bin, 'initdb')) && existsSync(path.join(bin, 'pg_ctl'))) return bin;
  }
  return undefined;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Run a PostgreSQL binary (as the `postgres` OS user when we are root). */
function run(bin, tool, args) {
  const command = isRoot() ? 'runuser' : path.join(bin, tool);
  const fullArgs = isRoot() ? ['-u', 'postgres', '--', path.join(bin, tool), ...args] : args;
  const result = spawnSync(command, fullArgs, { encoding: 'utf8', cwd: os.tmpdir() });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
    throw new Error(
      `${tool} ${args[0] ?? ''} failed (exit ${result.status}): ${output || result.error?.message}`,
    );
  }
  return result.stdout;
}

/**
 * Start a throwaway cluster. Resolves with `{ url, port, dir, stop() }`; `url` connects as the superuser `postgres`
 * to the `postgres` database (create your own databases from it). Throws `postgresInstallHint` when the binaries
 * are missing. Tuned for tests: fsync off (nothing here must survive a machine crash), 200 connections.
 */
export async function startPostgres({ bin = findPostgresBin(), log = () => undefined } = {}) {
  if (!bin) throw new Error(postgresInstallHint);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ait-pg-'));
  const data = path.join(dir, 'data');
  if (isRoot()) {
    const ids = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim();
    const gid = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim();
    chownSync(dir, Number(ids), Number(gid));
  }
  const started = Date.now();
  try {
    run(bin, 'initdb', [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '--encoding=UTF8',
      '--no-locale',
      '--no-sync',
    ]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let lastError;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const options = [
      `-p ${port}`,
      `-k ${dir}`,
      "-c listen_addresses='127.0.0.1'",
      '-c max_connections=200',
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c shared_buffers=32MB',
    ].join(' ');
    try {
      run(bin, 'pg_ctl', [
        'start',
        '-D',
        data,
        '-w',
        '-t',
        '30',
        '-l',
        path.join(dir, 'server.log'),
        '-o',
        options,
      ]);
    } catch (error) {
      lastError = error; // most likely the port was taken meanwhile: try another
      continue;
    }
    log(`PostgreSQL ${path.basename(path.dirname(bin))} on 127.0.0.1:${port} (${Date.now() - started} ms)`);
    let stopped = false;
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      port,
      dir,
      stop() {
        if (stopped) return;
        stopped = true;
        try {
          run(bin, 'pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w', '-t', '30']);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}
