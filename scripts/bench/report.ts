/**
 * The bench's output: a Markdown report (also written to scripts/bench/last-run.md for the README "Performance"
 * section) and the one-line JSON summary printed LAST. Targets are reported here, never asserted, except the
 * ledger invariants, which decide the exit code (in index.ts).
 */
import os from 'node:os';
import type { BenchOptions } from './args';
import type { BundleSize } from './bundle';
import { type ChaosResult, chaosServerEnv } from './chaos';
import type { FulfillPhaseResult, TargetResult } from './fulfill';
import { kindNames, type ProfileSummary } from './profile';
import type { ReadPhaseResult, ReadSide } from './read';
import { describeCount, type StatementsResult } from './statements';
import { round } from './stats';
import type { StormResult } from './storm';
import { serverSqliteSynchronous } from './targets';

export interface BenchResults {
  startedAt: string;
  elapsedMs: number;
  options: BenchOptions;
  loadAverageAtStart: number[];
  fulfill?: Partial<FulfillPhaseResult>;
  /** Statements SQLite executed for one new order, one repeated call, one read of each kind (measured). */
  statements?: StatementsResult;
  /** The CPU-profiled pass of the in-process server (a missed target or --profile). */
  profile?: { summary: ProfileSummary; orders: number; concurrency: number; missed: boolean };
  read?: ReadPhaseResult;
  storm?: StormResult;
  chaos?: ChaosResult;
  bundle?: { web: BundleSize; baseline: BundleSize };
  errors: string[];
  /** Extra lines (profiling notes, causes of missed targets) added to the report. */
  notes: string[];
}

export const targets = {
  fulfillRatio: 0.5,
  /** At concurrency ≥ 32 (more writes per group COMMIT). */
  fulfillRatioC32: 0.55,
  p99Ms: 20,
  cpuRatio: 0.33,
  mockRatio: 0.4,
  readRatio: 0.6,
  bundleRatio: 1.2,
} as const;

/**
 * "quiet" only when the machine was: the 1-minute load average at the start below half the cores (so at least half
 * the machine was idle); anything else is "busy", and the report says so next to its numbers.
 */
export function machineState(loadAverage1: number, cores: number): 'quiet' | 'busy' {
  return loadAverage1 < cores / 2 ? 'quiet' : 'busy';
}

const kib = (bytes: number | null | undefined) => (bytes == null ? '–' : `${round(bytes / 1024, 1)} KiB`);
const mib = (bytes: number | null | undefined) =>
  bytes == null ? '–' : `${round(bytes / 1024 / 1024, 0)} MiB`;
const ms = (value: number) => round(value, 1).toString();
const ratioOf = (a: number | null | undefined, b: number | null | undefined) =>
  a != null && b ? round(a / b, 2) : null;

