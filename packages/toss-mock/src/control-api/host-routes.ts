/** Internal routes for the browser host (`src/host`), under /__mock/host/*: login, products, checkout, grants. */
import type { MockState } from '../ledger';
import type { CheckoutRequest, GrantRecorded } from '../protocol';
import { decodeSegment, type Handler, HttpError, orThrow, parse, schemas } from './schemas';

function hostRoutes(state: MockState): Record<string, Handler> {
  return {
    'POST login': ({ body }) => {
      const input = parse(schemas.hostLogin, body);
      return {
        authorizationCode: state.issueAuthorizationCode(input.userKey, input.referrer),
        referrer: input.referrer,
      };
    },
    'POST products': ({ body }) => ({
      products: state.products(parse(schemas.hostProducts, body).environment),
    }),
    'POST checkout': ({ body }) => state.beginCheckout(parse(schemas.hostCheckout, body) as CheckoutRequest),
    'POST checkout/:id/pay': ({ id }) => orThrow(state.payCheckout(id())),
    'POST checkout/:id/cancel': ({ id }) => ({ ok: state.cancelCheckout(id()) }),
    'POST grant': ({ body }) => {
      const input = parse(schemas.hostGrant, body);
      const order = orThrow(state.endGrant(input.orderId, input.ending, input.userKey));
      return { ok: true, ending: order.grantEnding! } satisfies GrantRecorded;
    },
    'POST complete': ({ body }) => {
      const input = parse(schemas.hostOrder, body);
      return state.completeGrant(input.orderId, input.userKey);
    },
    'POST pending': ({ body }) => ({ orders: state.pendingOrders(parse(schemas.hostUser, body).userKey) }),
    'POST completed': ({ body }) => {
      const input = parse(schemas.hostCompleted, body);
      return orThrow(state.completedOrRefunded(input.userKey, input.key));
    },
    'POST subscription': ({ body }) => {
      const input = parse(schemas.hostOrder, body);
      const subscription = state.subscriptionInfo(input.orderId, input.userKey);
      if (!subscription) throw new HttpError(404, 'NOT_FOUND', `no subscription for order ${input.orderId}`);
      return { subscription };
    },
  };
}

/** The host's router; `rest` is the path segments after /__mock/host. */
export function createHostRouter(state: MockState) {
  const routes = hostRoutes(state);
  return function hostRoute(method: string, rest: string[], body: unknown): unknown {
    const key = `${method} ${rest.map((s, i) => (rest[0] === 'checkout' && i === 1 ? ':id' : s)).join('/')}`;
    if (Object.hasOwn(routes, key)) return routes[key]!({ body, id: () => decodeSegment(rest[1]!) });
    throw new HttpError(404, 'NOT_FOUND', `no host route ${method} /${rest.join('/')}`);
  };
}
