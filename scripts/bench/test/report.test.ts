import { describe, expect, it } from 'vitest';
import { parseArgs } from '../args';
import type { ChaosResult } from '../chaos';
import type { TargetResult } from '../fulfill';
import type { LoadResult } from '../http';
import type { LedgerReport } from '../ledger-check';
import { alignTables, type BenchResults, invariantViolations, markdown, summary } from '../report';

const cleanLedger: LedgerReport = {
  ordersInLedger: 10,
  grantedOrders: 10,
  grantEffects: 10,
  doubleGrants: 0,
  doubleGrantOrderIds: [],
  lostGrants: 0,
  lostOrderIds: [],
  paidByState: { GRANTED: 10 },
  walletMismatches: 0,
  walletDetails: [],
  subscriptionDateMismatches: 0,
  subscriptionDetails: [],
};

function chaos(overrides: Partial<ChaosResult>): ChaosResult {
  return {
    purchases: 10,
    kills: 2,
    killsInsideGroup: 1,
    answeredNotDurable: 0,
    answers: { GRANTED: 10 },
    pendingAfterStorm: 0,
    afterStormByState: { GRANTED: 10 },
    recoveryCalls: 10,
    paidOrders: 10,
    ordersAnsweredGrantedTwice: 0,
    doubleGrants: 0,
    lostGrants: 0,
    walletMismatches: 0,
    ledger: cleanLedger,
    elapsedMs: 1000,
    faults: { latencyRate: 0.2, latencyMs: 150, error5xxRate: 0.3, timeoutRate: 0.1 },
    ...overrides,
  };
}

function results(partial: Partial<BenchResults>): BenchResults {
  return {
    startedAt: '2026-01-01T00:00:00.000Z',
    elapsedMs: 1000,
    options: parseArgs(['--only', 'chaos']),
    loadAverageAtStart: [0, 0, 0],
    errors: [],
    notes: [],
    ...partial,
  };
}

describe('the summary line and the exit decision', () => {
  it('a clean chaos run violates nothing, and phases that did not run are null', () => {
    const s = summary(results({ chaos: chaos({}) }));
    expect(s).toMatchObject({
      doubleGrants: 0,
      lostGrants: 0,
      walletMismatches: 0,
      fulfillRps: null,
      bundleRatio: null,
    });
    expect(invariantViolations(s)).toEqual([]);
  });

  it('a double grant, a lost grant or a wallet mismatch in chaos makes the run fail', () => {
    const s = summary(results({ chaos: chaos({ doubleGrants: 1, lostGrants: 2, walletMismatches: 1 }) }));
    expect(invariantViolations(s)).toEqual([
      '1 double grant(s)',
      '2 lost grant(s)',
      '1 wallet/ledger mismatch(es)',
    ]);
  });

  it('a storm with more effects than orders counts as double grants even if the ledger query missed it', () => {
    const s = summary(
      results({
        storm: {
          orders: 10,
          callsPerOrder: 8,
          calls: 80,
          killedInsideGroup: true,
          effects: 11,
          grantedAnswers: 10,
          alreadyGrantedAnswers: 70,
          otherAnswers: 0,
          ordersGrantedTwice: 0,
          balanceOk: true,
          ledger: cleanLedger,
          elapsedMs: 100,
          sampleProblems: [],
        },
      }),
    );
    expect(s.doubleGrants).toBe(1);
  });
});

function load(rps: number, p99Ms: number): LoadResult {
  return {
    requests: 1000,
    ok: 1000,
    failed: 0,
    elapsedMs: (1000 / rps) * 1000,
    rps,
    latency: { count: 1000, meanMs: p99Ms / 2, p50Ms: p99Ms / 2, p95Ms: p99Ms, p99Ms, maxMs: p99Ms },
    failures: [],
  };
}

function target(label: string, rps: number, p99Ms: number, cpuMsPerRequest: number): TargetResult {
  return {
    label,
    load: load(rps, p99Ms),
    serial: load(rps, p99Ms),
    rssPeakBytes: 100e6,
    rssEndBytes: 100e6,
    cpuMsPerRequest,
    groupSizes: null,
    ledger: null,
    balanceOk: null,
  };
}

describe('the throughput target', () => {
  it('is judged by req/s and, separately, by CPU per request, so a starved baseline cannot fake a pass', () => {
    const r = results({
      fulfill: { baseline: target('baseline', 200, 250, 0.7), inproc: target('server', 100, 60, 5.6) },
    });
    const s = summary(r);
    expect(s).toMatchObject({ ratio: 0.5, cpuRatio: 0.13 });
    const text = markdown(r, s);
    expect(text).toMatch(
      /\| Fulfill throughput, partner in-process, C=8 +\| ≥ 0\.5× baseline +\| 0\.5× .*\| met +\|/,
    );
    expect(text).toMatch(/\| Same, CPU per request +\| ≥ 0\.33× baseline .*\| 0\.13× .*\| \*\*missed\*\* \|/);
  });
});

describe('the Markdown report', () => {
  it('pads table columns (Biome keeps the committed report as written) and right-aligns numbers', () => {
    const text = alignTables(
      ['| a | number |', '| --- | ---: |', '| long name | 1 |', '| b | 1234 |'].join('\n'),
    );
    expect(text.split('\n')).toEqual([
      '| a         | number |',
      '| --------- | -----: |',
      '| long name |      1 |',
      '| b         |   1234 |',
    ]);
  });

  it('says which targets were met and ends with exactly one newline', () => {
    const r = results({ chaos: chaos({ lostGrants: 1 }) });
    const text = markdown(r, summary(r));
    expect(text).toContain('| Lost grants (all phases)');
    expect(text).toMatch(/\*\*missed\*\* \|\n/);
    expect(text.endsWith('|\n') || text.endsWith('.\n')).toBe(true);
    expect(text.endsWith('\n\n')).toBe(false);
  });
});
