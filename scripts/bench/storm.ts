/**
 * Duplicate storm: for each of K paid orders, C concurrent `iap.fulfill` calls at once (the grant callback, recovery
 * on foreground, a double tap) against the server talking to toss-mock. Expected: exactly K grant effects, exactly one
 * GRANTED answer per order (the rest ALREADY_GRANTED), balances = K × 100. Once, mid-storm, the server is SIGKILLed
 * INSIDE an open commit group (every member's work released, the group's COMMIT not run: the server's test crash
 * hook, armed by the bench), restarted, and that order's calls sent again; the dropped answers are not counted.
 */
import path from 'node:path';
import { freePort } from '../lib/processes.mjs';
import { killInsideGroup } from './chaos';
import { checkLedger } from './ledger-check';
import { dataOf, jsonClient, mockControl, runPool, serverApi } from './load';
import { type Running, startMain, startMock } from './servers';

export type StormResult = Awaited<ReturnType<typeof runStorm>>;

const callsPerOrder = 8;

export async function runStorm(o: { orders: number; tmpDir: string; certDir: string }) {
  const mock = await startMock(o.certDir);
  const client = jsonClient(callsPerOrder);
  const databasePath = path.join(o.tmpDir, 'storm.db');
  const armFile = path.join(o.tmpDir, 'storm.crash-arm');
  const env = { IAP_TEST_CRASH_AT: 'before-commit', IAP_TEST_CRASH_ARM: armFile };
  const port = await freePort();
  let server: Running = await startMain(mock, databasePath, env, port);
  try {
    const ctl = mockControl(client, mock.controlUrl);
    const users = await runPool(o.orders, 4, () => ctl.createUser()); // one user per order
    const api = serverApi(client, server.url);
    const tokens = await runPool(users.length, 4, (i) => api.login(users[i]!.authorizationCode));
    const orders = await runPool(o.orders, 4, async (i) => ({
      user: i,
      id: await ctl.createOrder(users[i]!.userKey),
    }));
    const n = { granted: 0, alreadyGranted: 0, ordersGrantedTwice: 0 };
    const others: string[] = [];
    let killedInsideGroup = false;
    const storm = (order: (typeof orders)[number]) =>
      Promise.all(
        Array.from({ length: callsPerOrder }, () =>
          api
            .fulfill(tokens[order.user]!, order.id)
            .catch((error: Error) => ({ status: 0, body: error.message })),
        ),
      );
    for (const [index, order] of orders.entries()) {
      if (index === Math.floor(orders.length / 2)) {
        killedInsideGroup = await killInsideGroup(server, armFile, () => storm(order));
        server = await startMain(mock, databasePath, env, port);
      }
      let grantedHere = 0;
      for (const res of await storm(order)) {
        const reason = dataOf(res)?.reason;
        if (reason === 'GRANTED') grantedHere += 1;
        else if (reason === 'ALREADY_GRANTED') n.alreadyGranted += 1;
        else others.push(`HTTP ${res.status} ${JSON.stringify(res.body)}`);
      }
      n.granted += grantedHere;
      if (grantedHere > 1) n.ordersGrantedTwice += 1;
    }
    const balanceOk = (await api.coins(tokens)) === o.orders * 100;
    await server.child.stop();
    const ids = orders.map((order) => order.id);
    const ledger = checkLedger(databasePath, ids);
    const calls = o.orders * callsPerOrder;
    return {
      ...{ orders: o.orders, calls, ...n, other: others.length, examples: others.slice(0, 5) }, // other: expected 0
      killedInsideGroup,
      effects: ledger.grantEffects,
      balanceOk,
      ledger,
    };
  } finally {
    client.close();
    await server.child.stop('SIGKILL');
    await mock.child.stop();
  }
}
