import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../lib/processes.mjs';
import type { ChaosResult } from '../chaos';
import { groupsBetween, type TargetKind, type TargetResult } from '../fulfill';
import type { LedgerReport } from '../ledger-check';
import { type LoadResult, percentile, pooled } from '../load';
import { type BenchResults, correctness, exitCode, markdown, targets, violations } from '../report';
import type { StormResult } from '../storm';

const ledger = (over: Partial<LedgerReport> = {}): LedgerReport => ({
  grantedOrders: 10,
  grantEffects: 10,
  doubleGrants: 0,
  lostGrants: 0,
  paidByState: { GRANTED: 10 },
  walletMismatches: 0,
  subscriptionDateMismatches: 0,
  details: [],
  ...over,
});
const load = (rps: number, p99Ms = 5): LoadResult => ({
  requests: 100,
  failed: 0,
  elapsedMs: 1,
  rps,
  p50Ms: 1,
  p99Ms,
  failures: [],
  latencies: [],
});
const target = (
  kind: TargetKind,
  concurrency: number,
  rps: number,
  over: Partial<TargetResult> = {},
): TargetResult => ({
  kind,
  concurrency,
  load: load(rps),
  serial: load(rps),
  cpuMsPerRequest: kind === 'baseline' ? 0.4 : 1,
  rssPeakBytes: null,
  groups: null,
  ...(kind === 'baseline' ? {} : { ledger: ledger(), balanceOk: true }),
  ...over,
});
const storm = (over: Partial<StormResult> = {}): StormResult => ({
  ...{ orders: 10, calls: 80, effects: 10, granted: 10, alreadyGranted: 70, other: 0, examples: [] },
  ...{ ordersGrantedTwice: 0, balanceOk: true, killedInsideGroup: true, ledger: ledger(), ...over },
});
const chaos = (over: Partial<ChaosResult> = {}): ChaosResult => ({
  ...{
    purchases: 10,
    paidOrders: 10,
    kills: 2,
    killsInsideGroup: 1,
    answeredNotDurable: 0,
    answers: { GRANTED: 10 },
  },
  ...{
    pendingAfterStorm: 0,
    afterStormByState: {},
    recoveryCalls: 10,
    ordersAnsweredGrantedTwice: 0,
    ledger: ledger(),
    ...over,
  },
});
const results = (over: Partial<BenchResults> = {}): BenchResults => ({
  ...{
    startedAt: '2026-12-03T00:00:00.000Z',
    elapsedMs: 1000,
    quick: true,
    only: null,
    loadAverage: [0, 0, 0],
  },
  ...{ synchronous: 'FULL', options: { orders: 100, warmup: 10, serial: 10, users: 5 }, errors: [] },
  fulfill: [
    target('baseline', 8, 2000),
    target('inproc', 8, 1100),
    target('baseline', 32, 2000),
    target('inproc', 32, 1000),
    target('mtls', 8, 700),
  ],
  storm: storm(),
  chaos: chaos(),
  ...over,
});

describe('the correctness checks (they decide the exit code)', () => {
  it('pass a clean run whatever its performance', () => {
    const slow = results({
      fulfill: [target('baseline', 8, 2000), target('inproc', 8, 10, { load: load(10, 900) })],
    });
    expect(violations(slow)).toEqual([]);
    expect(targets(slow).every((t) => t.met)).toBe(false);
  });

  it('count doubles, losses and wallet mismatches from every phase, and what only the answers show', () => {
    const bad = results({
      fulfill: [target('inproc', 8, 1000, { balanceOk: false })],
      storm: storm({ effects: 11, ordersGrantedTwice: 1 }),
      chaos: chaos({
        answeredNotDurable: 2,
        ordersAnsweredGrantedTwice: 1,
        ledger: ledger({ lostGrants: 1, walletMismatches: 1 }),
      }),
    });
    expect(correctness(bad)).toEqual({
      'double grants': 3,
      'lost grants': 3,
      'wallet ≠ ledger': 2,
      'subscription dates not derived': 0,
    });
    expect(violations(bad)).toEqual(['3 double grants', '3 lost grants', '2 wallet ≠ ledger']);
    expect(markdown(bad)).toContain('| double grants | **3** |');
  });
});