export function summary(results: BenchResults) {
  const f = results.fulfill;
  const fulfillRps = f?.inproc ? round(f.inproc.load.rps, 0) : null;
  const baselineRps = f?.baseline ? round(f.baseline.load.rps, 0) : null;
  const ledgers = [f?.inproc?.ledger, f?.mock?.ledger, results.storm?.ledger].filter((l) => l != null);
  const sumOf = (pick: (l: NonNullable<(typeof ledgers)[number]>) => number) =>
    ledgers.reduce((total, l) => total + pick(l), 0);
  const phaseRan = Boolean(f?.inproc || f?.mock || results.storm || results.chaos);
  const doubleGrants = phaseRan
    ? sumOf((l) => l.doubleGrants) +
      (results.storm?.ordersGrantedTwice ?? 0) +
      (results.storm && results.storm.effects !== results.storm.orders
        ? Math.abs(results.storm.effects - results.storm.orders)
        : 0) +
      (results.chaos?.doubleGrants ?? 0)
    : null;
  const lostGrants = phaseRan ? sumOf((l) => l.lostGrants) + (results.chaos?.lostGrants ?? 0) : null;
  const walletMismatches = phaseRan
    ? sumOf((l) => l.walletMismatches) +
      (results.chaos?.walletMismatches ?? 0) +
      [f?.inproc?.balanceOk, f?.mock?.balanceOk, results.storm?.balanceOk].filter((ok) => ok === false).length
    : null;
  const subscriptionDateMismatches = phaseRan ? sumOf((l) => l.subscriptionDateMismatches) : null;
  const web = results.bundle?.web;
  const base = results.bundle?.baseline;
  const cores = os.cpus().length;
  const read = (endpoint: 'me.inventory' | 'catalog.list') =>
    results.read?.endpoints.find((e) => e.endpoint === endpoint);
  const readFigures = (endpoint: 'me.inventory' | 'catalog.list') => {
    const r = read(endpoint);
    const cpu = (side: ReadSide | undefined) =>
      side?.cpuMsPerRequest != null ? round(side.cpuMsPerRequest, 3) : null;
    return {
      rps: r ? round(r.server.rps, 0) : null,
      bareRps: r ? round(r.bare.rps, 0) : null,
      ratio: r ? ratioOf(r.server.rps, r.bare.rps) : null,
      cpuMsPerReq: cpu(r?.server),
      bareCpuMsPerReq: cpu(r?.bare),
      cpuRatio:
        r?.server.cpuMsPerRequest && r.bare.cpuMsPerRequest
          ? round(r.bare.cpuMsPerRequest / r.server.cpuMsPerRequest, 2)
          : null,
      sameAnswer: r ? r.sameAnswer : null,
    };
  };
  const inventory = readFigures('me.inventory');
  const catalog = readFigures('catalog.list');
  const st = results.statements;
  return {
    mode: results.options.quick ? 'quick' : 'full',
    startedAt: results.startedAt,
    node: process.version,
    cores,
    loadAverageAtStart: round(results.loadAverageAtStart[0] ?? 0, 2),
    machine: machineState(results.loadAverageAtStart[0] ?? 0, cores),
    sqliteSynchronous: serverSqliteSynchronous(),
    only: results.options.only,
    concurrency: results.options.concurrency,
    orders: results.options.orders,
    fulfillRps,
    baselineRps,
    ratio: fulfillRps !== null && baselineRps ? round(fulfillRps / baselineRps, 2) : null,
    p50Ms: f?.inproc ? round(f.inproc.load.latency.p50Ms, 1) : null,
    p99Ms: f?.inproc ? round(f.inproc.load.latency.p99Ms, 1) : null,
    baselineP50Ms: f?.baseline ? round(f.baseline.load.latency.p50Ms, 1) : null,
    baselineP99Ms: f?.baseline ? round(f.baseline.load.latency.p99Ms, 1) : null,
    fulfillCpuMsPerReq: f?.inproc?.cpuMsPerRequest != null ? round(f.inproc.cpuMsPerRequest, 2) : null,
    baselineCpuMsPerReq: f?.baseline?.cpuMsPerRequest != null ? round(f.baseline.cpuMsPerRequest, 2) : null,
    /** baseline CPU ms/req ÷ server CPU ms/req: the throughput ratio if each had a core to itself. */
    cpuRatio:
      f?.inproc?.cpuMsPerRequest && f.baseline?.cpuMsPerRequest
        ? round(f.baseline.cpuMsPerRequest / f.inproc.cpuMsPerRequest, 2)
        : null,
    mockRps: f?.mock ? round(f.mock.load.rps, 0) : null,
    mockRatio:
      f?.mock && f.baseline ? ratioOf(round(f.mock.load.rps, 0), round(f.baseline.load.rps, 0)) : null,
    mockP50Ms: f?.mock ? round(f.mock.load.latency.p50Ms, 1) : null,
    mockP99Ms: f?.mock ? round(f.mock.load.latency.p99Ms, 1) : null,
    mockCpuMsPerReq: f?.mock?.cpuMsPerRequest != null ? round(f.mock.cpuMsPerRequest, 2) : null,
    /** Writes per SQLite group COMMIT over the timed run (in-process partner, then toss-mock): mean, p99 bucket. */
    groupMean: f?.inproc?.groupSizes ? round(f.inproc.groupSizes.mean, 2) : null,
    groupP99: f?.inproc?.groupSizes ? f.inproc.groupSizes.p99 : null,
    mockGroupMean: f?.mock?.groupSizes ? round(f.mock.groupSizes.mean, 2) : null,
    mockGroupP99: f?.mock?.groupSizes ? f.mock.groupSizes.p99 : null,
    mockCpuRatio:
      f?.mock?.cpuMsPerRequest && f.baseline?.cpuMsPerRequest
        ? round(f.baseline.cpuMsPerRequest / f.mock.cpuMsPerRequest, 2)
        : null,
    statementsNewOrder: st ? st.newOrder.executed : null,
    statementsRepeatedCall: st ? st.repeatedCall.executed : null,
    statementsInventory: st ? st.inventory.executed : null,
    statementsCatalogList: st ? st.catalogList.executed : null,
    /** Statements compiled during the counted requests: misses of the server's prepared-statement cache. */
    statementsPrepared: st
      ? st.newOrder.prepared + st.repeatedCall.prepared + st.inventory.prepared + st.catalogList.prepared
      : null,
    inventoryRps: inventory.rps,
    inventoryBareRps: inventory.bareRps,
    inventoryRatio: inventory.ratio,
    inventoryCpuMsPerReq: inventory.cpuMsPerReq,
    inventoryBareCpuMsPerReq: inventory.bareCpuMsPerReq,
    inventoryCpuRatio: inventory.cpuRatio,
    catalogRps: catalog.rps,
    catalogBareRps: catalog.bareRps,
    catalogRatio: catalog.ratio,
    catalogCpuMsPerReq: catalog.cpuMsPerReq,
    catalogBareCpuMsPerReq: catalog.bareCpuMsPerReq,
    catalogCpuRatio: catalog.cpuRatio,
    readSameAnswers:
      inventory.sameAnswer === null && catalog.sameAnswer === null
        ? null
        : inventory.sameAnswer !== false && catalog.sameAnswer !== false,
    serverRssPeakBytes: f?.inproc?.rssPeakBytes ?? null,
    stormOrders: results.storm?.orders ?? null,
    stormCalls: results.storm?.calls ?? null,
    stormEffects: results.storm?.effects ?? null,
    chaosPurchases: results.chaos?.purchases ?? null,
    chaosPaidOrders: results.chaos?.paidOrders ?? null,
    chaosKills: results.chaos?.kills ?? null,
    chaosKillsInsideGroup: results.chaos?.killsInsideGroup ?? null,
    stormKilledInsideGroup: results.storm?.killedInsideGroup ?? null,
    doubleGrants,
    lostGrants,
    walletMismatches,
    subscriptionDateMismatches,
    webInitialJsGzipBytes: web?.initialJsGzipBytes ?? null,
    baselineJsGzipBytes: base?.initialJsGzipBytes ?? null,
    bundleRatio: web && base ? round(web.initialJsGzipBytes / base.initialJsGzipBytes, 2) : null,
    webInitialCssGzipBytes: web?.initialCssGzipBytes ?? null,
    webWithEntryLazyJsGzipBytes: web?.firstLazyLevelJsGzipBytes ?? null,
    errors: results.errors.length,
    elapsedSeconds: round(results.elapsedMs / 1000, 0),
  };
}
export type Summary = ReturnType<typeof summary>;

