/**
 * `pnpm bench [-- --quick] [--only fulfill|read|storm|chaos|bundle] [--concurrency N] [--orders N] [--profile]
 * [--keep-temp]`.
 * Defaults are sized for a 2-core machine: the full run takes a few minutes at most.
 */
export const phases = ['fulfill', 'read', 'storm', 'chaos', 'bundle'] as const;
export type Phase = (typeof phases)[number];

export interface BenchOptions {
  quick: boolean;
  only: Phase | null;
  /** Requests in flight at once (fulfill), and concurrent calls per order (storm). */
  concurrency: number;
  /** Timed fulfillments per target. */
  orders: number;
  warmup: number;
  /** Orders fulfilled one at a time after the timed run (service time without queueing). */
  serial: number;
  /** Read phase: timed requests per endpoint and side (me.inventory, catalog.list; server and bare handler). */
  readRequests: number;
  /** Users the orders are spread over. */
  users: number;
  stormOrders: number;
  chaosDurationMs: number;
  chaosKills: number;
  chaosWorkers: number;
  keepTemp: boolean;
  /** CPU-profile the in-process server during the fulfill phase and add its hot spots to the report. */
  profile: boolean;
}

export function parseArgs(argv: readonly string[]): BenchOptions {
  const args = argv.filter((a) => a !== '--');
  const value = (name: string): string | undefined => {
    const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
    if (i < 0) return undefined;
    const arg = args[i]!;
    return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[i + 1];
  };
  const known = new Set(['--quick', '--only', '--concurrency', '--orders', '--keep-temp', '--profile']);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const name = arg.split('=')[0]!;
    if (!known.has(name)) throw new Error(`unknown argument "${arg}" (see scripts/bench/README.md)`);
    if (!arg.includes('=') && ['--only', '--concurrency', '--orders'].includes(name)) i++;
  }
  const quick = args.includes('--quick');
  const onlyRaw = value('--only');
  if (onlyRaw !== undefined && !(phases as readonly string[]).includes(onlyRaw)) {
    throw new Error(`--only must be one of ${phases.join(', ')} (got "${onlyRaw}")`);
  }
  const positive = (name: string, fallback: number) => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number ≥ 1 (got "${raw}")`);
    return n;
  };
  return {
    quick,
    only: (onlyRaw as Phase | undefined) ?? null,
    concurrency: positive('--concurrency', 8),
    orders: positive('--orders', quick ? 200 : 2000),
    warmup: quick ? 50 : 300,
    serial: quick ? 30 : 200,
    readRequests: quick ? 200 : 2000,
    users: quick ? 10 : 50,
    stormOrders: quick ? 10 : 50,
    chaosDurationMs: quick ? 5_000 : 12_000,
    chaosKills: quick ? 2 : 4,
    chaosWorkers: 4,
    keepTemp: args.includes('--keep-temp'),
    profile: args.includes('--profile'),
  };
}
