/**
 * Customer-support CLI (`pnpm --filter @ait-iap/server ops <command>`). Uses the same DATABASE_PATH and Toss
 * settings as the server; safe to run while the server runs (SQLite WAL + write transactions that wait their turn).
 *
 *   review                                        HELD orders waiting for an operator (JSON array, oldest first)
 *   approve <orderId> --reason "..." [--operator name] [--sku <sku>]   grant a HELD order (through fulfill, audited,
 *                                                 once); --sku: the SKU the settlement shows, if not the one claimed
 *   deny <orderId> --reason "..." [--operator name]      refuse a HELD order for good (later claims: NOT_PAID)
 *   conflicts                                     recent claims of orders bound to another user
 *   unverified [--since <iso>] [--orders]         grants whose SKU Toss did not state, per SKU (count, sale total)
 *   user <userId|userKey>                         a user's orders, wallet ledger, entitlements, recent attempts
 *   order <orderId>                               one order: ledger row, attempts, effects, audit trail
 *   recheck <orderId> [--user <userId>] [--apply] ask Toss for the status now; --apply runs fulfill with it
 *   regrant <orderId> --reason "..." [--operator name]
 *   revoke <orderId> --reason "..." [--operator name]
 *   reconcile                                     run the reconcile job once (same as `pnpm ... reconcile`)
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { decideGrant } from '@ait-iap/iap-contract';
import { systemClock } from '../clock';
import { loadConfig } from '../config';
import { databaseOptions, openDatabase } from '../db/database';
import { fulfill, seenPaid } from '../fulfillment/fulfill';
import { reconcile } from '../fulfillment/reconcile';
import { configureLogHashSecret, createLogger } from '../log';
import { createTossClient, TossError } from '../toss/client';
import {
  describeOrder,
  describeUser,
  listConflicts,
  listHeld,
  operatorApprove,
  operatorDeny,
  operatorRegrant,
  operatorRevoke,
  unverifiedGrants,
} from './actions';
import { runTraceCommand, traceUsage } from './traces';

const usage = `usage: ops <review|approve|deny|conflicts|unverified|user|order|recheck|regrant|revoke|reconcile> ...
  review
  approve <orderId> --reason "..." [--operator name] [--sku <sku the settlement shows>]
  deny <orderId> --reason "..." [--operator name]
  conflicts
  unverified [--since <iso date>] [--orders]
  user <userId|userKey>
  order <orderId>
  recheck <orderId> [--user <userId>] [--apply]
  regrant <orderId> --reason "..." [--operator name]
  revoke <orderId> --reason "..." [--operator name]
  reconcile
${traceUsage}`;

const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      reason: { type: 'string' },
      operator: { type: 'string' },
      user: { type: 'string' },
      apply: { type: 'boolean', default: false },
      since: { type: 'string' },
      sku: { type: 'string' },
      orders: { type: 'boolean', default: false },
      'since-minutes': { type: 'string' },
      last: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, target] = positionals;
  if (values.help || !command) {
    console.log(usage);
    return command ? 0 : 1;
  }
  const config = loadConfig();
  const clock = systemClock;
  const log = createLogger({
    level: config.logLevel === 'debug' ? 'debug' : 'warn',
    clock,
    sink: (l) => console.error(l),
  });
  configureLogHashSecret(config.logHashSecret, log);
  const database = await openDatabase(databaseOptions(config));
  const mtls = config.toss.mtls;
  const toss = createTossClient({
    baseUrl: config.toss.baseUrl,
    ...(mtls ? { cert: mtls.cert, key: mtls.key, ...(mtls.ca ? { ca: mtls.ca } : {}) } : {}),
    clock,
    timeoutMs: config.toss.timeoutMs,
    retries: config.toss.retries,
    totalTimeoutMs: config.toss.totalTimeoutMs,
  });
  const deps = { database, toss, clock, log, config };
  const operator = values.operator ?? process.env.USER ?? userInfo().username;
  try {
    switch (command) {
      case 'review': {
        print(await listHeld(deps));
        return 0;
      }
      case 'conflicts': {
        print(await listConflicts(deps));
        return 0;
      }
      case 'unverified': {
        print(await unverifiedGrants(deps, { since: values.since ?? null, orders: values.orders }));
        return 0;
      }
      case 'user': {
        if (!target) break;
        const found = await describeUser(deps, target);
        if (!found) {
          console.error(`no user ${target}`);
          return 1;
        }
        print(found);
        return 0;
      }
      case 'order': {
        if (!target) break;
        print(await describeOrder(deps, target));
        return 0;
      }
      case 'recheck': {
        if (!target) break;
        const { order, attempts } = await describeOrder(deps, target);
        const userId = values.user ?? order?.user_id ?? attempts.at(-1)?.user_id;
        if (!userId) {
          console.error('order unknown here; pass --user <userId> of the customer');
          return 1;
        }
        const user = await database.db
          .selectFrom('users')
          .selectAll()
          .where('id', '=', userId)
          .executeTakeFirst();
        if (!user) {
          console.error(`no user ${userId}`);
          return 1;
        }
        try {
          const status = await toss.getOrderStatus({ userKey: user.user_key, orderId: target });
          print({
            orderId: target,
            userId,
            toss: status,
            decision: decideGrant(status.status, {
              seenPaid: await seenPaid(database.db, target, userId),
            }),
            ledger: order?.state ?? null,
          });
        } catch (error) {
          if (!(error instanceof TossError)) throw error;
          print({ orderId: target, userId, error: { kind: error.kind, message: error.message } });
          return 1;
        }
        if (values.apply) {
          const sku = order?.sku ?? attempts.at(-1)?.sku ?? '';
          const result = await fulfill(deps, {
            user: { userId, userKey: user.user_key },
            orderId: target,
            sku,
            source: 'operator',
            recheckGranted: true,
          });
          print(result);
        }
        return 0;
      }
      case 'approve':
      case 'deny':
      case 'regrant':
      case 'revoke': {
        if (!target) break;
        if (!values.reason) {
          console.error('--reason is required (it goes to the audit log)');
          return 1;
        }
        const input = { orderId: target, reason: values.reason, operator };
        const result =
          command === 'approve'
            ? await operatorApprove(deps, { ...input, sku: values.sku })
            : await { deny: operatorDeny, regrant: operatorRegrant, revoke: operatorRevoke }[command](
                deps,
                input,
              );
        print(result);
        return result.ok ? 0 : 1;
      }
      case 'reconcile': {
        const report = await reconcile(deps, config.reconcile);
        print(report);
        return report.stuck.length > 0 || report.held.length > 0 ? 2 : 0;
      }
      default: {
        const code = await runTraceCommand(command, deps, config, values, print);
        if (code !== null) return code;
      }
    }
    console.error(usage);
    return 1;
  } finally {
    toss.close();
    await database.close();
  }
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
