/**
 * `pnpm bench [-- --quick] [--only fulfill|read|storm|chaos] [--orders N] [--profile] [--keep-temp]`: in ONE
 * run, the fulfill phase (baseline and in-process server at C=8 and C=32, the server over mTLS to toss-mock at C=8,
 * each also at C=1; statements per request), the read path against its baseline, the duplicate storm and the chaos
 * run (both SIGKILL the server, also inside an open commit group, then check the ledger). Writes
 * scripts/bench/report.md (a run with --only writes scripts/bench/.partial-run.md instead, not committed),
 * prints it, and prints a one-line JSON summary LAST. Exit code: 1 a correctness check failed, 2 a phase could not
 * run, else 0 — a missed performance target never fails the run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../lib/processes.mjs';
import { runChaos } from './chaos';
import { runPair, runTarget } from './fulfill';
import { runRead } from './read';
import { type BenchResults, exitCode, markdown, summary, violations } from './report';
import { serverSynchronous, setLogDir } from './servers';
import { countStatements } from './statements';
import { runStorm } from './storm';

const phases = ['fulfill', 'read', 'storm', 'chaos'] as const;

const usage = `pnpm bench [--quick] [--only fulfill|read|storm|chaos] [--orders N] [--profile] [--keep-temp]
  --quick       fewer orders (a smoke run; its figures are not the ones to quote)
  --only PHASE  one phase, written to scripts/bench/.partial-run.md instead of report.md
  --orders N    orders per fulfill target (default 2000, --quick 200)
  --profile     add a CPU-profiled in-process pass (a .cpuprofile; the temp dir is kept)
  --keep-temp   keep the temp dir (databases, logs)
Exit code: 1 a correctness check failed, 2 a phase could not run, else 0 (a missed target never fails the run).
Method and figures: scripts/bench/README.md`;

function parseArgs(argv: string[]) {
  const args = argv.filter((a) => a !== '--');
  const flags = {
    help: false,
    quick: false,
    profile: false,
    keepTemp: false,
    only: null as string | null,
    orders: 0,
  };
  for (let i = 0; i < args.length; i++) {
    const [name, inline] = args[i]!.split('=') as [string, string?];
    const value = name === '--only' || name === '--orders' ? (inline ?? args[++i] ?? '') : '';
    if (name === '--help' || name === '-h') flags.help = true;
    else if (name === '--quick') flags.quick = true;
    else if (name === '--profile') flags.profile = true;
    else if (name === '--keep-temp') flags.keepTemp = true;
    else if (name === '--only' && (phases as readonly string[]).includes(value)) flags.only = value;
    else if (name === '--orders' && /^[1-9]\d*$/.test(value)) flags.orders = Number(value);
    else throw new Error(`bad argument "${[name, value].join(' ').trim()}" (see scripts/bench/README.md)`);
  }
  return flags;
}

async function main(): Promise<number> {
  const flags = parseArgs(process.argv.slice(2));
  if (flags.help) {
    console.log(usage);
    return 0;
  }
  const size = (full: number, quick: number) => (flags.quick ? quick : full);
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'ait-iap-bench-'));
  const dirs = { tmpDir, certDir: path.join(tmpDir, 'certs') };
  setLogDir(path.join(tmpDir, 'logs'));
  const options = {
    orders: flags.orders || size(2000, 200),
    warmup: size(300, 50),
    serial: size(200, 30),
    users: size(50, 10),
  };
  const r: BenchResults = {
    ...{ startedAt: new Date().toISOString(), elapsedMs: 0, quick: flags.quick, only: flags.only },
    ...{ loadAverage: os.loadavg(), synchronous: serverSynchronous(), options, fulfill: [], errors: [] },
  };
  /** Run one step; a failure is reported and the next step still runs. */
  const attempt = async <T>(name: string, fn: () => Promise<T>): Promise<T | undefined> => {
    const t0 = Date.now();
    console.error(`bench: ${name}…`);
    try {
      const value = await fn();
      console.error(`bench: ${name} done in ${Math.round((Date.now() - t0) / 1000)} s`);
      return value;
    } catch (error) {
      console.error(`bench: FAILED ${name}: ${(error as Error).stack}`);
      r.errors.push(`${name}: ${(error as Error).message}`);
    }
  };
  const runs = (phase: string) => flags.only === null || flags.only === phase;
  try {
    if (runs('fulfill')) {
      const o = { ...options, ...dirs };
      for (const [kind, c] of [
        ['inproc', 8],
        ['inproc', 32],
        ['mtls', 8],
      ] as const) {
        const pair = await attempt(`fulfill: baseline and ${kind} in turn, C=${c}`, () =>
          runPair(c, o, kind),
        );
        if (pair) r.fulfill.push(...pair);
      }
      const profileDir = path.join(tmpDir, 'profile');
      if (
        flags.profile &&
        (await attempt('fulfill: profiled', () => runTarget('inproc', 8, { ...o, profileDir })))
      )
        r.profilePath = profileDir;
      r.statements = await attempt('fulfill: statements per request', () => countStatements(tmpDir));
    }
    if (runs('read')) {
      const read = { requests: size(2000, 200), warmup: size(200, 50), users: options.users, tmpDir };
      r.read = await attempt('read', () => runRead(read));
    }
    if (runs('storm')) r.storm = await attempt('storm', () => runStorm({ orders: size(50, 10), ...dirs }));
    if (runs('chaos')) {
      const chaos = { durationMs: size(12_000, 5_000), kills: size(4, 2), ...dirs };
      r.chaos = await attempt('chaos', () => runChaos(chaos));
    }
  } finally {
    if (flags.keepTemp || flags.profile) console.error(`bench: temp files kept in ${tmpDir}`);
    else rmSync(tmpDir, { recursive: true, force: true });
  }
  r.elapsedMs = Date.now() - Date.parse(r.startedAt);
  const file = path.join(repoRoot, 'scripts/bench', flags.only ? '.partial-run.md' : 'report.md');
  writeFileSync(file, markdown(r));
  // Biome lays out the tables, so a committed report stays lint-clean; unformatted, it reads the same.
  spawnSync(path.join(repoRoot, 'node_modules/.bin/biome'), ['format', '--write', file], { stdio: 'ignore' });
  console.log(`${readFileSync(file, 'utf8')}\n(written to ${path.relative(process.cwd(), file)})`);
  const failed = violations(r);
  if (failed.length) console.log(`bench: CORRECTNESS CHECK FAILED: ${failed.join(', ')}`);
  console.log(JSON.stringify(summary(r)));
  return exitCode(r);
}

process.exitCode = await main().catch((error: unknown) => {
  console.error(error);
  return 2;
});
