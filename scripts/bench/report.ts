/**
 * The bench's one output: a Markdown report (scripts/bench/report.md) and a one-line JSON summary printed last. The
 * targets of issue 24 are judged here side by side and never decide the exit code; the correctness checks do.
 */
import os from 'node:os';
import { type ChaosResult, chaosFaults, chaosServerEnv } from './chaos';
import { type TargetKind, type TargetResult, targetLabels } from './fulfill';
import type { LedgerReport } from './ledger-check';
import type { ReadResult, ReadSide } from './read';
import type { StatementsResult } from './statements';
import type { StormResult } from './storm';

export interface BenchResults {
  startedAt: string;
  elapsedMs: number;
  quick: boolean;
  only: string | null;
  loadAverage: number[];
  synchronous: string;
  options: { orders: number; warmup: number; serial: number; users: number };
  fulfill: TargetResult[];
  profilePath?: string;
  statements?: StatementsResult;
  read?: ReadResult[];
  storm?: StormResult;
  chaos?: ChaosResult;
  errors: string[];
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
/** a / b cut (not rounded) to two decimals, so a target is never shown met by rounding: 0.395 is 0.39. */
const ratio = (a: number | null | undefined, b: number | null | undefined) =>
  a != null && b ? Math.floor((a / b) * 100 + 1e-9) / 100 : null;
const n = (value: number | null | undefined, digits = 1) =>
  value == null ? '–' : String(round(value, digits));
const x = (value: number | null) => (value === null ? '–' : `${value}×`);
const list = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

/** "quiet" only if the 1-minute load average at the start was below half the cores. */
export const machineState = (load1: number, cores: number) => (load1 < cores / 2 ? 'quiet' : 'busy');

const find = (r: BenchResults, kind: TargetKind, concurrency: number) =>
  r.fulfill.find((t) => t.kind === kind && t.concurrency === concurrency);

/** The baseline a target is compared with: the one timed in turn with it (else any at its concurrency). */
export function baselineOf(r: BenchResults, t: Pick<TargetResult, 'kind' | 'concurrency'>) {
  const at = r.fulfill.filter((b) => b.kind === 'baseline' && b.concurrency === t.concurrency);
  if (t.kind === 'baseline') return at.find((b) => b === t);
  return at.find((b) => b.pairedWith === t.kind) ?? at.find((b) => b.pairedWith === undefined);
}

/** The correctness checks, summed over every phase that ran; any non-zero one fails the run. */
export function correctness(r: BenchResults) {
  const ledgers = [...r.fulfill.map((t) => t.ledger), r.storm?.ledger, r.chaos?.ledger].filter((l) => l);
  const sum = (pick: (l: LedgerReport) => number) => ledgers.reduce((total, l) => total + pick(l!), 0);
  const badBalances = [...r.fulfill.map((t) => t.balanceOk), r.storm?.balanceOk].filter((ok) => ok === false);
  const storm = r.storm ? r.storm.ordersGrantedTwice + Math.abs(r.storm.effects - r.storm.orders) : 0;
  return {
    'double grants': sum((l) => l.doubleGrants) + storm + (r.chaos?.ordersAnsweredGrantedTwice ?? 0),
    'lost grants': sum((l) => l.lostGrants) + (r.chaos?.answeredNotDurable ?? 0),
    'wallet ≠ ledger': sum((l) => l.walletMismatches) + badBalances.length,
    'subscription dates not derived': sum((l) => l.subscriptionDateMismatches),
  };
}

export const violations = (r: BenchResults) =>
  Object.entries(correctness(r))
    .filter(([, count]) => count > 0)
    .map(([name, count]) => `${count} ${name}`);

/** 1 when a correctness check failed, 2 when a phase could not run, else 0: a missed target never fails the run. */
export const exitCode = (r: BenchResults) => (violations(r).length ? 1 : r.errors.length ? 2 : 0);

/** The targets this run measured, judged on its figures. */
export function targets(r: BenchResults) {
  const out: { target: string; value: number; shown: string; met: boolean }[] = [];
  const add = (target: string, value: number | null, met: (v: number) => boolean, shown = x(value)) => {
    if (value !== null) out.push({ target, value, shown, met: met(value) });
  };
  const in8 = find(r, 'inproc', 8);
  const base8 = baselineOf(r, { kind: 'inproc', concurrency: 8 });
  const vs = (kind: TargetKind, c: number, goal: number) => {
    const [t, base] = [find(r, kind, c), baselineOf(r, { kind, concurrency: c })];
    const value = ratio(t?.load.rps, base?.load.rps);
    const shown = `${value}× (${n(t?.load.rps, 0)} vs ${n(base?.load.rps, 0)} req/s)`;
    add(`${targetLabels[kind]}, C=${c}: ≥ ${goal}× baseline req/s`, value, (v) => v >= goal, shown);
  };
  vs('inproc', 8, 0.5);
  add('same, p99 < 20 ms', in8 ? round(in8.load.p99Ms, 1) : null, (v) => v < 20, `${n(in8?.load.p99Ms)} ms`);
  vs('inproc', 32, 0.55);
  vs('mtls', 8, 0.4);
  const cpu = ratio(base8?.cpuMsPerRequest, in8?.cpuMsPerRequest);
  const cpuShown = `${cpu}× (${n(in8?.cpuMsPerRequest, 2)} vs ${n(base8?.cpuMsPerRequest, 2)} ms/req)`;
  add('partner in-process, C=8: CPU per request ≥ 0.33× baseline', cpu, (v) => v >= 0.33, cpuShown);
  for (const e of r.read ?? []) {
    add(`${e.endpoint}: ≥ 0.6× bare req/s`, ratio(e.server.rps, e.bare.rps), (v) => v >= 0.6);
    const cpuRatio = ratio(e.bare.cpuMsPerRequest, e.server.cpuMsPerRequest);
    add(`${e.endpoint}: CPU per request ≥ 0.6× bare`, cpuRatio, (v) => v >= 0.6);
  }
  return out;
}

function fulfillSection(r: BenchResults): string[] {
  const o = r.options;
  const lines = [
    `## Fulfill: ${o.orders} distinct paid orders per target`,
    '',
    `A fresh process and SQLite file per target (synchronous=${r.synchronous} on both sides), ${o.warmup} warm-up ` +
      `requests first; C=1: ${o.serial} more orders one at a time. Each server target runs beside a baseline of ` +
      'its own (both started), timed in turn (baseline, server, server, baseline; half the orders a pass, pooled). ' +
      'Ratios: against that baseline, the row above.',
    '',
    '| target | C | req/s | p50 ms | p99 ms | C=1 p50 / p99 ms | CPU ms/req | writes per COMMIT, mean / p99 | peak RSS | vs baseline, req/s | vs baseline, CPU |',
    '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |',
  ];
  for (const t of r.fulfill) {
    const base = baselineOf(r, t);
    const [l, g] = [t.load, t.groups];
    const failed = l.failed ? ` (${l.failed} failed)` : '';
    const groups = g ? `${n(g.mean)} / ≤ ${g.p99}` : '–';
    const rss = t.rssPeakBytes ? `${Math.round(t.rssPeakBytes / 2 ** 20)} MiB` : '–';
    const vsCpu = x(ratio(base?.cpuMsPerRequest, t.cpuMsPerRequest));
    lines.push(
      `| ${targetLabels[t.kind]}${t.pairedWith === 'mtls' ? ' (timed with the mTLS server)' : ''} | ${t.concurrency} | ${n(l.rps, 0)}${failed} | ${n(l.p50Ms)} | ${n(l.p99Ms)} | ${n(t.serial.p50Ms)} / ${n(t.serial.p99Ms)} | ${n(t.cpuMsPerRequest, 2)} | ${groups} | ${rss} | ${x(ratio(l.rps, base?.load.rps))} | ${vsCpu} |`,
    );
  }
  lines.push('');
  for (const t of r.fulfill) {
    if (!t.ledger) continue;
    const { grantedOrders, grantEffects, doubleGrants, lostGrants } = t.ledger;
    const failures = t.load.failures.length ? `; failures: ${t.load.failures.join('; ')}` : '';
    lines.push(
      `- ${targetLabels[t.kind]}, C=${t.concurrency}: ${grantedOrders} orders granted, ${grantEffects} grant effects, ` +
        `${doubleGrants} double, ${lostGrants} lost, balances ${t.balanceOk ? 'match' : '**do not match**'}${failures}`,
    );
  }
  if (r.profilePath)
    lines.push(
      `- V8 CPU profile of a separate in-process pass at C=8 (open in Chrome DevTools): \`${r.profilePath}\``,
    );
  return [...lines, ''];
}

function statementsSection(s: StatementsResult): string[] {
  const line = (label: string, c: StatementsResult['newOrder']) =>
    `| ${label} | ${c.executed} | ${c.prepared} |`;
  return [
    '## Statements per request (measured)',
    '',
    'For one request of each kind after an identical warm-up one, BEGIN and COMMIT included; "prepared": compiled.',
    '',
    '| request | statements | prepared |',
    '| --- | --: | --: |',
    line('iap.fulfill, new order', s.newOrder),
    line('iap.fulfill, repeated call (ALREADY_GRANTED)', s.repeatedCall),
    line('me.inventory', s.inventory),
    line('catalog.list', s.catalogList),
    '',
    `- new order, in order: ${s.newOrder.sql.map((q) => `\`${q.split(' ').slice(0, 3).join(' ')}\``).join(', ')}`,
    '',
  ];
}

function readSection(read: ReadResult[]): string[] {
  const line = (e: ReadResult, name: string, s: ReadSide, vs: string) =>
    `| ${e.endpoint} | ${name} | ${n(s.rps, 0)}${s.failed ? ` (${s.failed} failed)` : ''} | ${n(s.load.p50Ms)} | ${n(s.load.p99Ms)} | ${n(s.cpuMsPerRequest, 3)} | ${vs} |`;
  return [
    '## Read path: the server against the bare handler on the same database',
    '',
    'Timed bare, server, server, bare: req/s and CPU over both passes, latency from the later one.',
    '',
    '| endpoint | side | req/s | p50 ms | p99 ms | CPU ms/req | vs bare, req/s | vs bare, CPU | same answer |',
    '| --- | --- | --: | --: | --: | --: | --: | --: | --- |',
    ...read.flatMap((e) => [
      line(e, 'bare', e.bare, '1× | 1× | '),
      line(
        e,
        'server',
        e.server,
        `${x(ratio(e.server.rps, e.bare.rps))} | ${x(ratio(e.bare.cpuMsPerRequest, e.server.cpuMsPerRequest))} | ${e.sameAnswer ? 'yes' : '**no**'}`,
      ),
    ]),
    '',
  ];
}

function stormSection(s: StormResult): string[] {
  const hook = s.killedInsideGroup ? 'yes' : '**the hook did not fire** (killed plainly)';
  return [
    `## Duplicate storm: ${s.calls / s.orders} concurrent calls for each of ${s.orders} orders (toss-mock)`,
    '',
    `| calls | grant effects (expected ${s.orders}) | GRANTED | ALREADY_GRANTED | other | orders answered GRANTED twice | balances |`,
    '| --: | --: | --: | --: | --: | --: | --- |',
    `| ${s.calls} | ${s.effects} | ${s.granted} | ${s.alreadyGranted} | ${s.other} | ${s.ordersGrantedTwice} | ${s.balanceOk ? 'match' : '**mismatch**'} |`,
    '',
    `- SIGKILLed inside an open commit group mid-storm, restarted, that order's calls sent again: ${hook}`,
    ...(s.examples.length ? [`- other answers, e.g.: ${s.examples.join('; ')}`] : []),
    '',
  ];
}

