/**
 * Chaos: a stream of purchases while the server is SIGKILLed and restarted several times (every other kill INSIDE an
 * open commit group) and toss-mock adds latency, 5xx and held-open calls at a rate. The bench plays the mini-app:
 * every paid order whose answer was not "granted" stays pending and is retried — now and then during the storm (like
 * recovery on return to foreground), then all of them once the faults stop, then every order once more. Checked:
 *  - durable: right after each kill, every order already answered GRANTED is GRANTED in the ledger;
 *  - nothing doubled (ledger effects, and no order ever answered GRANTED twice); nothing lost (every order toss-mock
 *    says is paid is GRANTED after recovery); wallet = ledger.
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, sleep } from '../lib/processes.mjs';
import { checkLedger, notGranted } from './ledger-check';
import { dataOf, jsonClient, mockControl, runPool, serverApi } from './load';
import { type Running, startMain, startMock } from './servers';

/** The server's Toss client tightened, so a held-open call gives up in ~2 s instead of 12 s. */
export const chaosServerEnv = { TOSS_TIMEOUT_MS: '600', TOSS_RETRIES: '2', TOSS_TOTAL_TIMEOUT_MS: '2000' };
export const chaosFaults = { latencyRate: 0.2, latencyMs: 150, error5xxRate: 0.3, timeoutRate: 0.1 };

export type ChaosResult = Awaited<ReturnType<typeof runChaos>>;

/**
 * Arm the server's crash hook (the file its IAP_TEST_CRASH_ARM names) and wait for it to SIGKILL itself at its next
 * group COMMIT, every member's work released; `traffic` makes that group. False if it did not die within 5 s (then it
 * is killed the plain way).
 */
export async function killInsideGroup(server: Running, armFile: string, traffic?: () => Promise<unknown>) {
  writeFileSync(armFile, '');
  try {
    const died = Promise.race([server.child.exited.then(() => true), sleep(5_000).then(() => false)]);
    await traffic?.();
    return await died;
  } finally {
    await server.child.stop('SIGKILL'); // a no-op if the hook killed it
    rmSync(armFile, { force: true });
  }
}

/**
 * What the grant answers alone show. An order answered GRANTED that a kill then finds not GRANTED in the ledger is not
 * durable: counted once, however many later kills find it again, and counted as lost, not also as doubled when the
 * recovery grants it (and answers GRANTED) a second time.
 */
export function grantAnswers() {
  const times = new Map<string, number>();
  const notDurable = new Set<string>();
  return {
    granted: (orderId: string) => void times.set(orderId, (times.get(orderId) ?? 0) + 1),
    /** Right after a kill: every order answered GRANTED so far must be GRANTED in the ledger. */
    checkDurable(databasePath: string) {
      for (const id of notGranted(databasePath, times.keys())) notDurable.add(id);
    },
    notDurable: () => notDurable.size,
    answeredTwice: () => [...times].filter(([id, n]) => n > 1 && !notDurable.has(id)).length,
  };
}

type Order = { id: string; user: number };

const [workers, userCount] = [4, 10];

