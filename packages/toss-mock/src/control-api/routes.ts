/**
 * The control API's routes under /__mock/*: the ledger (state, reset, users, orders, subscriptions) and the
 * scenario (faults, clock, status reading, next purchase, options, catalog). Each route is one small handler in a
 * table keyed `METHOD head[/:id][/action]`; the browser host's routes are in host-routes.ts.
 * Add a route here when you add a scenario; keep the README's table in step.
 */
import { z } from 'zod';
import { type MockState, subscriptionActions } from '../ledger';
import type { GrantRecorded } from '../protocol';
import { createHostRouter } from './host-routes';
import { decodeSegment, type Handler, HttpError, orThrow, parse, schemas } from './schemas';

export interface RoutesDeps {
  state: MockState;
  /** Re-read the catalog file (`POST /__mock/catalog`). */
  reloadCatalog: () => Promise<{ products: number }>;
}

function ledgerRoutes(state: MockState): Record<string, Handler> {
  return {
    'GET health': () => ({ ok: true }),
    'GET state': () => state.snapshot(),
    'POST reset': () => {
      state.reset();
      return { ok: true };
    },
    'POST users': ({ body }) => {
      const input = parse(schemas.users, body);
      const user = state.ensureUser(input.userKey);
      return { userKey: user.userKey, authorizationCode: state.issueAuthorizationCode(user.userKey) };
    },
    'POST orders': ({ body }) => {
      const order = state.createOrder(parse(schemas.orders, body));
      return {
        orderId: order.orderId,
        ...(order.subscriptionId ? { subscriptionId: order.subscriptionId } : {}),
      };
    },
    'POST orders/:id/refund': ({ id }) => {
      orThrow(state.refund(id()));
      return { ok: true };
    },
    'POST orders/:id/grant': ({ body, id }) => {
      const input = parse(schemas.grant, body);
      const order = orThrow(state.endGrant(id(), input.ending));
      return { ok: true, ending: order.grantEnding! } satisfies GrantRecorded;
    },
    'POST orders/:id/settle': ({ body, id }) => {
      const input = parse(schemas.settle, body);
      orThrow(state.settlePayment(id(), input.to));
      return { ok: true };
    },
  };
}

function scenarioRoutes({ state, reloadCatalog }: RoutesDeps): Record<string, Handler> {
  return {
    'POST faults': ({ body }) => ({ fault: state.addFault(parse(schemas.faults, body)) }),
    'DELETE faults': () => {
      state.clearFaults();
      return { ok: true };
    },
    'POST clock': ({ body }) => {
      const input = parse(schemas.clock, body);
      const now =
        'advanceMs' in input ? state.clock.advance(input.advanceMs) : state.clock.set(new Date(input.set));
      state.settleSubscriptions();
      return { now: now.toISOString() };
    },
    'POST status-reading': ({ body }) => {
      const input = parse(schemas.reading, body);
      state.setOptions({ statusReading: input.reading });
      return { reading: input.reading };
    },
    'POST next-purchase': ({ body }) => {
      const input = parse(schemas.nextPurchase, body);
      state.queueOutcome(input.outcome, input.userKey ?? null);
      return { queued: state.outcomes.length };
    },
    'DELETE next-purchase': () => {
      state.outcomes.length = 0;
      return { ok: true };
    },
    'POST options': ({ body }) => ({ options: state.setOptions(parse(schemas.options, body)) }),
    'POST catalog': async () => {
      try {
        return await reloadCatalog();
      } catch (error) {
        throw new HttpError(400, 'INVALID_CATALOG', (error as Error).message);
      }
    },
  };
}

/** `POST /__mock/subscriptions/:orderId/<action>`. */
function subscriptionRoute(state: MockState, id: string, action: string): unknown {
  const parsedAction = z.enum(subscriptionActions).safeParse(action);
  if (!parsedAction.success) {
    throw new HttpError(
      404,
      'NOT_FOUND',
      `unknown subscription action "${action}" (${subscriptionActions.join(', ')})`,
    );
  }
  return { subscription: orThrow(state.subscriptionAction(decodeSegment(id), parsedAction.data)) };
}

/** The router: a request's method, path (no trailing slash) and parsed body → the JSON answer, or an HttpError. */
export function createRouter(deps: RoutesDeps) {
  const routes = { ...ledgerRoutes(deps.state), ...scenarioRoutes(deps) };
  const hostRoute = createHostRouter(deps.state);
  return async function route(method: string, path: string, body: unknown): Promise<unknown> {
    const segments = path.split('/').filter(Boolean);
    if (segments[0] !== '__mock') throw new HttpError(404, 'NOT_FOUND', `no route ${method} ${path}`);
    const [, head, id, action, extra] = segments;
    const key = `${method} ${head ?? ''}${id === undefined ? '' : '/:id'}${action === undefined ? '' : `/${action}`}`;
    if (Object.hasOwn(routes, key)) return routes[key]!({ body, id: () => decodeSegment(id!) });
    if (method === 'POST' && head === 'subscriptions' && id && action && extra === undefined) {
      return subscriptionRoute(deps.state, id, action);
    }
    if (head === 'host') return hostRoute(method, segments.slice(2), body);
    throw new HttpError(404, 'NOT_FOUND', `no route ${method} ${path}`);
  };
}