describe('the exit code', () => {
  const slow = { fulfill: [target('baseline', 8, 2000), target('inproc', 8, 10, { load: load(10, 900) })] };
  const doubled = { storm: storm({ effects: 11 }) };
  const errors = ['chaos: toss-mock did not start'];

  it('is 0 for a run whose every target is missed: performance never fails it', () => {
    expect(targets(results(slow)).filter((t) => !t.met)).not.toEqual([]);
    expect(exitCode(results(slow))).toBe(0);
  });

  it('is 1 when a correctness check failed, even if a phase also could not run', () => {
    expect(exitCode(results({ ...slow, ...doubled }))).toBe(1);
    expect(exitCode(results({ ...doubled, errors }))).toBe(1);
  });

  it('is 2 when a phase could not run and every check that ran held', () => {
    expect(exitCode(results({ errors }))).toBe(2);
  });

  it('is 2 for an argument the bench does not take, before anything starts', () => {
    const bench = path.join(repoRoot, 'scripts/bench/index.ts');
    const run = spawnSync(process.execPath, ['--import', 'tsx', bench, '--', '--only', 'everything'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    expect(run.stderr).toContain('bad argument "--only everything"');
    expect(run.status).toBe(2);
  });

  it('is 0 for --help, which names every flag and starts nothing', () => {
    const bench = path.join(repoRoot, 'scripts/bench/index.ts');
    const run = spawnSync(process.execPath, ['--import', 'tsx', bench, '--', '--help'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    for (const flag of ['--quick', '--only', '--orders', '--profile', '--keep-temp'])
      expect(run.stdout).toContain(flag);
    expect(run.stderr).not.toContain('bench: fulfill');
  });
});

describe('the targets of issue 24, judged side by side', () => {
  it('compare each target with the baseline at its own concurrency', () => {
    const verdicts = Object.fromEntries(targets(results()).map((t) => [t.target, [t.value, t.met]]));
    expect(verdicts).toEqual({
      'server, partner API in-process, C=8: ≥ 0.5× baseline req/s': [0.55, true],
      'same, p99 < 20 ms': [5, true],
      'server, partner API in-process, C=32: ≥ 0.55× baseline req/s': [0.5, false],
      'server, toss-mock over mTLS, C=8: ≥ 0.4× baseline req/s': [0.35, false],
      'partner in-process, C=8: CPU per request ≥ 0.33× baseline': [0.4, true],
    });
  });

  it('compare a server target with the baseline timed in turn with it', () => {
    const run = results({
      fulfill: [
        target('baseline', 8, 2000, { pairedWith: 'inproc' }),
        target('inproc', 8, 1100),
        target('baseline', 8, 1000, { pairedWith: 'mtls', cpuMsPerRequest: 0.5 }),
        target('mtls', 8, 700),
      ],
    });
    const verdicts = Object.fromEntries(targets(run).map((t) => [t.target, t.value]));
    expect(verdicts['server, partner API in-process, C=8: ≥ 0.5× baseline req/s']).toBe(0.55);
    expect(verdicts['server, toss-mock over mTLS, C=8: ≥ 0.4× baseline req/s']).toBe(0.7);
    expect(verdicts['partner in-process, C=8: CPU per request ≥ 0.33× baseline']).toBe(0.4);
    const rows = markdown(run)
      .split('\n')
      .filter((line) => line.startsWith('| server, toss-mock over mTLS | 8 |'));
    expect(rows[0]).toMatch(/\| 0\.7× \| 0\.5× \|$/);
  });

  it('never call a missed target met by rounding its ratio', () => {
    const near = results({ fulfill: [target('baseline', 8, 1000), target('mtls', 8, 399)] });
    const verdict = targets(near).find((t) => t.target.startsWith('server, toss-mock'));
    expect(verdict).toMatchObject({ value: 0.39, met: false });
  });

  it('leave out what the run did not measure', () => {
    expect(targets(results({ fulfill: [] }))).toEqual([]);
  });
});

describe('figures', () => {
  it('passes timed in turn are pooled: requests and times added, latencies merged for the percentiles', () => {
    const pass = (ms: number[], elapsedMs: number, cpuMs: number) => ({
      load: {
        requests: ms.length,
        failed: 0,
        elapsedMs,
        rps: 0,
        p50Ms: 0,
        p99Ms: 0,
        failures: [],
        latencies: ms,
      },
      cpuMs,
    });
    const fast = Array.from({ length: 99 }, () => 1);
    const both = pooled([pass(fast, 1_000, 300), pass([50], 1_000, 100)]);
    expect(both.load.requests).toBe(100);
    expect(both.load.rps).toBe(50); // 100 requests over 2 s, not the mean of two rates
    expect([both.load.p50Ms, both.load.p99Ms]).toEqual([1, 1]);
    expect(pooled([pass(fast.slice(0, 98), 1_000, 0), pass([50, 60], 1_000, 0)]).load.p99Ms).toBe(50);
    expect(both.cpuMsPerRequest).toBe(4);
    expect(
      pooled([pass(fast, 1_000, 300), { ...pass([50], 1_000, 0), cpuMs: null }]).cpuMsPerRequest,
    ).toBeNull();
  });

  it('percentiles use the nearest rank: p99 of 1..100 is 99, not an average', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(samples, 50), percentile(samples, 99), percentile([], 99)]).toEqual([50, 99, 0]);
  });

  it('group sizes are the histogram difference over the timed run; p99 is the first bucket holding 99%', () => {
    const before = {
      count: 10,
      sum: 10,
      buckets: [
        [1, 10],
        [4, 10],
        [16, 10],
      ] as [number, number][],
    };
    const after = {
      count: 110,
      sum: 410,
      buckets: [
        [1, 10],
        [4, 100],
        [16, 110],
      ] as [number, number][],
    };
    expect(groupsBetween(before, after)).toEqual({ groups: 100, mean: 4, p99: 16 });
    expect(groupsBetween(before, before)).toBeNull();
  });
});
