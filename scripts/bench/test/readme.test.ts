import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../lib/processes.mjs';
import { blockIn, readmeBlock, summaryFromReport, verdicts } from '../readme';
import { machineState, type Summary } from '../report';

const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');

describe('the READMEs quote the committed run', () => {
  it('last-run.md carries its summary, and both READMEs hold exactly the block rendered from it', () => {
    const summary = summaryFromReport(read('scripts/bench/last-run.md'));
    expect(summary).not.toBeNull();
    expect(summary?.mode).toBe('full');
    const block = readmeBlock(summary as Summary);
    expect(blockIn(read('README.md'))).toBe(block);
    expect(blockIn(read('scripts/bench/README.md'))).toBe(block);
  });

  it('the committed run says "quiet" only if its load average at the start was', () => {
    const summary = summaryFromReport(read('scripts/bench/last-run.md')) as Summary;
    expect(summary.machine).toBe(machineState(summary.loadAverageAtStart, summary.cores));
    const report = read('scripts/bench/last-run.md');
    // The report's header and the README block both name the state the load average gave, and only that one.
    const other = summary.machine === 'quiet' ? 'busy' : 'quiet';
    for (const text of [report, read('README.md')]) {
      expect(text).toContain(`machine **${summary.machine}**`);
      expect(text).not.toContain(`machine **${other}**`);
    }
    if (summary.machine === 'busy') expect(read('README.md')).not.toMatch(/\ba quiet run\b/i);
  });
});

describe('the quiet rule and the verdicts', () => {
  it('calls a machine quiet only below half its cores of 1-minute load', () => {
    expect(machineState(0.9, 2)).toBe('quiet');
    expect(machineState(1, 2)).toBe('busy');
    expect(machineState(5.7, 2)).toBe('busy');
  });

  it('lists a missed target as missed, and skips what the run did not measure', () => {
    const v = verdicts({
      ratio: 0.62,
      cpuRatio: 0.27,
      p99Ms: 30,
      concurrency: 8,
      mockRatio: null,
      inventoryRatio: null,
      inventoryCpuRatio: null,
      catalogRatio: null,
      catalogCpuRatio: null,
      doubleGrants: 0,
      lostGrants: 0,
      walletMismatches: 0,
      bundleRatio: null,
    } as unknown as Summary);
    expect(v).toEqual([
      { target: 'fulfill ≥ 0.5× baseline req/s', met: true },
      { target: 'fulfill ≥ 0.33× baseline by CPU/req', met: false },
      { target: 'p99 < 20 ms at concurrency 8', met: false },
      { target: '0 double grants', met: true },
      { target: '0 lost grants', met: true },
      { target: 'wallet = ledger', met: true },
    ]);
  });
});