/** Ledger invariants violated (decides the exit code). */
export function invariantViolations(s: Summary): string[] {
  const problems: string[] = [];
  if (s.doubleGrants) problems.push(`${s.doubleGrants} double grant(s)`);
  if (s.lostGrants) problems.push(`${s.lostGrants} lost grant(s)`);
  if (s.walletMismatches) problems.push(`${s.walletMismatches} wallet/ledger mismatch(es)`);
  if (s.subscriptionDateMismatches)
    problems.push(`${s.subscriptionDateMismatches} subscription date(s) not derived from their orders`);
  return problems;
}

function targetRow(t: TargetResult | undefined, baseline: TargetResult | undefined): string {
  if (!t) return '';
  const l = t.load;
  const vs = baseline && t !== baseline ? `${round(l.rps / baseline.load.rps, 2)}×` : '1×';
  const vsCpu =
    baseline && t !== baseline
      ? t.cpuMsPerRequest && baseline.cpuMsPerRequest
        ? `${round(baseline.cpuMsPerRequest / t.cpuMsPerRequest, 2)}×`
        : '–'
      : '1×';
  const failed = l.failed > 0 ? ` (${l.failed} failed)` : '';
  const cpu = t.cpuMsPerRequest === null ? '–' : round(t.cpuMsPerRequest, 2).toString();
  const groups = t.groupSizes ? `${round(t.groupSizes.mean, 1)} / ≤ ${t.groupSizes.p99}` : '–';
  return `| ${t.label} | ${round(l.rps, 0)}${failed} | ${ms(l.latency.p50Ms)} | ${ms(l.latency.p95Ms)} | ${ms(l.latency.p99Ms)} | ${ms(t.serial.latency.p50Ms)} / ${ms(t.serial.latency.p99Ms)} | ${cpu} | ${groups} | ${mib(t.rssPeakBytes)} | ${vs} | ${vsCpu} |`;
}

