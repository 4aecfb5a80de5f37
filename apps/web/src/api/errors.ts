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

export function isAuthError(error: unknown): boolean {
  const code = apiErrorCode(error);
  return code === 'UNAUTHORIZED' || code === 'SESSION_EXPIRED';
}

export function apiErrorCopy(code: ApiErrorCode): { title: string; description: string } {
  if (code === 'NETWORK') return copy.network;
  return { title: appErrorCopy[code], description: '' };
}
