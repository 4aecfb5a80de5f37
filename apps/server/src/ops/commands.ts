/**
 * The ops CLI's commands: for each, its usage line, what it does, and a handler over the functions in actions.ts,
 * lookup.ts and auth/operators.ts (the console calls the same ones). A handler prints through `out` (a table on a
 * terminal, JSON with --json) and returns the exit code: 0 done (also when a list is empty), 1 failed or refused,
 * 2 (reconcile) something waits for a person.
 * Customization point: add a command here (and to the README's ops section).
 */
import { userInfo } from 'node:os';
import { orderReference } from '@ait-iap/iap-contract';
import {
  canDecide,
  createOperator,
  disableOperator,
  findOperator,
  listOperators,
  type OperatorRole,
  operatorRoles,
  setOperatorPassword,
} from '../auth/operators';
import type { Config } from '../config';
import type { FulfillDeps } from '../fulfillment/fulfill';
import { reconcile } from '../fulfillment/reconcile';
import {
  type Actor,
  applyRecheck,
  describeOrder,
  describeUser,
  listConflicts,
  listHeld,
  type OpsResult,
  operatorApprove,
  operatorCredit,
  operatorDeny,
  operatorRegrant,
  operatorRevoke,
  recheckOrder,
  unverifiedGrants,
} from './actions';
import { devOperatorFile, ensureDevOperator } from './dev-operator';
import { fields, sections, table } from './format';
import { resolveOrder } from './lookup';
import { runTraceCommand, traceCommandHelp, traceCommands } from './traces';

export type Deps = FulfillDeps & { config: Config };

export interface Output {
  json: boolean;
  /** Print `value` as JSON (--json / not a terminal) or `human()` (a terminal). */
  print(value: unknown, human: () => string): void;
  error(message: string): void;
}

export interface CommandContext {
  deps: Deps;
  args: string[];
  options: {
    reason?: string | undefined;
    as?: string | undefined;
    user?: string | undefined;
    apply: boolean;
    since?: string | undefined;
    sku?: string | undefined;
    orders: boolean;
    role?: string | undefined;
    'since-minutes'?: string | undefined;
    last?: string | undefined;
  };
  out: Output;
}

export interface Command {
  usage: string;
  summary: string;
  /** No database needed (none so far: every command reads or writes it). */
  run(ctx: CommandContext): Promise<number>;
}

/** The OS login user running the CLI. */
export function osUser(): string {
  return process.env.USER ?? process.env.LOGNAME ?? userInfo().username;
}

/**
 * Who the CLI acts as: `--as <name>` must name an enabled operator account (an approver, to change anything);
 * without it, the OS user — recorded as such (actor kind `cli`, no operator id).
 */
async function cliActor(ctx: CommandContext): Promise<Actor | string> {
  const user = osUser();
  if (!ctx.options.as) return { kind: 'cli', name: user, osUser: user, operatorId: null };
  const operator = await findOperator(ctx.deps, ctx.options.as);
  if (!operator)
    return `no operator account named ${ctx.options.as} (create it: ops operator add ${ctx.options.as} --role approver; or leave out --as to act as ${user})`;
  if (operator.disabledAt) return `operator ${operator.name} is disabled`;
  if (!canDecide(operator.role))
    return `operator ${operator.name} is a ${operator.role}: only an approver can change orders`;
  return { kind: 'cli', name: operator.name, osUser: user, operatorId: operator.id };
}

function needs(ctx: CommandContext, what: string): boolean {
  if (ctx.args[0]) return true;
  ctx.out.error(`missing ${what}`);
  return false;
}

function printResult(ctx: CommandContext, result: OpsResult | { ok: boolean }): number {
  ctx.out.print(result, () => fields(result));
  return result.ok ? 0 : 1;
}

