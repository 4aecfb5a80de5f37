/**
 * `pnpm bench [-- --quick] [--only fulfill|read|storm|chaos] [--orders N] [--profile] [--keep-temp]`: in ONE
 * run, the fulfill phase (baseline and in-process server at C=8 and C=32, the server over mTLS to toss-mock at C=8,
 * each also at C=1; statements per request), the read path against its baseline, the duplicate storm and the chaos
 * run (both SIGKILL the server, also inside an open commit group, then check the ledger). Writes
 * scripts/bench/report.md (a run with --only writes scripts/bench/.partial-run.md instead, not committed),
 * prints it, and prints a one-line JSON summary LAST. Exit code: 1 a correctness check failed, 2 a phase could not
 * run, else 0 — a missed performance target never fails the run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../lib/processes.mjs';
import { runChaos } from './chaos';
import { type FulfillOptions, runTarget, type TargetKind } from './fulfill';
import { runRead } from './read';
import { type BenchResults, markdown, summary, violations } from './report';
import { serverSynchronous, setLogDir } from './servers';
import { countStatements } from './statements';
import { runStorm } from './storm';

const phases = ['fulfill', 'read', 'storm', 'chaos'] as const;

function parseArgs(argv: string[]) {
  const args = argv.filter((a) => a !== '--');
  const flags = { quick: false, profile: false, keepTemp: false, only: null as string | null, orders: 0 };
  for (let i = 0; i < args.length; i++) {
    const [name, inline] = args[i]!.split('=') as [string, string?];
    const value = name === '--only' || name === '--orders' ? (inline ?? args[++i] ?? '') : '';
    if (name === '--quick') flags.quick = true;
    else if (name === '--profile') flags.profile = true;
    else if (name === '--keep-temp') flags.keepTemp = true;
    else if (name === '--only' && (phases as readonly string[]).includes(value)) flags.only = value;
    else if (name === '--orders' && /^[1-9]\d*$/.test(value)) flags.orders = Number(value);
    else throw new Error(`bad argument "${args[i]}" (see scripts/bench/README.md)`);
  }
  return flags;
}

async function main(): Promise<number> {
  const flags = parseArgs(process.argv.slice(2));
  const q = flags.quick;
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'ait-iap-bench-'));
  setLogDir(path.join(tmpDir, 'logs'));
  const options = {
    orders: flags.orders || (q ? 200 : 2000),
    warmup: q ? 50 : 300,
    serial: q ? 30 : 200,
    users: q ? 10 : 50,
  };
  const r: BenchResults = {
    ...{
      startedAt: new Date().toISOString(),
      elapsedMs: 0,
      quick: q,
      only: flags.only,
      loadAverage: os.loadavg(),
    },
    ...{ synchronous: serverSynchronous(), options, fulfill: [], errors: [] },
  };
  const attempt = async <T>(name: string, fn: () => Promise<T>): Promise<T | undefined> => {
    const t0 = Date.now();
    console.error(`bench: ${name}…`);
    try {
      const value = await fn();
      console.error(`bench: ${name} done in ${Math.round((Date.now() - t0) / 100) / 10} s`);
      return value;
    } catch (error) {
      console.error(`bench: FAILED ${name}: ${(error as Error).stack}`);
      r.errors.push(`${name}: ${(error as Error).message}`);
    }
  };
  const runs = (phase: string) => flags.only === null || flags.only === phase;
  const certDir = path.join(tmpDir, 'certs');
  try {
    if (runs('fulfill')) {
      const o: FulfillOptions = { ...options, tmpDir, certDir };
      const plan: [TargetKind, number][] = [
        ['baseline', 8],
        ['inproc', 8],
        ['baseline', 32],
        ['inproc', 32],
        ['mtls', 8],
      ];
      for (const [kind, c] of plan) {
        const result = await attempt(`fulfill: ${kind}, C=${c}`, () => runTarget(kind, c, o));
        if (result) r.fulfill.push(result);
      }
      if (flags.profile) {
        const profileDir = path.join(tmpDir, 'profile');
        flags.keepTemp = true;
        if (
          await attempt('fulfill: in-process, C=8, CPU-profiled', () =>
            runTarget('inproc', 8, { ...o, profileDir }),
          )
        )
          r.profilePath = profileDir;
      }
      r.statements = await attempt('fulfill: statements per request', () => countStatements(tmpDir));
    }
    if (runs('read')) {
      const read = {
        requests: q ? 200 : 2000,
        warmup: q ? 50 : 200,
        concurrency: 8,
        users: options.users,
        tmpDir,
      };
      r.read = await attempt('read: me.inventory and catalog.list against the bare handler', () =>
        runRead(read),
      );
    }
    if (runs('storm')) {
      const storm = { orders: q ? 10 : 50, callsPerOrder: 8, users: options.users, tmpDir, certDir };
      r.storm = await attempt('storm', () => runStorm(storm));
    }
    if (runs('chaos')) {
      const chaos = {
        durationMs: q ? 5_000 : 12_000,
        kills: q ? 2 : 4,
        workers: 4,
        users: 10,
        tmpDir,
        certDir,
      };
      r.chaos = await attempt('chaos', () => runChaos(chaos));
    }
  } finally {
    if (flags.keepTemp) console.error(`bench: temp files kept in ${tmpDir}`);
    else rmSync(tmpDir, { recursive: true, force: true });
  }
  r.elapsedMs = Date.now() - Date.parse(r.startedAt);
  const report = markdown(r);
  const file = path.join(repoRoot, 'scripts/bench', flags.only ? '.partial-run.md' : 'report.md');
  writeFileSync(file, report);
  try {
    execFileSync(path.join(repoRoot, 'node_modules/.bin/biome'), ['format', '--write', file], {
      stdio: 'ignore',
    });
  } catch {} // the report reads the same unformatted; formatting only keeps a committed one lint-clean
  console.log(report);
  console.log(`(written to ${path.relative(process.cwd(), file)})`);
  const failed = violations(r);
  if (failed.length) console.log(`bench: CORRECTNESS CHECK FAILED: ${failed.join(', ')}`);
  console.log(JSON.stringify(summary(r)));
  return failed.length ? 1 : r.errors.length ? 2 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 2;
  },
);
