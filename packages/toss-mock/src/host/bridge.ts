/**
 * The bridge's wire, both ways: the messages the page posts, the answers the host emits (asynchronous and
 * JSON-round-tripped, to the emitter the SDK installed) and the rejection shape. Browser-safe.
 */
import { ControlError } from './control-client';

export interface BridgeMessage {
  type: 'method' | 'addEventListener' | 'removeEventListener';
  functionName: string;
  eventId: string;
  args?: unknown;
}

interface Emitter {
  emit(event: string, payload: unknown): void;
}
export type HostWindow = Window & {
  ReactNativeWebView?: { postMessage(message: string): void };
  __CONSTANT_HANDLER_MAP?: Record<string, unknown>;
  __GRANITE_NATIVE_EMITTER?: Emitter;
};

/** A rejection the SDK caller sees with this `code`. */
export class BridgeFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Emit = (name: string, payload: unknown) => void;

/** Answers go to `__GRANITE_NATIVE_EMITTER`, looked up at emit time (the SDK replaces it on import). */
export function createEmit(win: HostWindow): Emit {
  return (name, payload) => {
    const copy = payload === undefined ? undefined : JSON.parse(JSON.stringify(payload));
    setTimeout(() => win.__GRANITE_NATIVE_EMITTER?.emit(name, copy), 0);
  };
}

export const errorPayload = (code: string, message: string) => ({
  name: 'Error',
  message,
  code,
  __isError: true,
});

export function toFailure(error: unknown): { code: string; message: string } {
  if (error instanceof BridgeFailure) return { code: error.code, message: error.message };
  if (error instanceof ControlError) return { code: 'INTERNAL_ERROR', message: error.message };
  return { code: 'INTERNAL_ERROR', message: String(error) };
}

export function stringArg(args: unknown[], index: number, name: string): string {
  const value = args[index];
  if (typeof value !== 'string') throw new BridgeFailure('INVALID_PARAMETER', `${name} (string) is required`);
  return value;
}

export function orderIdOf(args: unknown[]): string {
  const orderId = (args[0] as { params?: { orderId?: unknown } } | undefined)?.params?.orderId;
  if (typeof orderId !== 'string' || orderId === '') {
    throw new BridgeFailure('INVALID_PARAMETER', 'params.orderId (string) is required');
  }
  return orderId;
}