const pct = (share: number) => `${round(share * 100, 1)}%`;

/** The profiled pass, in words: time by what it was spent on, JavaScript by package, SQLite's COMMIT cost. */
export function profileNotes(p: NonNullable<BenchResults['profile']>): string[] {
  const { summary: prof, orders } = p;
  const perReq = (totalMs: number) => `${round(totalMs / orders, 2)} ms/req`;
  const notes = [
    `${p.missed ? 'A fulfill target was missed, so the' : 'The'} in-process server was profiled in a separate pass ` +
      `(${orders} orders at concurrency ${p.concurrency}; V8 CPU profile of the timed requests only, ` +
      `${round(prof.totalMs / 1000, 1)} s of main-thread time = ${perReq(prof.totalMs)}: CPU plus the time the thread ` +
      'sat blocked in a synchronous call such as fsync). By what the time was spent on: ' +
      `${prof.kinds.map((k) => `${k.name} ${pct(k.share)}`).join(', ')}.`,
    `JavaScript self time by package: ${prof.packages.map((k) => `\`${k.name}\` ${pct(k.share)}`).join(', ')}. ` +
      `Hottest JavaScript functions: ${prof.functions.map((k) => `\`${k.name}\` ${pct(k.share)}`).join(', ')}.`,
  ];
  const q = prof.sqlite;
  if (q && q.commits > 0) {
    notes.push(
      `SQLite over the same window (wall clock): ${q.commits} COMMITs took ${perReq(q.commitWallMs)} ` +
        `(appending each transaction's pages to the WAL, then the fsync of synchronous=${serverSqliteSynchronous()}); ` +
        `the ${q.statements} other statements took ${perReq(q.statementWallMs)}. A COMMIT holds the event loop ` +
        'for its fsync: that counts in req/s and latency, while CPU ms/req counts only the part that is CPU.',
    );
  }
  notes.push(
    `"${kindNames.javascript}" is JavaScript's own self time; native work is counted by kind whoever called it ` +
      '(see scripts/bench/README.md "Reading the profile"). The profiled pass is slower than the measured one and is ' +
      'never a measured figure.',
  );
  return notes;
}

const check = (ok: boolean | null) => (ok === null ? '–' : ok ? 'met' : '**missed**');

