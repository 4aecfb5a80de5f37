/**
 * Chaos: a stream of purchases while the server is SIGKILLed and restarted several times and toss-mock injects
 * latency, 5xx and timeouts at a rate. The bench plays the mini-app: every paid order whose grant answer was not
 * "granted" (connection refused, 5xx, UPSTREAM_UNAVAILABLE, …) stays pending and is retried — sometimes during the
 * storm, like recovery on return to foreground, and for all of them in the recovery pass after the faults stop.
 * Then the invariants are read from the ledger:
 *  - no order granted twice (ledger effects, and no order ever answered GRANTED twice),
 *  - no paid order lost (every order toss-mock says is paid is GRANTED after recovery),
 *  - wallet balances equal their ledgers.
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, sleep } from '../lib/processes.mjs';
import { type MockControl, mockControl, serverApi } from './api';
import { createJsonClient, runPool } from './http';
import { checkLedger, type LedgerReport } from './ledger-check';
import { type RunningServer, startMainServer, startMock } from './targets';

export interface ChaosOptions {
  durationMs: number;
  kills: number;
  workers: number;
  users: number;
  faults: { latencyRate: number; latencyMs: number; error5xxRate: number; timeoutRate: number };
  tmpDir: string;
  certDir: string;
  log: (line: string) => void;
}

/** The server's own knobs, tightened so a held-open (timeout) call gives up in ~2 s instead of 12 s. */
export const chaosServerEnv = { TOSS_TIMEOUT_MS: '600', TOSS_RETRIES: '2', TOSS_TOTAL_TIMEOUT_MS: '2000' };

export interface ChaosResult {
  purchases: number;
  kills: number;
  /** Kills that landed inside an open commit group (work released, COMMIT not run), via the server's crash hook. */
  killsInsideGroup: number;
  /** Orders answered GRANTED before a kill but not GRANTED in the ledger right after it (must be 0: durability). */
  answeredNotDurable: number;
  /** Answers to fulfill calls during the storm, by outcome (reason, or the transport failure). */
  answers: Record<string, number>;
  pendingAfterStorm: number;
  /** Paid orders by ledger state when the storm stopped, before recovery (recoverable = not GRANTED, not refused). */
  afterStormByState: Record<string, number>;
  recoveryCalls: number;
  /** Paid orders per toss-mock. */
  paidOrders: number;
  /** Orders answered GRANTED more than once over the whole run. */
  ordersAnsweredGrantedTwice: number;
  doubleGrants: number;
  lostGrants: number;
  walletMismatches: number;
  ledger: LedgerReport;
  elapsedMs: number;
  faults: ChaosOptions['faults'];
}

type Order = { orderId: string; user: number };

