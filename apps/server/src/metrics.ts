/**
 * Prometheus metrics (prom-client), served as text at `GET /metrics` on a separate internal listener
 * (METRICS_PORT; unset = no listener and these calls are no-ops). One registry per server, so tests can build
 * several servers in one process. What is counted:
 *
 *   ait_iap_fulfill_outcomes_total{reason,granted}        every `iap.fulfill` answer, by its `reason`
 *   ait_iap_trpc_calls_total{procedure,outcome}           every procedure call: `ok` or the error's appCode
 *   ait_iap_partner_request_duration_seconds{operation,outcome}   Toss partner API calls (retries included)
 *   ait_iap_partner_errors_total{operation,kind}          failed partner calls by TossError kind
 *   ait_iap_reconcile_runs_total{outcome}                 completed | skipped (another instance ran it) | failed
 *   ait_iap_reconcile_findings_total{kind}                orders the reconcile job revoked / granted
 *   ait_iap_reconcile_stuck_orders                        stuck orders in the last completed run
 *   ait_iap_orders_held                                   orders in state HELD (a COUNT at scrape time)
 *   ait_iap_db_commit_group_size                          SQLite: writes made durable by each group COMMIT
 *   plus prom-client's default process metrics (CPU, memory, event loop lag, GC).
 *
 * Labels only ever take values from fixed sets (procedure paths that exist, contract reasons, error kinds), so a
 * client cannot grow the number of series. You probably don't need to edit this file, unless you add a metric.
 */
import { performance } from 'node:perf_hooks';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from './log';
import { type TossClient, TossError } from './toss/client';

/** What the metrics read of a reconcile report (`ReconcileReport` in fulfillment/reconcile.ts). */
export interface ReconcileCounts {
  revoked: readonly unknown[];
  granted: readonly unknown[];
  stuck: readonly unknown[];
  skipped?: true;
}

export interface Metrics {
  readonly enabled: boolean;
  /** One `iap.fulfill` answer. */
  fulfillOutcome(reason: string, granted: boolean): void;
  /** One tRPC procedure call finished: `ok`, or the appCode it failed with. */
  call(procedure: string, outcome: string): void;
  /** One logical partner API call (retries included): how long it took and, if it failed, the TossError kind. */
  partnerCall(operation: string, seconds: number, errorKind: string | null): void;
  /** One run of the reconcile job. */
  reconcileRun(result: ReconcileCounts | 'failed'): void;
  /** SQLite: one group COMMIT that made `size` writeTransaction calls durable. */
  commitGroup(size: number): void;
  /** The Prometheus text exposition. */
  render(): Promise<{ contentType: string; body: string }>;
}

export interface MetricsOptions {
  enabled: boolean;
  /** Orders waiting for an operator (state HELD); read at scrape time. */
  heldOrders: () => Promise<number>;
  log: Logger;
}

const noop: Metrics = {
  enabled: false,
  fulfillOutcome: () => {},
  call: () => {},
  partnerCall: () => {},
  reconcileRun: () => {},
  commitGroup: () => {},
  render: async () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: '' }),
};

