/**
 * The control API (plain HTTP on loopback, JSON, under /__mock/*): tests, the seed script, the dev panel and the
 * browser host drive the shared ledger through it. Bad input → 400 `{ error: { code, message } }`; unknown route →
 * 404; nothing here may crash the process.
 * Who may call it: only loopback pages (an `Origin` of http(s)://localhost|127.0.0.1|[::1] with any port) or callers
 * that send no `Origin` (Node, curl) — else 403; and every POST/DELETE must be `Content-Type: application/json` — else
 * 415. So a web page open in the developer's browser can neither call it cross-origin nor slip a "simple" text/plain
 * POST past CORS to refund orders or reset the mock. CORS answers (and preflights) loopback origins only.
 * Add a route here when you add a scenario; keep the README's table in step.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:http';
import { StatusReading } from '@ait-iap/iap-contract';
import { z } from 'zod';
import { readJsonBody, sendJson } from './http';
import { controlOrderStatuses, type MockState, subscriptionActions } from './ledger';
import {
  type CheckoutRequest,
  type GrantRecorded,
  grantEndings,
  historyReadings,
  purchaseOutcomes,
  statusAfterCompleteReadings,
  wrongKindPurchaseReadings,
} from './protocol';

export interface ControlApiDeps {
  state: MockState;
  /** Re-read the catalog file (`POST /__mock/catalog`). */
  reloadCatalog: () => Promise<{ products: number }>;
  /** The image file of a product's icon (`GET /__mock/icons/<sku>.png`), or null. */
  iconFile?: (sku: string) => string | null;
  log?: (line: string) => void;
}

class HttpError extends Error {
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
const schemas = {
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

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'INVALID_PATH', `bad path segment "${segment}"`);
  }
}

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body);
  if (!result.success) throw new HttpError(400, 'INVALID_INPUT', z.prettifyError(result.error));
  return result.data;
}

/** Loopback page origins (any port): the mini-app in dev, the panel, test pages. */
export const loopbackOrigin = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;
export const loopbackHost = /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i;

/** `application/json`, with or without parameters (`; charset=utf-8`). */
function isJson(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === 'application/json';
}