const sku = 'coin_100';

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const started = Date.now();
  const mock = await startMock(options.certDir);
  const control = createJsonClient({ maxSockets: 4 });
  const client = createJsonClient({ maxSockets: options.workers + 2, timeoutMs: 10_000 });
  const ctl: MockControl = mockControl(control, mock.controlUrl);
  const databasePath = path.join(options.tmpDir, 'chaos.db');
  const port = await freePort();
  // Every other kill lands INSIDE an open commit group: the bench creates this file and the server's test crash hook
  // (apps/server/src/db/crash-hook.ts) SIGKILLs it at its next group's COMMIT, every member's work released.
  const armFile = path.join(options.tmpDir, 'chaos.crash-arm');
  const serverEnv = { ...chaosServerEnv, IAP_TEST_CRASH_AT: 'before-commit', IAP_TEST_CRASH_ARM: armFile };
  let server: RunningServer | null = null;
  try {
    server = await startMainServer(mock, databasePath, serverEnv, port);
    const api = serverApi(client, server.url);
    const users = await runPool(options.users, 4, () => ctl.createUser());
    const tokens = await runPool(
      users.length,
      4,
      async (i) => (await api.login(users[i]!.authorizationCode)).token,
    );

    const orders: Order[] = [];
    const pending = new Map<string, Order>();
    const grantedAnswers = new Map<string, number>();
    const answers: Record<string, number> = {};
    const count = (key: string) => {
      answers[key] = (answers[key] ?? 0) + 1;
    };

    /** One grant call as the mini-app makes it; true when the order is settled (granted). */
    const attempt = async (order: Order, tally: boolean): Promise<'granted' | 'refused' | 'unreachable'> => {
      let outcome: string;
      let unreachable = false;
      let granted = false;
      try {
        const res = await api.fulfillRaw(tokens[order.user]!, order.orderId, sku);
        const data = (res.body as { result?: { data?: { granted: boolean; reason: string } } })?.result?.data;
        if (res.status === 200 && data) {
          outcome = data.reason;
          granted = data.granted;
          if (data.reason === 'GRANTED')
            grantedAnswers.set(order.orderId, (grantedAnswers.get(order.orderId) ?? 0) + 1);
        } else {
          const code = (res.body as { error?: { data?: { appCode?: string } } })?.error?.data?.appCode;
          outcome = `HTTP ${res.status}${code ? ` ${code}` : ''}`;
        }
      } catch (error) {
        unreachable = true;
        const code = (error as NodeJS.ErrnoException).code;
        outcome =
          code ?? ((error as Error).message.includes('socket hang up') ? 'socket hang up' : 'network error');
      }
      if (tally) count(outcome);
      if (granted) pending.delete(order.orderId);
      else pending.set(order.orderId, order);
      return granted ? 'granted' : unreachable ? 'unreachable' : 'refused';
    };

    await ctl.addFault({ kind: 'latency', rate: options.faults.latencyRate, ms: options.faults.latencyMs });
    await ctl.addFault({ kind: 'error5xx', rate: options.faults.error5xxRate });
    await ctl.addFault({ kind: 'timeout', rate: options.faults.timeoutRate });

    // The purchase stream.
    let streaming = true;
    const worker = async (w: number) => {
      let i = 0;
      while (streaming) {
        i += 1;
        const retry = pending.size > 0 && i % 4 === 0;
        let order: Order;
        if (retry) {
          order = [...pending.values()][(w + i) % pending.size]!;
        } else {
          const user = (w + i) % users.length;
          order = { orderId: (await ctl.createOrder(users[user]!.userKey, sku)).orderId, user };
          orders.push(order);
        }
        const result = await attempt(order, true);
        // A client that cannot reach the server backs off; one that got "not now" waits a little.
        if (result === 'unreachable') await sleep(300);
        else if (result === 'refused') await sleep(50);
      }
    };
    const workers = Array.from({ length: options.workers }, (_, w) => worker(w));

    // The killer: SIGKILL at random moments, restart on the same port and database.
    let kills = 0;
    let killsInsideGroup = 0;
    let answeredNotDurable = 0;
    const gap = options.durationMs / (options.kills + 1);
    for (let k = 0; k < options.kills; k++) {
      await sleep(gap * (0.6 + Math.random() * 0.8));
      if (k % 2 === 1 && (await killInsideGroup(server, armFile))) killsInsideGroup += 1;
      else await server.child.stop('SIGKILL');
      kills += 1;
      // Before the restart: every order already answered GRANTED must be in the ledger as GRANTED.
      answeredNotDurable += checkLedger(databasePath, [...grantedAnswers.keys()]).lostGrants;
      await sleep(100 + Math.random() * 300);
      server = await startMainServer(mock, databasePath, serverEnv, port);
      options.log(`  chaos: kill ${kills}/${options.kills} → restarted`);
    }
    await sleep(gap * 0.5);
    streaming = false;
    await Promise.all(workers);
    const pendingAfterStorm = pending.size;
    const paidSoFar = orders.map((o) => o.orderId);
    const afterStormByState = checkLedger(databasePath, paidSoFar, { readonly: true }).paidByState;

    // Recovery: faults off; every pending order is retried until granted (what getPendingOrders → fulfill does).
    await ctl.clearFaults();
    let recoveryCalls = 0;
    for (let round = 0; round < 5 && pending.size > 0; round++) {
      const list = [...pending.values()];
      await runPool(list.length, 4, async (j) => {
        recoveryCalls += 1;
        await attempt(list[j]!, false);
      });
      if (pending.size > 0) await sleep(500);
    }
    // One more call for EVERY order: all must answer granted, none may be granted again.
    await runPool(orders.length, 8, async (j) => {
      recoveryCalls += 1;
      await attempt(orders[j]!, false);
    });

    await server.child.stop('SIGTERM');
    const state = (await ctl.state()) as { orders: { orderId: string; userKey: number; payment: string }[] };
    const ourKeys = new Set(users.map((u) => u.userKey));
    const paid = state.orders
      .filter((o) => ourKeys.has(o.userKey) && o.payment === 'paid')
      .map((o) => o.orderId);
    const ledger = checkLedger(databasePath, paid);
    const answeredTwice = [...grantedAnswers.values()].filter((n) => n > 1).length;
    return {
      purchases: orders.length,
      kills,
      killsInsideGroup,
      answeredNotDurable,
      answers,
      pendingAfterStorm,
      afterStormByState,
      recoveryCalls,
      paidOrders: paid.length,
      ordersAnsweredGrantedTwice: answeredTwice,
      doubleGrants: ledger.doubleGrants + answeredTwice,
      lostGrants: ledger.lostGrants + answeredNotDurable,
      walletMismatches: ledger.walletMismatches,
      ledger,
      elapsedMs: Date.now() - started,
      faults: options.faults,
    };
  } finally {
    client.close();
    control.close();
    await server?.child.stop('SIGKILL');
    await mock.child.stop();
  }
}

/**
 * Arm the server's crash hook and wait for it to die at its next group COMMIT (workers keep writing). True if it did;
 * false (then it is SIGKILLed the plain way) if no group closed within 5 s.
 */
async function killInsideGroup(server: RunningServer, armFile: string): Promise<boolean> {
  writeFileSync(armFile, '');
  try {
    const died = await Promise.race([server.child.exited.then(() => true), sleep(5_000).then(() => false)]);
    await server.child.stop('SIGKILL'); // a no-op if the hook killed it; forgets the child either way
    return died;
  } finally {
    rmSync(armFile, { force: true });
  }
}
