/** The browser host's calls to the mock's control port (`/__mock/host/*`). Browser-safe. */
export interface ControlClient {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  delete<T>(path: string): Promise<T>;
}

export class ControlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

export function createControlClient(controlUrl: string, fetchImpl: typeof fetch): ControlClient {
  const base = controlUrl.replace(/\/+$/, '');
  async function call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetchImpl(`${base}${path}`, {
        method,
        ...(method === 'POST'
          ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) }
          : {}),
      });
    } catch (error) {
      throw new ControlError(
        0,
        'MOCK_UNREACHABLE',
        `toss-mock control API unreachable at ${base}: ${String(error)}`,
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new ControlError(res.status, 'MOCK_BAD_REPLY', `toss-mock replied with non-JSON to ${path}`);
    }
    if (!res.ok) {
      const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new ControlError(res.status, error?.code ?? 'MOCK_ERROR', error?.message ?? `HTTP ${res.status}`);
    }
    return json as T;
  }
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body),
    delete: (path) => call('DELETE', path),
  };
}