export function markdown(results: BenchResults, s: Summary): string {
  const o = results.options;
  const cpu = os.cpus();
  const lines: string[] = [];
  lines.push('# `pnpm bench` — last run', '');
  lines.push(
    `${results.startedAt} · ${s.mode}${o.only ? ` (--only ${o.only})` : ''} run · ${cpu.length} × ${cpu[0]?.model ?? 'CPU'} · ` +
      `Node ${process.version} · ${os.platform()} ${os.release()} · machine **${s.machine}**: load average at start ` +
      `${results.loadAverageAtStart.map((v) => round(v, 2)).join(' / ')} on ${s.cores} cores ("quiet" means the ` +
      `1-minute figure was below half the cores) · took ${s.elapsedSeconds} s`,
    '',
  );
  const f = results.fulfill;
  if (f) {
    lines.push(
      `## Fulfillment: ${o.orders} distinct paid orders over HTTP at concurrency ${o.concurrency}`,
      '',
      `Each target is a fresh process on a fresh SQLite file; ${o.warmup} warm-up requests first (not timed). ` +
        `Latency is per request as the client sees it; "C=1" is ${o.serial} more orders one at a time (the cost of ` +
        `one fulfillment, no queueing); both the baseline and the server commit with SQLite ` +
        `synchronous=${serverSqliteSynchronous()} (the server's setting); "CPU ms/req" is the server process's user+system CPU time over the timed run ` +
        `divided by its requests (it holds steady when the machine is busy, req/s does not); RSS is the server ` +
        `process's peak during the timed run. "Writes per COMMIT" is the server's SQLite group commit over the timed ` +
        `run (from its /metrics: writeTransaction calls per group COMMIT; the p99 is a histogram bucket's upper bound); ` +
        `a fulfill of a new order is one write.`,
      '',
      '| Target | req/s | p50 ms | p95 ms | p99 ms | C=1 p50 / p99 ms | CPU ms/req | writes per COMMIT, mean / p99 | server RSS | vs baseline, req/s | vs baseline, CPU |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const t of [f.baseline, f.inproc, f.mock]) if (t) lines.push(targetRow(t, f.baseline));
    lines.push('');
    for (const t of [f.inproc, f.mock]) {
      if (!t?.ledger) continue;
      lines.push(
        `- ${t.label}: ${t.ledger.grantedOrders} orders granted, ${t.ledger.grantEffects} grant effects, ` +
          `${t.ledger.doubleGrants} double, ${t.ledger.lostGrants} lost, balances ${t.balanceOk ? 'match' : '**do not match**'}.`,
      );
      if (t.load.failures.length > 0) lines.push(`  - failures: ${t.load.failures.join('; ')}`);
    }
    if (f.baseline?.load.failures.length)
      lines.push(`- baseline failures: ${f.baseline.load.failures.join('; ')}`);
    lines.push('');
  }
  const stc = results.statements;
  if (stc) {
    lines.push(
      '## Statements per request (measured)',
      '',
      'The statements SQLite executed for one request of each kind (the real server in the bench process, the partner ' +
        'API in-process, better-sqlite3 instrumented; each after an identical warm-up request), BEGIN and COMMIT ' +
        'included. "Prepared" counts statements SQLite had to compile during the request: misses of the server\'s ' +
        'prepared-statement cache.',
      '',
      '| Request | Statements executed | Prepared |',
      '| --- | --- | ---: |',
      ...(
        [
          ['iap.fulfill, new order (granted)', stc.newOrder],
          ['iap.fulfill, repeated call (ALREADY_GRANTED)', stc.repeatedCall],
          ['me.inventory', stc.inventory],
          ['catalog.list', stc.catalogList],
        ] as const
      ).map(([label, count]) => `| ${label} | ${describeCount(count)} | ${count.prepared} |`),
      '',
      `- new order, in order: ${stc.newOrder.sql.map((q) => `\`${q.split(' ').slice(0, 4).join(' ')}…\``).join(', ')}`,
      '',
    );
  }
  const rd = results.read;
  if (rd) {
    lines.push(
      `## Read path: ${rd.requests} requests per endpoint and side at concurrency ${rd.concurrency}`,
      '',
      `The server (partner API in-process) and a bare node:http handler doing the same SELECTs on the same database ` +
        `file (session lookup by token hash, then the reads), side by side; ${rd.users} users who each own a few ` +
        'grants. Timed bare, server, server, bare (half the requests each time), so load changes weigh on both; ' +
        'req/s and CPU ms/req over both passes, latency from the second.',
      '',
      '| Endpoint | side | req/s | p50 ms | p99 ms | CPU ms/req | vs bare, req/s | vs bare, CPU | same answer |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    );
    for (const e of rd.endpoints) {
      const row = (side: ReadSide, name: string, vs: string, vsCpu: string, same: string) =>
        `| ${e.endpoint} | ${name} | ${round(side.rps, 0)}${side.failed ? ` (${side.failed} failed)` : ''} | ` +
        `${ms(side.load.latency.p50Ms)} | ${ms(side.load.latency.p99Ms)} | ` +
        `${side.cpuMsPerRequest === null ? '–' : round(side.cpuMsPerRequest, 3)} | ${vs} | ${vsCpu} | ${same} |`;
      lines.push(row(e.bare, 'bare handler', '1×', '1×', ''));
      lines.push(
        row(
          e.server,
          'server',
          `${round(e.server.rps / e.bare.rps, 2)}×`,
          e.server.cpuMsPerRequest && e.bare.cpuMsPerRequest
            ? `${round(e.bare.cpuMsPerRequest / e.server.cpuMsPerRequest, 2)}×`
            : '–',
          e.sameAnswer ? 'yes' : '**no**',
        ),
      );
    }
    lines.push('');
  }
  const st = results.storm;
  if (st) {
    lines.push(
      `## Duplicate storm: ${st.callsPerOrder} concurrent calls for each of ${st.orders} orders (toss-mock)`,
      '',
      `| Calls | Grant effects (expected ${st.orders}) | GRANTED answers | ALREADY_GRANTED | other | orders answered GRANTED twice | balances |`,
      '| ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      `| ${st.calls} | ${st.effects} | ${st.grantedAnswers} | ${st.alreadyGrantedAnswers} | ${st.otherAnswers} | ${st.ordersGrantedTwice} | ${st.balanceOk ? 'match' : '**mismatch**'} |`,
      '',
      `- mid-storm, the server was SIGKILLed inside an open commit group (the order's calls released, its COMMIT not ` +
        `run), restarted, and that order's ${st.callsPerOrder} calls sent again: ${st.killedInsideGroup ? 'done' : '**the hook did not fire** (killed plainly)'}; ` +
        'the dropped calls are not counted above.',
      '',
    );
    if (st.sampleProblems.length) lines.push(`- other answers, e.g.: ${st.sampleProblems.join('; ')}`, '');
  }
  const c = results.chaos;
  if (c) {
    const answers = Object.entries(c.answers)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    lines.push(
      `## Chaos: purchases while the server is SIGKILLed ${c.kills}× and toss-mock misbehaves`,
      '',
      `Faults on every partner call: latency ${c.faults.latencyMs} ms at ${c.faults.latencyRate * 100}%, ` +
        `5xx at ${c.faults.error5xxRate * 100}%, held-open (timeout) at ${c.faults.timeoutRate * 100}%. ` +
        `Server Toss client: ${Object.entries(chaosServerEnv)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}. ` +
        'Then faults off, and recovery: every pending order retried until granted, then every order once more.',
      '',
      '| Purchases (paid) | Kills | Pending after storm | Recovery calls | Double grants | Lost grants | Wallet ≠ ledger |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      `| ${c.purchases} (${c.paidOrders}) | ${c.kills} | ${c.pendingAfterStorm} | ${c.recoveryCalls} | ${c.doubleGrants} | ${c.lostGrants} | ${c.walletMismatches} |`,
      '',
      `- kills inside an open commit group (every member's work released, the group's COMMIT not run; the server's ` +
        `test crash hook, armed by the bench): ${c.killsInsideGroup} of ${c.kills}. Orders answered GRANTED before a ` +
        `kill but not GRANTED in the ledger right after it (counted as lost): ${c.answeredNotDurable}.`,
      `- answers during the storm: ${answers}`,
      `- paid orders by ledger state when the storm stopped (before recovery): ${Object.entries(
        c.afterStormByState,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(
          ', ',
        )} — NOT_RECORDED orders were never bound to a user: Toss still lists them as pending, so the ` +
        'mini-app recovers them (getPendingOrders → iap.fulfill).',
      '',
    );
    if (c.ledger.lostOrderIds.length) lines.push(`- lost: ${c.ledger.lostOrderIds.join(', ')}`, '');
    if (c.ledger.walletDetails.length) lines.push(`- wallets: ${c.ledger.walletDetails.join('; ')}`, '');
  }
  const b = results.bundle;
  if (b) {
    lines.push(
      '## Bundle: initial JS/CSS the entry HTML loads (gzip), production builds made in this run',
      '',
      "| Build | initial JS gzip | initial CSS gzip | initial JS raw | + entry's lazy imports, JS gzip | all JS gzip | JS chunks |",
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...(
        [
          ['apps/web (production)', b.web],
          ['baseline: Vite + React + SDK + TDS provider', b.baseline],
        ] as const
      ).map(
        ([label, size]) =>
          `| ${label} | ${kib(size.initialJsGzipBytes)} | ${kib(size.initialCssGzipBytes)} | ${kib(size.initialJsBytes)} | ` +
          `${kib(size.firstLazyLevelJsGzipBytes)} | ${kib(size.totalJsGzipBytes)} | ${size.jsChunks} |`,
      ),
      '',
      `- web initial files: ${b.web.initialFiles.join(', ')}`,
      '- "+ entry\'s lazy imports" adds what the entry chunk itself lazy-loads (one level, with their static imports), ' +
        'e.g. an app behind a boot screen: context for the initial figure, which is the target.',
      '',
    );
  }
  lines.push(
    '## Targets (reported, not asserted)',
    '',
    '| Target | Goal | This run | |',
    '| --- | --- | --- | --- |',
  );
  const fulfillRatio = o.concurrency >= 32 ? targets.fulfillRatioC32 : targets.fulfillRatio;
  if (s.ratio !== null) {
    lines.push(
      `| Fulfill throughput, partner in-process, C=${o.concurrency} | ≥ ${fulfillRatio}× baseline | ${s.ratio}× (${s.fulfillRps} vs ${s.baselineRps} req/s) | ${check(s.ratio >= fulfillRatio)} |`,
    );
  }
  if (s.cpuRatio !== null) {
    lines.push(
      `| Same, CPU per request | ≥ ${targets.cpuRatio}× baseline | ${s.cpuRatio}× (${s.fulfillCpuMsPerReq} vs ${s.baselineCpuMsPerReq} ms/req) | ${check(s.cpuRatio >= targets.cpuRatio)} |`,
    );
  }
  if (s.p99Ms !== null) {
    lines.push(
      `| Fulfill p99 at concurrency ${o.concurrency} | < ${targets.p99Ms} ms | ${s.p99Ms} ms | ${check(s.p99Ms < targets.p99Ms)} |`,
    );
  }
  if (s.mockRatio !== null) {
    lines.push(
      `| Fulfill throughput, toss-mock over mTLS | ≥ ${targets.mockRatio}× baseline | ${s.mockRatio}× (${s.mockRps} vs ${s.baselineRps} req/s) | ${check(s.mockRatio >= targets.mockRatio)} |`,
    );
  }
  const readTarget = (label: string, ratio: number | null, cpuRatio: number | null) => {
    if (ratio !== null)
      lines.push(
        `| ${label}, req/s | ≥ ${targets.readRatio}× bare | ${ratio}× | ${check(ratio >= targets.readRatio)} |`,
      );
    if (cpuRatio !== null)
      lines.push(
        `| ${label}, CPU per request | ≥ ${targets.readRatio}× bare | ${cpuRatio}× | ${check(cpuRatio >= targets.readRatio)} |`,
      );
  };
  readTarget('me.inventory', s.inventoryRatio, s.inventoryCpuRatio);
  readTarget('catalog.list', s.catalogRatio, s.catalogCpuRatio);
  if (s.doubleGrants !== null)
    lines.push(`| Double grants (all phases) | 0 | ${s.doubleGrants} | ${check(s.doubleGrants === 0)} |`);
  if (s.lostGrants !== null)
    lines.push(`| Lost grants (all phases) | 0 | ${s.lostGrants} | ${check(s.lostGrants === 0)} |`);
  if (s.walletMismatches !== null)
    lines.push(`| Wallet ≠ ledger | 0 | ${s.walletMismatches} | ${check(s.walletMismatches === 0)} |`);
  if (s.bundleRatio !== null) {
    lines.push(
      `| Initial JS gzip | ≤ ${targets.bundleRatio}× baseline | ${s.bundleRatio}× | ${check(s.bundleRatio <= targets.bundleRatio)} |`,
    );
  }
  lines.push('');
  const notes = [...(results.profile ? profileNotes(results.profile) : []), ...results.notes];
  if (notes.length) lines.push('## Notes', '', ...notes.map((n) => `- ${n}`), '');
  if (results.errors.length)
    lines.push('## Errors', '', ...results.errors.map((e) => `- ${e.replace(/\n/g, ' ⏎ ')}`), '');
  return `${alignTables(lines.join('\n')).trimEnd()}\n`;
}

