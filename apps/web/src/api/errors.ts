/**
 * Server errors as values: tRPC errors carry `error.data.appCode` (contract `AppErrorCode`); a request that never
 * reached the server is `NETWORK`. The UI shows `apiErrorCopy(code)`.
 */
import { AppErrorCode, appErrorCopy } from '@ait-iap/iap-contract';
import { copy } from '../copy';

export type ApiErrorCode = AppErrorCode | 'NETWORK';

/** The `appCode` of a tRPC error, `NETWORK` when there was no server answer, else `INTERNAL`. Never throws. */
export function apiErrorCode(error: unknown): ApiErrorCode {
  if (typeof error !== 'object' || error === null) return 'INTERNAL';
  const data = (error as { data?: unknown }).data;
  if (typeof data === 'object' && data !== null) {
    const parsed = AppErrorCode.safeParse((data as { appCode?: unknown }).appCode);
    if (parsed.success) return parsed.data;
    const httpStatus = (data as { httpStatus?: unknown }).httpStatus;
    if (httpStatus === 401) return 'UNAUTHORIZED';
    return 'INTERNAL';
  }
  // TRPCClientError without data: fetch failed, or the answer was not tRPC JSON.
  return 'NETWORK';
}

/** The HTTP status of a failed server call, when the server (or a proxy in front of it) answered at all. */
export function httpStatusOf(error: unknown): number | null {
  if (typeof error !== 'object' || error === null) return null;
  const data = (error as { data?: { httpStatus?: unknown } }).data;
  if (typeof data?.httpStatus === 'number') return data.httpStatus;
  const response = (error as { meta?: { response?: { status?: unknown } } }).meta?.response;
  return typeof response?.status === 'number' ? response.status : null;
}

/**
 * Did this call fail on the way (worth trying again) rather than get the server's decision? True for a request that
 * never got an answer (network error, our own timeout), HTTP 5xx and 429. False for any other HTTP answer (a 4xx app
 * error is the server's decision) and for a failed Toss login (`IapLoginError`: asking again does not help).
 */
export function isTransportFailure(error: unknown): boolean {
  if (error instanceof Error && error.name === 'IapLoginError') return false;
  const status = httpStatusOf(error);
  if (status === null) return true;
  return status >= 500 || status === 429;
}

export function isAuthError(error: unknown): boolean {
  const code = apiErrorCode(error);
  return code === 'UNAUTHORIZED' || code === 'SESSION_EXPIRED';
}

export function apiErrorCopy(code: ApiErrorCode): { title: string; description: string } {
  if (code === 'NETWORK') return copy.network;
  return { title: appErrorCopy[code], description: '' };
}
