/**
 * The control API's input and its errors: one zod schema per body, path segments, the handler shape, and the error
 * every handler throws (`orThrow` turns a ledger failure into it).
 */
import { StatusReading } from '@ait-iap/iap-contract';
import { z } from 'zod';
import { controlOrderStatuses } from '../ledger';
import {
  grantEndings,
  historyReadings,
  purchaseOutcomes,
  statusAfterCompleteReadings,
  wrongKindPurchaseReadings,
} from '../protocol';

/** Answered as `status` with `{ error: { code, message } }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const UserKey = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const Environment = z.enum(['toss', 'sandbox']);
export const schemas = {
  users: z.object({ userKey: UserKey.optional() }).strict(),
  orders: z
    .object({
      userKey: UserKey,
      sku: z.string().min(1).max(64),
      status: z.enum(controlOrderStatuses).optional(),
    })
    .strict(),
  settle: z.object({ to: z.enum(['paid', 'failed']) }).strict(),
  faults: z
    .object({
      kind: z.enum(['latency', 'error5xx', 'timeout', 'malformed']),
      rate: z.number().min(0).max(1).optional(),
      ms: z.number().int().min(0).max(600_000).optional(),
      count: z.number().int().positive().optional(),
      path: z.string().startsWith('/').optional(),
    })
    .strict(),
  clock: z.union([
    z
      .object({
        advanceMs: z
          .number()
          .int()
          .min(-10 * 365 * 86_400_000)
          .max(10 * 365 * 86_400_000),
      })
      .strict(),
    z.object({ set: z.iso.datetime({ offset: true }) }).strict(),
  ]),
  reading: z.object({ reading: StatusReading }).strict(),
  nextPurchase: z.object({ outcome: z.enum(purchaseOutcomes), userKey: UserKey.optional() }).strict(),
  options: z
    .object({
      revealSku: z.boolean().optional(),
      pageSize: z.number().int().min(1).max(100).optional(),
      grantDeadlineMs: z.number().int().min(1).max(120_000).optional(),
      statusReading: StatusReading.optional(),
      historyReading: z.enum(historyReadings).optional(),
      statusAfterComplete: z.enum(statusAfterCompleteReadings).optional(),
      wrongKindPurchase: z.enum(wrongKindPurchaseReadings).optional(),
    })
    .strict(),
  hostLogin: z
    .object({ userKey: UserKey, referrer: z.enum(['DEFAULT', 'SANDBOX']).default('DEFAULT') })
    .strict(),
  grant: z.object({ ending: z.enum(grantEndings) }).strict(),
  hostProducts: z.object({ environment: Environment }).strict(),
  hostCheckout: z
    .object({
      userKey: UserKey,
      sku: z.string().min(1).max(128),
      kind: z.enum(['one-time', 'subscription']),
      offerId: z.string().min(1).max(128).nullable().optional(),
      environment: Environment,
      legacy: z.boolean().optional(),
    })
    .strict(),
  hostOrder: z.object({ userKey: UserKey, orderId: z.string().min(1).max(128) }).strict(),
  hostGrant: z
    .object({ userKey: UserKey, orderId: z.string().min(1).max(128), ending: z.enum(grantEndings) })
    .strict(),
  hostUser: z.object({ userKey: UserKey }).strict(),
  hostCompleted: z.object({ userKey: UserKey, key: z.string().max(256).nullable().optional() }).strict(),
};

/** What a route handler gets: the parsed body and the decoded `:id` segment (400 when not valid percent-encoding). */
export interface RouteInput {
  body: unknown;
  id: () => string;
}
export type Handler = (input: RouteInput) => unknown;

/** A ledger result's value, or its failure as HTTP: NOT_FOUND → 404, anything else → 400. */
export function orThrow<T>(result: { ok: true; value: T } | { ok: false; code: string; message: string }): T {
  if (!result.ok) throw new HttpError(result.code === 'NOT_FOUND' ? 404 : 400, result.code, result.message);
  return result.value;
}

export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'INVALID_PATH', `bad path segment "${segment}"`);
  }
}

export function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body);
  if (!result.success) throw new HttpError(400, 'INVALID_INPUT', z.prettifyError(result.error));
  return result.data;
}
