/**
 * The support console's API (tRPC at `/trpc` on ADMIN_PORT only; the console app imports its TYPE):
 *   operator.login (anyone; rate-limited per address and per name) · operator.logout · operator.me
 *   ops.inbox · ops.review · ops.search · ops.order · ops.user · ops.askToss · ops.audit · ops.settlement (viewer)
 *   ops.approve · ops.deny · ops.regrant · ops.revoke · ops.credit (approver; each audited with the operator's name)
 * A fork normally does not edit this file; add a procedure here and its query in queries.ts.
 */
import { z } from 'zod';
import { createOperatorSession, revokeOperatorSession, verifyOperatorLogin } from '../auth/operators';
import { isoAt } from '../clock';
import { clientAddressKey } from '../http/rate-limit';
import { MAX_CREDIT_AMOUNT, recheckOrder } from '../ops/actions';
import { decide, type LastReconcileSource } from './decisions';
import * as read from './queries';
import { anonymousProcedure, approverProcedure, ConsoleError, router, viewerProcedure } from './trpc';

const text = (max: number) => z.string().trim().min(1).max(max);
const OrderRef = z.object({ orderId: text(200) });
const Reason = text(500);
const IsoTime = z.iso.datetime({ offset: true }).optional();

/** The one order named by id or reference; a clear 404 when none, AMBIGUOUS when a reference names several. */
async function orderIdOrNotFound(deps: read.ReadDeps, idOrReference: string): Promise<string> {
  const orderIds = await read.resolveOrderIds(deps, idOrReference);
  const [orderId] = orderIds;
  if (!orderId) throw new ConsoleError('NOT_FOUND', `No order ${idOrReference} (by id or reference)`);
  if (orderIds.length > 1) {
    throw new ConsoleError(
      'AMBIGUOUS',
      `Reference ${idOrReference} names ${orderIds.length} orders: use the order id`,
    );
  }
  return orderId;
}

const operatorRouter = router({
  login: anonymousProcedure
    .input(z.object({ name: text(64), password: z.string().min(1).max(256) }))
    .mutation(async ({ ctx, input }) => {
      // Input first (a malformed call costs nothing), then both limits, before any password is checked.
      // An attempt refused by its address's limit spends none of the name's tokens.
      const allowed =
        (await ctx.limits.loginPerAddress.take(`ip:${clientAddressKey(ctx.ip)}`)) &&
        (await ctx.limits.loginPerName.take(`name:${input.name.toLowerCase()}`));
      if (!allowed) throw new ConsoleError('RATE_LIMITED', 'Too many sign-in attempts; wait a minute');
      const operator = await verifyOperatorLogin(ctx.deps, input.name, input.password);
      if (!operator)
        throw new ConsoleError('LOGIN_FAILED', 'Wrong name or password (or the account is disabled)');
      const ttlSeconds = ctx.deps.config.admin?.sessionTtlSeconds;
      const session = await createOperatorSession(ctx.deps, operator.id, ttlSeconds ? { ttlSeconds } : {});
      ctx.setSessionCookie(session.token, new Date(session.expiresAt));
      ctx.deps.log.info('console.login', { operator: operator.name, role: operator.role });
      return { name: operator.name, role: operator.role };
    }),
  logout: viewerProcedure.mutation(async ({ ctx }) => {
    if (ctx.sessionToken) await revokeOperatorSession(ctx.deps, ctx.sessionToken);
    ctx.setSessionCookie(null);
    return { ok: true as const };
  }),
  me: viewerProcedure.query(({ ctx }) => ({ name: ctx.operator.name, role: ctx.operator.role })),
});