const decide =
  (
    action: (
      deps: Deps,
      input: { orderId: string; reason: string; actor: Actor; sku?: string },
    ) => Promise<OpsResult>,
  ) =>
  async (ctx: CommandContext): Promise<number> => {
    if (!needs(ctx, '<orderId>')) return 1;
    if (!ctx.options.reason?.trim()) {
      ctx.out.error('--reason is required (it goes to the audit log)');
      return 1;
    }
    const actor = await cliActor(ctx);
    if (typeof actor === 'string') {
      ctx.out.error(actor);
      return 1;
    }
    const input = { orderId: ctx.args[0] as string, reason: ctx.options.reason, actor };
    return printResult(
      ctx,
      await action(ctx.deps, ctx.options.sku ? { ...input, sku: ctx.options.sku } : input),
    );
  };

async function showOrder(ctx: CommandContext): Promise<number> {
  if (!needs(ctx, '<orderId|reference>')) return 1;
  const target = ctx.args[0] as string;
  const found = await resolveOrder(ctx.deps.database.db, target);
  if (found.kind === 'reference' && found.matches.length > 1) {
    const matches = found.matches.map((o) => ({
      orderId: o.order_id,
      userId: o.user_id,
      sku: o.sku,
      state: o.state,
      createdAt: o.created_at,
    }));
    ctx.out.print(
      { reference: target, matches },
      () =>
        `reference ${target} matches ${matches.length} orders — ask the customer for the date or product:\n${table(matches)}`,
    );
    return 0;
  }
  const orderId =
    found.kind === 'id'
      ? found.orderId
      : found.kind === 'reference'
        ? (found.matches[0]?.order_id ?? target)
        : target;
  const shown = await describeOrder(ctx.deps, orderId);
  if (!shown.order && shown.attempts.length === 0) {
    if (ctx.out.json) ctx.out.print(shown, () => '');
    ctx.out.error(`no order ${target} (not an order id or reference this server has seen)`);
    return 1;
  }
  ctx.out.print(shown, () =>
    sections([
      ['Order', fields(shown.order)],
      [
        'Attempts',
        table(shown.attempts, ['created_at', 'source', 'outcome', 'toss_status', 'user_id', 'detail']),
      ],
      ['Wallet entries', table(shown.walletEntries, ['created_at', 'kind', 'currency', 'amount', 'reason'])],
      [
        'Entitlements',
        table(shown.entitlements, ['entitlement', 'sku', 'starts_at', 'expires_at', 'revoked_at']),
      ],
      [
        'Audit',
        table(shown.audit, ['created_at', 'action', 'operator', 'actor_kind', 'os_user', 'reason', 'detail']),
      ],
    ]),
  );
  return 0;
}

async function showUser(ctx: CommandContext): Promise<number> {
  if (!needs(ctx, '<userId|userKey>')) return 1;
  const found = await describeUser(ctx.deps, ctx.args[0] as string);
  if (!found) {
    ctx.out.error(`no user ${ctx.args[0]}`);
    return 1;
  }
  ctx.out.print(found, () =>
    sections([
      ['User', fields(found.user)],
      ['Wallets', table(found.wallets, ['currency', 'balance', 'updated_at'])],
      ['Orders', table(found.orders, ['created_at', 'order_id', 'sku', 'state', 'environment'])],
      [
        'Wallet entries',
        table(found.walletEntries, ['created_at', 'kind', 'currency', 'amount', 'order_id', 'reason']),
      ],
      [
        'Entitlements',
        table(found.entitlements, ['entitlement', 'sku', 'starts_at', 'expires_at', 'revoked_at']),
      ],
      [
        'Recent attempts',
        table(found.attempts.slice(0, 20), ['created_at', 'order_id', 'source', 'outcome', 'toss_status']),
      ],
    ]),
  );
  return 0;
}

