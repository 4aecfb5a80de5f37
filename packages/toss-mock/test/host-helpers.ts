import type { TossMockHost } from '../src/host/index';

export interface Recorded {
  events: unknown[];
  errors: { code?: unknown; message?: unknown; name?: unknown; isError: boolean }[];
  grants: { orderId: string; subscriptionId?: string }[];
}

export function recorder(): Recorded {
  return { events: [], errors: [], grants: [] };
}

export function recordError(rec: Recorded, error: unknown): void {
  const e = error as { code?: unknown; message?: unknown; name?: unknown };
  rec.errors.push({ code: e.code, message: e.message, name: e.name, isError: error instanceof Error });
}

/** Wait until `check` passes (polling), failing with its last error after `ms`. */
export async function eventually<T>(check: () => T | Promise<T>, ms = 5_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() - start > ms) throw error;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

export function messageTypes(host: TossMockHost, from = 0): string[] {
  return host.messages.slice(from).map((m) => `${m.type} ${m.functionName}`);
}