export function createControlServer(deps: ControlApiDeps): Server {
  const { state } = deps;
  const log = deps.log ?? (() => {});

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) {
        sendJson(res, error.status, { error: { code: error.code, message: error.message } }, cors(req));
        return;
      }
      log(`control: internal error ${(error as Error).stack ?? error}`);
      sendJson(res, 500, { error: { code: 'INTERNAL', message: (error as Error).message } }, cors(req));
    });
  });

  function cors(req: IncomingMessage): Record<string, string> {
    const origin = req.headers.origin;
    if (typeof origin !== 'string' || !loopbackOrigin.test(origin)) return {};
    return {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
      'access-control-allow-headers': 'content-type',
      'access-control-max-age': '600',
      vary: 'Origin',
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname.replace(/\/+$/, '') || '/';
    const origin = req.headers.origin;
    // DNS rebinding: a page on evil.example resolved to 127.0.0.1 is same-origin to itself and sends no Origin on a
    // GET, but its Host header still names its own domain.
    const host = req.headers.host ?? '';
    if (!loopbackHost.test(host)) {
      req.resume();
      throw new HttpError(
        403,
        'FORBIDDEN_HOST',
        `the control API answers only loopback hosts, not ${host || 'none'}`,
      );
    }
    if (origin !== undefined && !loopbackOrigin.test(origin)) {
      req.resume();
      throw new HttpError(
        403,
        'FORBIDDEN_ORIGIN',
        `the control API answers only loopback pages (http(s)://localhost, 127.0.0.1 or [::1]), not ${origin}`,
      );
    }
    if (
      method !== 'GET' &&
      method !== 'HEAD' &&
      method !== 'OPTIONS' &&
      !isJson(req.headers['content-type'])
    ) {
      req.resume();
      throw new HttpError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `${method} needs Content-Type: application/json (got ${req.headers['content-type'] ?? 'none'})`,
      );
    }
    if (method === 'OPTIONS') {
      req.resume();
      res.writeHead(204, { ...cors(req), 'access-control-allow-private-network': 'true' });
      res.end();
      return;
    }
    if (method === 'GET' && path.startsWith('/__mock/icons/')) {
      req.resume();
      await sendIcon(res, decodeSegment(path.slice('/__mock/icons/'.length)));
      return;
    }
    let body: unknown = {};
    if (method === 'POST') {
      const read = await readJsonBody(req);
      if (!read.ok) throw new HttpError(400, 'INVALID_JSON', read.message);
      body = read.value;
    } else {
      req.resume();
    }
    const result = await route(method, path, body);
    if (method !== 'GET' && !path.startsWith('/__mock/host/')) log(`control: ${method} ${path}`);
    sendJson(res, 200, result, cors(req));
  }

  /** A product's icon: the catalog's own PNG, so a client shows real images without leaving the machine. */
  async function sendIcon(res: ServerResponse, file: string): Promise<void> {
    const sku = /^(.+)\.png$/i.exec(file)?.[1];
    const path = sku ? deps.iconFile?.(sku) : null;
    if (!path) throw new HttpError(404, 'NOT_FOUND', `no icon ${file}`);
    let png: Buffer;
    try {
      png = await readFile(path);
    } catch {
      throw new HttpError(404, 'NOT_FOUND', `the catalog image for ${sku} is missing`);
    }
    res.writeHead(200, {
      'content-type': 'image/png',
      'content-length': png.length,
      'cache-control': 'no-cache',
      // An <img> on the mini-app's page (another loopback port) may show it.
      'cross-origin-resource-policy': 'cross-origin',
    });
    res.end(png);
  }

  async function route(method: string, path: string, body: unknown): Promise<unknown> {
    const segments = path.split('/').filter(Boolean);
    if (segments[0] !== '__mock') throw new HttpError(404, 'NOT_FOUND', `no route ${method} ${path}`);
    const [, head, id, action, extra] = segments;
    const key = `${method} ${head ?? ''}${id === undefined ? '' : '/:id'}${action === undefined ? '' : `/${action}`}`;
    const requireId = () => decodeSegment(id!);

    switch (key) {
      case 'GET health':
        return { ok: true };
      case 'GET state':
        return state.snapshot();
      case 'POST reset':
        state.reset();
        return { ok: true };
      case 'POST users': {
        const input = parse(schemas.users, body);
        const user = state.ensureUser(input.userKey);
        return { userKey: user.userKey, authorizationCode: state.issueAuthorizationCode(user.userKey) };
      }
      case 'POST orders': {
        const input = parse(schemas.orders, body);
        const order = state.createOrder(input);
        return {
          orderId: order.orderId,
          ...(order.subscriptionId ? { subscriptionId: order.subscriptionId } : {}),
        };
      }
      case 'POST orders/:id/refund': {
        const result = state.refund(requireId());
        if (!result.ok)
          throw new HttpError(result.code === 'NOT_FOUND' ? 404 : 400, result.code, result.message);
        return { ok: true };
      }
      case 'POST orders/:id/grant': {
        const input = parse(schemas.grant, body);
        const result = state.endGrant(requireId(), input.ending);
        if (!result.ok) throw new HttpError(404, result.code, result.message);
        return { ok: true, ending: result.value.grantEnding! } satisfies GrantRecorded;
      }
      case 'POST orders/:id/settle': {
        const input = parse(schemas.settle, body);
        const result = state.settlePayment(requireId(), input.to);
        if (!result.ok)
          throw new HttpError(result.code === 'NOT_FOUND' ? 404 : 400, result.code, result.message);
        return { ok: true };
      }
      case 'POST faults': {
        const fault = state.addFault(parse(schemas.faults, body));
        return { fault };
      }
      case 'DELETE faults':
        state.clearFaults();
        return { ok: true };
      case 'POST clock': {
        const input = parse(schemas.clock, body);
        const now =
          'advanceMs' in input ? state.clock.advance(input.advanceMs) : state.clock.set(new Date(input.set));
        state.settleSubscriptions();
        return { now: now.toISOString() };
      }
      case 'POST status-reading': {
        const input = parse(schemas.reading, body);
        state.setOptions({ statusReading: input.reading });
        return { reading: input.reading };
      }
      case 'POST next-purchase': {
        const input = parse(schemas.nextPurchase, body);
        state.queueOutcome(input.outcome, input.userKey ?? null);
        return { queued: state.outcomes.length };
      }
      case 'DELETE next-purchase':
        state.outcomes.length = 0;
        return { ok: true };
      case 'POST options':
        return { options: state.setOptions(parse(schemas.options, body)) };
      case 'POST catalog':
        try {
          return await deps.reloadCatalog();
        } catch (error) {
          throw new HttpError(400, 'INVALID_CATALOG', (error as Error).message);
        }
    }

    if (method === 'POST' && head === 'subscriptions' && id && action && extra === undefined) {
      const parsedAction = z.enum(subscriptionActions).safeParse(action);
      if (!parsedAction.success) {
        throw new HttpError(
          404,
          'NOT_FOUND',
          `unknown subscription action "${action}" (${subscriptionActions.join(', ')})`,
        );
      }
      const result = state.subscriptionAction(requireId(), parsedAction.data);
      if (!result.ok) throw new HttpError(404, result.code, result.message);
      return { subscription: result.value };
    }

    if (head === 'host') return hostRoute(method, segments.slice(2), body);
    throw new HttpError(404, 'NOT_FOUND', `no route ${method} ${path}`);
  }

  /** Internal routes for the browser host (`src/host`). */
  function hostRoute(method: string, rest: string[], body: unknown): unknown {
    const key = `${method} ${rest.map((s, i) => (rest[0] === 'checkout' && i === 1 ? ':id' : s)).join('/')}`;
    switch (key) {
      case 'POST login': {
        const input = parse(schemas.hostLogin, body);
        return {
          authorizationCode: state.issueAuthorizationCode(input.userKey, input.referrer),
          referrer: input.referrer,
        };
      }
      case 'POST products':
        return { products: state.products(parse(schemas.hostProducts, body).environment) };
      case 'POST checkout':
        return state.beginCheckout(parse(schemas.hostCheckout, body) as CheckoutRequest);
      case 'POST checkout/:id/pay': {
        const result = state.payCheckout(decodeSegment(rest[1]!));
        if (!result.ok) throw new HttpError(400, result.code, result.message);
        return result.value;
      }
      case 'POST checkout/:id/cancel':
        return { ok: state.cancelCheckout(decodeSegment(rest[1]!)) };
      case 'POST grant': {
        const input = parse(schemas.hostGrant, body);
        const result = state.endGrant(input.orderId, input.ending, input.userKey);
        if (!result.ok) throw new HttpError(404, result.code, result.message);
        return { ok: true, ending: result.value.grantEnding! } satisfies GrantRecorded;
      }
      case 'POST complete': {
        const input = parse(schemas.hostOrder, body);
        return state.completeGrant(input.orderId, input.userKey);
      }
      case 'POST pending':
        return { orders: state.pendingOrders(parse(schemas.hostUser, body).userKey) };
      case 'POST completed': {
        const input = parse(schemas.hostCompleted, body);
        const result = state.completedOrRefunded(input.userKey, input.key);
        if (!result.ok) throw new HttpError(400, result.code, result.message);
        return result.value;
      }
      case 'POST subscription': {
        const input = parse(schemas.hostOrder, body);
        const subscription = state.subscriptionInfo(input.orderId, input.userKey);
        if (!subscription)
          throw new HttpError(404, 'NOT_FOUND', `no subscription for order ${input.orderId}`);
        return { subscription };
      }
    }
    throw new HttpError(404, 'NOT_FOUND', `no host route ${method} /${rest.join('/')}`);
  }

  return server;
}