async function recheck(ctx: CommandContext): Promise<number> {
  if (!needs(ctx, '<orderId>')) return 1;
  const orderId = ctx.args[0] as string;
  const actor = ctx.options.apply ? await cliActor(ctx) : null;
  if (typeof actor === 'string') {
    ctx.out.error(actor);
    return 1;
  }
  const checked = await recheckOrder(ctx.deps, { orderId, userId: ctx.options.user });
  if (!checked.ok) {
    if (checked.code === 'TOSS_ERROR') {
      const { orderId: id, userId, error } = checked;
      ctx.out.print(
        { orderId: id, userId, error },
        () => `Toss could not answer: ${error.kind} (${error.message})`,
      );
    } else ctx.out.error(checked.error);
    return 1;
  }
  ctx.out.print(checked.report, () => fields({ ...checked.report, toss: checked.report.toss.status }));
  if (!actor) return 0;
  const applied = await applyRecheck(ctx.deps, {
    orderId,
    userId: checked.report.userId,
    reason: ctx.options.reason,
    actor,
  });
  ctx.out.print(
    applied,
    () =>
      `\napplied: ${applied.output.reason} (${applied.effect})${applied.auditId ? ` · audit ${applied.auditId}` : ''}`,
  );
  return 0;
}

async function credit(ctx: CommandContext): Promise<number> {
  const [user, currency, amountText] = ctx.args;
  if (!user || !currency || !amountText) {
    ctx.out.error('usage: ops credit <userId|userKey> <currency> <amount> --reason "..."');
    return 1;
  }
  const actor = await cliActor(ctx);
  if (typeof actor === 'string') {
    ctx.out.error(actor);
    return 1;
  }
  const result = await operatorCredit(ctx.deps, {
    user,
    currency,
    amount: Number(amountText),
    reason: ctx.options.reason ?? '',
    actor,
  });
  return printResult(ctx, result);
}

/** `ops operator dev` (run by `pnpm dev`): the dev approver and its password; refused on a production config. */
async function devOperator(ctx: CommandContext): Promise<number> {
  const { config } = ctx.deps;
  if (config.environment === 'production' || process.env.NODE_ENV === 'production') {
    ctx.out.error('ops operator dev is for dev stacks only (TOSS_ENVIRONMENT or NODE_ENV is production)');
    return 1;
  }
  const dev = await ensureDevOperator(ctx.deps, devOperatorFile(config));
  ctx.out.print(dev, () => fields(dev));
  return 0;
}

async function operatorCommand(ctx: CommandContext): Promise<number> {
  const [sub, name] = ctx.args;
  if (sub === 'dev') return devOperator(ctx);
  if (sub === 'list') {
    const operators = await listOperators(ctx.deps);
    ctx.out.print(operators, () => table(operators, ['name', 'role', 'createdAt', 'disabledAt']));
    return 0;
  }
  if (!name || !['add', 'disable', 'password'].includes(sub ?? '')) {
    ctx.out.error(
      'usage: ops operator add <name> --role viewer|approver | disable <name> | password <name> | list',
    );
    return 1;
  }
  const actor = await cliActor(ctx);
  if (typeof actor === 'string') {
    ctx.out.error(actor);
    return 1;
  }
  if (sub === 'disable') {
    const disabled = await disableOperator(ctx.deps, name, actor);
    if (!disabled) ctx.out.error(`no operator named ${name}`);
    else ctx.out.print(disabled, () => `${disabled.name} is disabled (sessions ended)`);
    return disabled ? 0 : 1;
  }
  const role = ctx.options.role as OperatorRole | undefined;
  if (sub === 'add' && !operatorRoles.includes(role as OperatorRole)) {
    ctx.out.error('--role viewer|approver is required');
    return 1;
  }
  const made =
    sub === 'add'
      ? await createOperator(ctx.deps, { name, role: role as OperatorRole }, actor)
      : await setOperatorPassword(ctx.deps, { name }, actor);
  const shown = { name: made.operator.name, role: made.operator.role, password: made.password };
  ctx.out.print(
    shown,
    () =>
      `${fields(shown)}\n\nGive the password to ${shown.name} over a private channel; it is not shown again.`,
  );
  return 0;
}

const reviewColumns = [
  'heldAt',
  'reference',
  'orderId',
  'sku',
  'salePrice',
  'environment',
  'holdReason',
  'tossStatus',
  'claims',
];

