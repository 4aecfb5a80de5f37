/**
 * Duplicate storm: for each of K paid orders, C concurrent `iap.fulfill` calls (the grant callback, recovery on
 * foreground and a double tap, all at once) against the server talking to toss-mock. Expected: exactly K effects —
 * one wallet credit per order, exactly one GRANTED answer per order (the rest ALREADY_GRANTED), balances = K × 100.
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../lib/processes.mjs';
import { mockControl, serverApi } from './api';
import { createJsonClient, runPool } from './http';
import { checkLedger, type LedgerReport } from './ledger-check';
import { type RunningServer, startMainServer, startMock } from './targets';

export interface StormOptions {
  orders: number;
  callsPerOrder: number;
  users: number;
  tmpDir: string;
  certDir: string;
}

export interface StormResult {
  orders: number;
  callsPerOrder: number;
  calls: number;
  /** Grant effects in the ledger (wallet GRANT entries). Expected: `orders`. */
  effects: number;
  grantedAnswers: number;
  alreadyGrantedAnswers: number;
  /** Calls answered with anything but granted (should be 0: nothing is faulty here). */
  otherAnswers: number;
  /** Orders answered GRANTED more than once. */
  ordersGrantedTwice: number;
  balanceOk: boolean;
  ledger: LedgerReport;
  elapsedMs: number;
  sampleProblems: string[];
  /** The server was SIGKILLed inside an open commit group once (mid-storm), then restarted; the order retried. */
  killedInsideGroup: boolean;
}

export async function runStorm(options: StormOptions): Promise<StormResult> {
  const mock = await startMock(options.certDir);
  const control = createJsonClient({ maxSockets: 4 });
  const client = createJsonClient({ maxSockets: options.callsPerOrder });
  let server: RunningServer | null = null;
  try {
    const ctl = mockControl(control, mock.controlUrl);
    const userCount = Math.max(1, Math.min(options.users, options.orders));
    const users = await runPool(userCount, 4, () => ctl.createUser());
    const databasePath = path.join(options.tmpDir, 'storm.db');
    // Once, mid-storm, the server dies INSIDE an open commit group: the bench creates this file and the server's test
    // crash hook (apps/server/src/db/crash-hook.ts) SIGKILLs it at the next group's COMMIT, every member released.
    const armFile = path.join(options.tmpDir, 'storm.crash-arm');
    const serverEnv = { IAP_TEST_CRASH_AT: 'before-commit', IAP_TEST_CRASH_ARM: armFile };
    const port = await freePort();
    server = await startMainServer(mock, databasePath, serverEnv, port);
    const api = serverApi(client, server.url);
    const tokens = await runPool(
      users.length,
      4,
      async (i) => (await api.login(users[i]!.authorizationCode)).token,
    );
    const orders = await runPool(options.orders, 4, async (i) => {
      const user = i % users.length;
      return { user, orderId: (await ctl.createOrder(users[user]!.userKey, 'coin_100')).orderId };
    });

    let granted = 0;
    let already = 0;
    let other = 0;
    let twice = 0;
    const problems: string[] = [];
    const started = Date.now();
    const storm = (order: (typeof orders)[number]) =>
      Promise.all(
        Array.from({ length: options.callsPerOrder }, () =>
          api.fulfillRaw(tokens[order.user]!, order.orderId, 'coin_100').catch((error: Error) => ({
            status: 0,
            body: error.message,
          })),
        ),
      );
    let killedInsideGroup = false;
    for (const [index, order] of orders.entries()) {
      if (index === Math.floor(orders.length / 2)) {
        // No answer from the dying server counts: its calls are dropped, and the app retries (recovery).
        writeFileSync(armFile, '');
        await storm(order);
        const died = await Promise.race([
          server.child.exited.then(() => true),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5_000)),
        ]);
        rmSync(armFile, { force: true });
        await server.child.stop('SIGKILL');
        killedInsideGroup = died;
        server = await startMainServer(mock, databasePath, serverEnv, port);
      }
      const answers = await storm(order);
      let grantedHere = 0;
      for (const res of answers) {
        const reason = (res.body as { result?: { data?: { reason?: string } } })?.result?.data?.reason;
        if (reason === 'GRANTED') grantedHere += 1;
        else if (reason === 'ALREADY_GRANTED') already += 1;
        else {
          other += 1;
          if (problems.length < 5)
            problems.push(`HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        }
      }
      granted += grantedHere;
      if (grantedHere > 1) twice += 1;
    }
    const elapsedMs = Date.now() - started;
    let coins = 0;
    for (const token of tokens) coins += (await api.inventory(token)).balances.COIN ?? 0;
    await server.child.stop();
    const ledger = checkLedger(
      databasePath,
      orders.map((o) => o.orderId),
    );
    return {
      orders: options.orders,
      callsPerOrder: options.callsPerOrder,
      calls: options.orders * options.callsPerOrder,
      effects: ledger.grantEffects,
      grantedAnswers: granted,
      alreadyGrantedAnswers: already,
      otherAnswers: other,
      ordersGrantedTwice: twice,
      balanceOk: coins === options.orders * 100,
      ledger,
      elapsedMs,
      sampleProblems: problems,
      killedInsideGroup,
    };
  } finally {
    client.close();
    control.close();
    await server?.child.stop('SIGKILL');
    await mock.child.stop();
  }
}