/** Pad every Markdown table's columns (the layout `biome format` gives, so the committed report stays lint-clean). */
export function alignTables(markdownText: string): string {
  const out: string[] = [];
  let block: string[][] = [];
  const width = (text: string) => [...text].length;
  const flush = () => {
    if (block.length === 0) return;
    const columns = Math.max(...block.map((row) => row.length));
    const separator = block[1] ?? [];
    const right = Array.from({ length: columns }, (_, c) => /^-+:$/.test(separator[c] ?? ''));
    const widths = Array.from({ length: columns }, (_, c) =>
      Math.max(3, ...block.filter((_, r) => r !== 1).map((row) => width(row[c] ?? ''))),
    );
    block.forEach((row, r) => {
      const cells = widths.map((w, c) => {
        if (r === 1) return right[c] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w);
        const cell = row[c] ?? '';
        const pad = ' '.repeat(w - width(cell));
        return right[c] ? pad + cell : cell + pad;
      });
      out.push(`| ${cells.join(' | ')} |`);
    });
    block = [];
  };
  for (const line of markdownText.split('\n')) {
    if (line.startsWith('|')) {
      block.push(
        line
          .slice(1, line.endsWith('|') ? -1 : undefined)
          .split('|')
          .map((cell) => cell.trim()),
      );
    } else {
      flush();
      out.push(line);
    }
  }
  flush();
  return out.join('\n');
}