/** The traces every paid order leaves, and money owed (traces.ts): JSON documents, also on a terminal. */
const traceCommandEntries: Record<string, Command> = Object.fromEntries(
  traceCommands.map((name) => [
    name,
    {
      usage: traceCommandHelp[name][0],
      summary: traceCommandHelp[name][1],
      run: async (ctx: CommandContext) =>
        (await runTraceCommand(name, ctx.deps, ctx.deps.config, ctx.options, (value) =>
          ctx.out.print(value, () => JSON.stringify(value, null, 2)),
        )) ?? 1,
    },
  ]),
);

export const commands: Record<string, Command> = {
  ...traceCommandEntries,
  review: {
    usage: 'review',
    summary: 'HELD orders waiting for an operator, oldest first',
    run: async (ctx) => {
      const held = await listHeld(ctx.deps);
      // On a terminal, also the short reference the customer sees (`--json` keeps today's shape).
      const rows = held.map((h) => ({ ...h, reference: orderReference(h.orderId) }));
      ctx.out.print(held, () => table(rows, reviewColumns));
      return 0;
    },
  },
  approve: {
    usage: 'approve <orderId> --reason "..." [--as <operator>] [--sku <sku the settlement shows>]',
    summary: 'grant a HELD order (Toss is asked first; once; audited)',
    run: decide(operatorApprove),
  },
  deny: {
    usage: 'deny <orderId> --reason "..." [--as <operator>]',
    summary: 'refuse a HELD order for good (later claims: NOT_PAID)',
    run: decide(operatorDeny),
  },
  regrant: {
    usage: 'regrant <orderId> --reason "..." [--as <operator>]',
    summary: 'grant a revoked or refused order again',
    run: decide(operatorRegrant),
  },
  revoke: {
    usage: 'revoke <orderId> --reason "..." [--as <operator>]',
    summary: 'take back what a granted order gave',
    run: decide(operatorRevoke),
  },
  credit: {
    usage: 'credit <userId|userKey> <currency> <amount> --reason "..." [--as <operator>]',
    summary: 'a goodwill wallet credit (no order), audited',
    run: credit,
  },
  conflicts: {
    usage: 'conflicts',
    summary: 'recent claims of orders bound to another user',
    run: async (ctx) => {
      const rows = await listConflicts(ctx.deps);
      ctx.out.print(rows, () => table(rows));
      return 0;
    },
  },
  unverified: {
    usage: 'unverified [--since <iso date>] [--orders]',
    summary: 'grants whose SKU Toss did not state, per SKU (compare with the settlement)',
    run: async (ctx) => {
      const report = await unverifiedGrants(ctx.deps, {
        since: ctx.options.since ?? null,
        orders: ctx.options.orders,
      });
      ctx.out.print(report, () =>
        sections([
          [
            `Unverified grants${report.since ? ` since ${report.since}` : ''}: ${report.count}, sale total ${report.saleTotal} KRW`,
            table(report.bySku),
          ],
          ...(report.orders ? [['Orders', table(report.orders)] as [string, string]] : []),
        ]),
      );
      return 0;
    },
  },
  user: {
    usage: 'user <userId|userKey>',
    summary: "a user's orders, wallet ledger, entitlements, attempts",
    run: showUser,
  },
  order: {
    usage: 'order <orderId|reference>',
    summary: 'one order (by id or the A1B2-C3D4 reference the app shows)',
    run: showOrder,
  },
  recheck: {
    usage: 'recheck <orderId> [--user <userId>] [--apply [--reason "..."] [--as <operator>]]',
    summary: 'ask Toss for the status now; --apply acts on it through fulfill (audited)',
    run: recheck,
  },
  reconcile: {
    usage: 'reconcile',
    summary: 'run the reconcile job once (exit 2: something waits for a person)',
    run: async (ctx) => {
      const report = await reconcile(ctx.deps, ctx.deps.config.reconcile);
      ctx.out.print(report, () => fields(report));
      return report.stuck.length > 0 || report.held.length > 0 ? 2 : 0;
    },
  },
  operator: {
    usage: 'operator add <name> --role viewer|approver | disable <name> | password <name> | list',
    summary: 'console accounts (add and password print a generated password once)',
    run: operatorCommand,
  },
};
