import { describe, expect, it } from 'vitest';
import { parseArgs } from '../args';
import { percentile, summarize } from '../stats';

describe('latency percentiles', () => {
  it('uses the nearest rank, so p99 of 100 samples is the 99th smallest, not an average', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile(samples, 100)).toBe(100);
  });

  it('summarizes unsorted samples and an empty run without NaN', () => {
    expect(summarize([30, 10, 20])).toMatchObject({ count: 3, p50Ms: 20, maxMs: 30, meanMs: 20 });
    expect(summarize([])).toMatchObject({ count: 0, p99Ms: 0, meanMs: 0 });
  });
});

describe('bench flags', () => {
  it('accepts `pnpm bench -- --quick --only storm` (pnpm passes the bare --)', () => {
    const options = parseArgs(['--', '--quick', '--only', 'storm']);
    expect(options).toMatchObject({ quick: true, only: 'storm', orders: 200 });
  });

  it('takes --only=bundle and numeric overrides', () => {
    expect(parseArgs(['--only=bundle', '--concurrency', '16', '--orders=500'])).toMatchObject({
      only: 'bundle',
      concurrency: 16,
      orders: 500,
    });
  });

  it('refuses an unknown phase, a bad number and an unknown flag instead of running something else', () => {
    expect(() => parseArgs(['--only', 'everything'])).toThrow(/--only must be one of/);
    expect(() => parseArgs(['--concurrency', '0'])).toThrow(/--concurrency/);
    expect(() => parseArgs(['--quik'])).toThrow(/unknown argument/);
  });
});