function chaosSection(c: ChaosResult): string[] {
  const f = chaosFaults;
  const env = Object.entries(chaosServerEnv).map(([k, v]) => `${k}=${v}`);
  const l = c.ledger;
  return [
    `## Chaos: purchases while the server is SIGKILLed ${c.kills}× and toss-mock misbehaves`,
    '',
    `Faults on every partner call: latency ${f.latencyMs} ms at ${f.latencyRate * 100}%, 5xx at ${f.error5xxRate * 100}%, ` +
      `held open at ${f.timeoutRate * 100}%; the server's Toss client: ${env.join(', ')}. Then faults off: every ` +
      'pending order retried until granted, then every order once more.',
    '',
    '| purchases (paid) | kills (inside a commit group) | answered GRANTED, not durable | pending after storm | recovery calls | double | lost | wallet ≠ ledger |',
    '| --: | --: | --: | --: | --: | --: | --: | --: |',
    `| ${c.purchases} (${c.paidOrders}) | ${c.kills} (${c.killsInsideGroup}) | ${c.answeredNotDurable} | ${c.pendingAfterStorm} | ${c.recoveryCalls} | ${l.doubleGrants + c.ordersAnsweredGrantedTwice} | ${l.lostGrants} | ${l.walletMismatches} |`,
    '',
    `- answers during the storm: ${list(c.answers)}`,
    `- paid orders by ledger state before recovery: ${list(c.afterStormByState)} (NOT_RECORDED: never bound; Toss ` +
      'still lists it as pending, so the app recovers it)',
    ...(l.details.length ? [`- problems: ${l.details.join('; ')}`] : []),
    '',
  ];
}