export function createOpsRouter(lastReconcile: LastReconcileSource) {
  return router({
    inbox: viewerProcedure.query(({ ctx }) => read.inbox(ctx.deps, lastReconcile())),
    /** HELD orders oldest first (the CLI's `ops review`). */
    review: viewerProcedure.query(async ({ ctx }) => (await read.inbox(ctx.deps, null)).held),
    search: viewerProcedure
      .input(
        z.object({
          query: z.string().trim().max(200).optional(),
          sku: z.string().trim().max(100).optional(),
          from: IsoTime,
          to: IsoTime,
        }),
      )
      .query(({ ctx, input }) => read.search(ctx.deps, input)),
    order: viewerProcedure.input(OrderRef).query(async ({ ctx, input }) => {
      const orderId = await orderIdOrNotFound(ctx.deps, input.orderId);
      const detail = await read.orderDetail(ctx.deps, orderId);
      if (!detail) throw new ConsoleError('NOT_FOUND', `No order ${input.orderId}`);
      return detail;
    }),
    user: viewerProcedure.input(z.object({ userId: text(200) })).query(async ({ ctx, input }) => {
      const detail = await read.userDetail(ctx.deps, input.userId);
      if (!detail) throw new ConsoleError('NOT_FOUND', `No user ${input.userId} (by id or user key)`);
      return detail;
    }),
    /** Ask Toss for the order's status now; changes nothing (the decision that would follow is shown, not taken). */
    askToss: viewerProcedure.input(OrderRef).mutation(async ({ ctx, input }) => {
      const orderId = await orderIdOrNotFound(ctx.deps, input.orderId);
      const outcome = await recheckOrder(ctx.deps, { orderId });
      if (outcome.ok) {
        const { report } = outcome;
        return {
          orderId,
          askedAt: isoAt(ctx.deps.clock.now()),
          status: report.toss.status,
          statedSku: report.toss.sku ?? null,
          decision: report.decision,
          ledgerState: report.ledger,
        };
      }
      if (outcome.code === 'TOSS_ERROR') {
        throw new ConsoleError('UPSTREAM_UNAVAILABLE', `Toss did not answer: ${outcome.error.kind}`);
      }
      throw new ConsoleError('NOT_FOUND', outcome.error);
    }),
    audit: viewerProcedure
      .input(
        z.object({
          operator: z.string().trim().max(64).optional(),
          action: z.string().trim().max(32).optional(),
          orderId: z.string().trim().max(200).optional(),
          userId: z.string().trim().max(200).optional(),
          from: IsoTime,
          to: IsoTime,
        }),
      )
      .query(({ ctx, input }) => read.auditLog(ctx.deps, input)),
    settlement: viewerProcedure
      .input(z.object({ since: IsoTime }))
      .query(({ ctx, input }) => read.settlement(ctx.deps, input.since ?? null)),
    approve: approverProcedure
      .input(OrderRef.extend({ reason: Reason, sku: z.string().trim().min(1).max(100).optional() }))
      .mutation(async ({ ctx, input }) => {
        const orderId = await orderIdOrNotFound(ctx.deps, input.orderId);
        return decide(ctx, 'approve', { orderId, reason: input.reason, sku: input.sku });
      }),
    deny: approverProcedure.input(OrderRef.extend({ reason: Reason })).mutation(async ({ ctx, input }) => {
      const orderId = await orderIdOrNotFound(ctx.deps, input.orderId);
      return decide(ctx, 'deny', { orderId, reason: input.reason });
    }),
    regrant: approverProcedure.input(OrderRef.extend({ reason: Reason })).mutation(async ({ ctx, input }) => {
      const orderId = await orderIdOrNotFound(ctx.deps, input.orderId);
      return decide(ctx, 'regrant', { orderId, reason: input.reason });
    }),
    revoke: approverProcedure.input(OrderRef.extend({ reason: Reason })).mutation(async ({ ctx, input }) => {
      const orderId = await orderIdOrNotFound(ctx.deps, input.orderId);
      return decide(ctx, 'revoke', { orderId, reason: input.reason });
    }),
    /** A goodwill credit to a user's wallet (a currency the catalog grants), audited. */
    credit: approverProcedure
      .input(
        z.object({
          userId: text(200),
          currency: text(32),
          amount: z.number().int().min(1).max(MAX_CREDIT_AMOUNT),
          reason: Reason,
        }),
      )
      .mutation(({ ctx, input }) => {
        const { userId, ...rest } = input;
        return decide(ctx, 'credit', { ...rest, user: userId });
      }),
  });
}

export function createConsoleRouter(lastReconcile: LastReconcileSource) {
  return router({ operator: operatorRouter, ops: createOpsRouter(lastReconcile) });
}

export type ConsoleRouter = ReturnType<typeof createConsoleRouter>;