export async function runChaos(o: { durationMs: number; kills: number; tmpDir: string; certDir: string }) {
  const mock = await startMock(o.certDir);
  const client = jsonClient(workers + 8, 10_000);
  const ctl = mockControl(client, mock.controlUrl);
  const databasePath = path.join(o.tmpDir, 'chaos.db');
  const armFile = path.join(o.tmpDir, 'chaos.crash-arm');
  const env = { ...chaosServerEnv, IAP_TEST_CRASH_AT: 'before-commit', IAP_TEST_CRASH_ARM: armFile };
  const port = await freePort();
  let server = await startMain(mock, databasePath, env, port);
  try {
    const api = serverApi(client, server.url);
    const users = await runPool(userCount, 4, () => ctl.createUser());
    const tokens = await runPool(users.length, 4, (i) => api.login(users[i]!.authorizationCode));
    const orders: Order[] = [];
    const pending = new Map<string, Order>();
    const grantedAnswers = grantAnswers();
    const answers: Record<string, number> = {};

    /** One grant call as the mini-app makes it. */
    const attempt = async (order: Order, tally: boolean): Promise<'granted' | 'refused' | 'unreachable'> => {
      let outcome: string;
      let result: 'granted' | 'refused' | 'unreachable' = 'refused';
      try {
        const res = await api.fulfill(tokens[order.user]!, order.id);
        const data = dataOf(res);
        outcome = data?.reason ?? `HTTP ${res.status} ${res.body?.error?.data?.appCode ?? ''}`.trim();
        if (data?.granted) result = 'granted';
        if (data?.reason === 'GRANTED') grantedAnswers.granted(order.id);
      } catch (error) {
        result = 'unreachable';
        outcome = (error as NodeJS.ErrnoException).code ?? (error as Error).message.slice(0, 40);
      }
      if (tally) answers[outcome] = (answers[outcome] ?? 0) + 1;
      if (result === 'granted') pending.delete(order.id);
      else pending.set(order.id, order);
      return result;
    };

    await ctl.addFault({ kind: 'latency', rate: chaosFaults.latencyRate, ms: chaosFaults.latencyMs });
    await ctl.addFault({ kind: 'error5xx', rate: chaosFaults.error5xxRate });
    await ctl.addFault({ kind: 'timeout', rate: chaosFaults.timeoutRate });
    let streaming = true;
    const worker = async (w: number) => {
      for (let i = 1; streaming; i++) {
        let order =
          pending.size > 0 && i % 4 === 0 ? [...pending.values()][(w + i) % pending.size] : undefined;
        if (!order) {
          const user = (w + i) % users.length;
          order = { id: await ctl.createOrder(users[user]!.userKey), user };
          orders.push(order);
        }
        // A client that cannot reach the server backs off; one told "not now" waits a little.
        const result = await attempt(order, true);
        if (result !== 'granted') await sleep(result === 'unreachable' ? 300 : 50);
      }
    };
    const running = Array.from({ length: workers }, (_, w) => worker(w));

    let killsInsideGroup = 0;
    const gap = o.durationMs / (o.kills + 1);
    for (let k = 0; k < o.kills; k++) {
      await sleep(gap * (0.6 + Math.random() * 0.8));
      if (k % 2 === 1 && (await killInsideGroup(server, armFile))) killsInsideGroup += 1;
      else await server.child.stop('SIGKILL');
      grantedAnswers.checkDurable(databasePath);
      await sleep(100 + Math.random() * 300);
      server = await startMain(mock, databasePath, env, port);
      console.error(`  chaos: kill ${k + 1}/${o.kills} → restarted`);
    }
    await sleep(gap * 0.5);
    streaming = false;
    await Promise.all(running);
    const pendingAfterStorm = pending.size;
    const ids = orders.map((order) => order.id);
    const afterStormByState = checkLedger(databasePath, ids, true).paidByState; // before recovery

    // Recovery: faults off; every pending order retried until granted (getPendingOrders → fulfill), then every order.
    await ctl.clearFaults();
    let recoveryCalls = 0;
    const retry = (list: Order[], concurrency: number) =>
      runPool(list.length, concurrency, (j) => {
        recoveryCalls += 1;
        return attempt(list[j]!, false);
      });
    for (let round = 0; round < 5 && pending.size > 0; round++) {
      if (round > 0) await sleep(500);
      await retry([...pending.values()], 4);
    }
    await retry(orders, 8);
    await server.child.stop('SIGTERM');
    const paid = await ctl.paidOrders(new Set(users.map((u) => u.userKey)));
    return {
      purchases: orders.length,
      paidOrders: paid.length,
      kills: o.kills,
      killsInsideGroup,
      answeredNotDurable: grantedAnswers.notDurable(), // answered GRANTED, not GRANTED right after a kill: lost
      answers, // by reason or transport failure
      pendingAfterStorm,
      afterStormByState,
      recoveryCalls,
      ordersAnsweredGrantedTwice: grantedAnswers.answeredTwice(),
      ledger: checkLedger(databasePath, paid),
    };
  } finally {
    client.close();
    await server.child.stop('SIGKILL');
    await mock.child.stop();
  }
}
