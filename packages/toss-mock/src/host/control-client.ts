/**
 * The browser host's and panel's calls to the mock's control port. Browser-safe. Every POST and DELETE carries
 * `Content-Type: application/json` (the control API refuses anything else with 415).
 */
export interface ControlClient {
  get<T>(path: string): Promise<T>;
  /** `keepalive`: the request may outlive the page (sent while it unloads). */
  post<T>(path: string, body?: unknown, init?: { keepalive?: boolean }): Promise<T>;
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
  async function call<T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
    keepalive = false,
  ): Promise<T> {
    let res: Response;
    try {
      res = await fetchImpl(`${base}${path}`, {
        method,
        ...(method === 'GET' ? {} : { headers: { 'content-type': 'application/json' } }),
        ...(method === 'POST' ? { body: JSON.stringify(body ?? {}) } : {}),
        ...(keepalive ? { keepalive: true } : {}),
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
    post: (path, body, init) => call('POST', path, body, init?.keepalive ?? false),
    delete: (path) => call('DELETE', path),
  };
}