export function createMetrics(options: MetricsOptions): Metrics {
  if (!options.enabled) return noop;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const fulfillOutcomes = new Counter({
    name: 'ait_iap_fulfill_outcomes_total',
    help: 'iap.fulfill answers by reason (GRANTED, ALREADY_GRANTED, NOT_PAID, UPSTREAM_UNAVAILABLE, ...)',
    labelNames: ['reason', 'granted'] as const,
    registers: [registry],
  });
  const calls = new Counter({
    name: 'ait_iap_trpc_calls_total',
    help: 'tRPC procedure calls by outcome (ok or the appCode of the error)',
    labelNames: ['procedure', 'outcome'] as const,
    registers: [registry],
  });
  const partnerDuration = new Histogram({
    name: 'ait_iap_partner_request_duration_seconds',
    help: 'Toss partner API calls (one logical call, retries included) by operation and outcome',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15],
    registers: [registry],
  });
  const partnerErrors = new Counter({
    name: 'ait_iap_partner_errors_total',
    help: 'Failed Toss partner API calls by operation and error kind (timeout, network, server, malformed, rejected)',
    labelNames: ['operation', 'kind'] as const,
    registers: [registry],
  });
  const reconcileRuns = new Counter({
    name: 'ait_iap_reconcile_runs_total',
    help: 'Reconcile job runs: completed, skipped (another instance held the lock) or failed',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const reconcileFindings = new Counter({
    name: 'ait_iap_reconcile_findings_total',
    help: 'Orders the reconcile job changed: revoked (refunded) or granted (paid, not yet granted)',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const stuckOrders = new Gauge({
    name: 'ait_iap_reconcile_stuck_orders',
    help: 'Orders the last completed reconcile run reported stuck (possibly paid, not granted, past the alert age)',
    registers: [registry],
  });
  new Gauge({
    name: 'ait_iap_orders_held',
    help: 'Orders held for an operator decision (state HELD: ops review / approve / deny)',
    registers: [registry],
    async collect() {
      try {
        this.set(await options.heldOrders());
      } catch (error) {
        options.log.warn('metrics.held_orders_failed', { err: error });
      }
    },
  });
  const commitGroups = new Histogram({
    name: 'ait_iap_db_commit_group_size',
    help: 'SQLite group commit: writeTransaction calls made durable by one COMMIT (one fsync)',
    buckets: [1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 24, 32, 48, 64],
    registers: [registry],
  });
  for (const kind of ['revoked', 'granted']) reconcileFindings.inc({ kind }, 0);
  for (const outcome of ['completed', 'skipped', 'failed']) reconcileRuns.inc({ outcome }, 0);

  return {
    enabled: true,
    fulfillOutcome: (reason, granted) => fulfillOutcomes.inc({ reason, granted: String(granted) }),
    call: (procedure, outcome) => calls.inc({ procedure, outcome }),
    commitGroup: (size) => commitGroups.observe(size),
    partnerCall(operation, seconds, errorKind) {
      partnerDuration.observe({ operation, outcome: errorKind ?? 'ok' }, seconds);
      if (errorKind) partnerErrors.inc({ operation, kind: errorKind });
    },
    reconcileRun(result) {
      if (result === 'failed') {
        reconcileRuns.inc({ outcome: 'failed' });
        return;
      }
      if (result.skipped) {
        reconcileRuns.inc({ outcome: 'skipped' });
        return;
      }
      reconcileRuns.inc({ outcome: 'completed' });
      reconcileFindings.inc({ kind: 'revoked' }, result.revoked.length);
      reconcileFindings.inc({ kind: 'granted' }, result.granted.length);
      stuckOrders.set(result.stuck.length);
    },
    render: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}

/** The Toss client with every call timed and its failures counted (`ait_iap_partner_*`). Same behaviour otherwise. */
export function instrumentTossClient(toss: TossClient, metrics: Metrics): TossClient {
  if (!metrics.enabled) return toss;
  const timed =
    <A extends unknown[], R>(operation: string, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const started = performance.now();
      try {
        const result = await call(...args);
        metrics.partnerCall(operation, (performance.now() - started) / 1000, null);
        return result;
      } catch (error) {
        const kind = error instanceof TossError ? error.kind : 'unknown';
        metrics.partnerCall(operation, (performance.now() - started) / 1000, kind);
        throw error;
      }
    };
  return {
    generateToken: timed('generate_token', toss.generateToken.bind(toss)),
    loginMe: timed('login_me', toss.loginMe.bind(toss)),
    getOrderStatus: timed('get_order_status', toss.getOrderStatus.bind(toss)),
    removeByAccessToken: timed('remove_by_access_token', toss.removeByAccessToken.bind(toss)),
    close: () => toss.close(),
  };
}
