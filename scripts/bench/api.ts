/**
 * What the bench says to the servers, over plain HTTP: the fulfillment server's tRPC procedures (no transformer:
 * the input is the body, the output is `result.data`), the baseline's `/fulfill`, and toss-mock's control API.
 */
import type { FulfillOutput, LoginOutput } from '@ait-iap/iap-contract';
import type { JsonClient, JsonResponse } from './http';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    what: string,
  ) {
    super(`${what}: HTTP ${status} ${JSON.stringify(body)?.slice(0, 300)}`);
  }
}

function data<T>(res: JsonResponse, what: string): T {
  const body = res.body as { result?: { data?: T } } | undefined;
  if (res.status !== 200 || body?.result?.data === undefined) throw new ApiError(res.status, res.body, what);
  return body.result.data;
}

/** The appCode of a tRPC error answer (`error.data.appCode`), if any. */
export function appCodeOf(body: unknown): string | undefined {
  return (body as { error?: { data?: { appCode?: string } } } | undefined)?.error?.data?.appCode;
}

export function serverApi(client: JsonClient, baseUrl: string) {
  return {
    async login(authorizationCode: string): Promise<LoginOutput> {
      const res = await client.request('POST', `${baseUrl}/trpc/auth.login`, {
        authorizationCode,
        referrer: 'DEFAULT',
      });
      return data<LoginOutput>(res, 'auth.login');
    },
    /** The raw answer: callers decide what a non-200 means in their scenario. */
    fulfillRaw(token: string, orderId: string, sku: string): Promise<JsonResponse> {
      return client.request(
        'POST',
        `${baseUrl}/trpc/iap.fulfill`,
        { orderId, sku },
        { authorization: `Bearer ${token}` },
      );
    },
    async fulfill(token: string, orderId: string, sku: string): Promise<FulfillOutput> {
      return data<FulfillOutput>(await this.fulfillRaw(token, orderId, sku), 'iap.fulfill');
    },
    async inventory(token: string): Promise<{ balances: Record<string, number> }> {
      const res = await client.request('GET', `${baseUrl}/trpc/me.inventory`, undefined, {
        authorization: `Bearer ${token}`,
      });
      return data<{ balances: Record<string, number> }>(res, 'me.inventory');
    },
  };
}
export type ServerApi = ReturnType<typeof serverApi>;

export function mockControl(client: JsonClient, controlUrl: string) {
  const call = async <T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> => {
    const res = await client.request(method, `${controlUrl}${path}`, body);
    if (res.status < 200 || res.status >= 300)
      throw new ApiError(res.status, res.body, `mock ${method} ${path}`);
    return res.body as T;
  };
  return {
    createUser: () => call<{ userKey: number; authorizationCode: string }>('POST', '/__mock/users', {}),
    freshCode: (userKey: number) =>
      call<{ userKey: number; authorizationCode: string }>('POST', '/__mock/users', { userKey }),
    createOrder: (userKey: number, sku: string) =>
      call<{ orderId: string }>('POST', '/__mock/orders', { userKey, sku }),
    addFault: (fault: {
      kind: 'latency' | 'error5xx' | 'timeout' | 'malformed';
      rate?: number;
      ms?: number;
    }) => call<unknown>('POST', '/__mock/faults', fault),
    clearFaults: () => call<unknown>('DELETE', '/__mock/faults', {}),
    state: () => call<unknown>('GET', '/__mock/state'),
  };
}
export type MockControl = ReturnType<typeof mockControl>;