export function markdown(r: BenchResults): string {
  const cores = os.cpus();
  const machine = machineState(r.loadAverage[0] ?? 0, cores.length);
  const run = `${r.quick ? 'quick' : 'full'}${r.only ? ` (--only ${r.only})` : ''} run`;
  const load = r.loadAverage.map((v) => round(v)).join(' / ');
  const checks = Object.entries(correctness(r)).map(
    ([name, count]) => `| ${name} | ${count ? `**${count}**` : 0} |`,
  );
  const checked = r.fulfill.length > 0 || r.storm || r.chaos;
  const correctnessSection = [
    '## Correctness (any non-zero fails the run)',
    '',
    '| check | all phases |',
    '| --- | --: |',
  ];
  const busy =
    '> Measured on a loaded machine: req/s, ratios and latencies are noisy (CPU per request is steadier). ' +
    'Quote figures only from a run on a quiet machine.';
  return [
    '# `pnpm bench` report',
    '',
    `${r.startedAt} · ${run} · ${cores.length} × ${cores[0]?.model ?? 'CPU'} · Node ${process.version} · ` +
      `machine **${machine}** (load average ${load} at the start) · ${Math.round(r.elapsedMs / 1000)} s`,
    '',
    ...(machine === 'busy' ? [busy, ''] : []),
    '## Targets (reported, never asserted)',
    '',
    '| target | this run | |',
    '| --- | --- | --- |',
    ...targets(r).map((t) => `| ${t.target} | ${t.shown} | ${t.met ? 'met' : '**missed**'} |`),
    '',
    ...(checked ? [...correctnessSection, ...checks, ''] : []),
    ...(r.fulfill.length ? fulfillSection(r) : []),
    ...(r.statements ? statementsSection(r.statements) : []),
    ...(r.read ? readSection(r.read) : []),
    ...(r.storm ? stormSection(r.storm) : []),
    ...(r.chaos ? chaosSection(r.chaos) : []),
    ...(r.errors.length ? ['## Errors', '', ...r.errors.map((e) => `- ${e.replace(/\n/g, ' ')}`), ''] : []),
  ].join('\n');
}

/** The one-line JSON printed last: each target's figure, statements per new order, the checks, errors. */
export function summary(r: BenchResults) {
  const figures = Object.fromEntries(targets(r).map((t) => [t.target, t.value]));
  return {
    ...figures,
    statements: r.statements?.newOrder.executed ?? null,
    ...correctness(r),
    errors: r.errors.length,
  };
}
