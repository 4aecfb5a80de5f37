/**
 * Errors as values with codes. `AppError` carries a contract `AppErrorCode`; the tRPC error formatter copies it to
 * `error.data.appCode`, which the mini-app maps to Korean copy (`appErrorCopy`). You probably don't need to edit this.
 */
import type { AppErrorCode } from '@ait-iap/iap-contract';
import { TRPCError } from '@trpc/server';

type TrpcCode = ConstructorParameters<typeof TRPCError>[0]['code'];

const trpcCodeFor: Record<AppErrorCode, TrpcCode> = {
  UNAUTHORIZED: 'UNAUTHORIZED',
  SESSION_EXPIRED: 'UNAUTHORIZED',
  BAD_REQUEST: 'BAD_REQUEST',
  LOGIN_FAILED: 'UNAUTHORIZED',
  RATE_LIMITED: 'TOO_MANY_REQUESTS',
  UPSTREAM_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
};

/** A tRPC error whose `data.appCode` is `appCode`. */
export class AppError extends TRPCError {
  readonly appCode: AppErrorCode;
  constructor(appCode: AppErrorCode, message?: string, cause?: unknown) {
    super({
      code: trpcCodeFor[appCode],
      message: message ?? appCode,
      ...(cause === undefined ? {} : { cause }),
    });
    this.appCode = appCode;
  }
}

/** The appCode for an error that is not an AppError (zod failure, oversized body, bug). */
export function appCodeForTrpcCode(code: TRPCError['code']): AppErrorCode {
  switch (code) {
    case 'BAD_REQUEST':
    case 'PARSE_ERROR':
    case 'PAYLOAD_TOO_LARGE':
    case 'NOT_FOUND':
    case 'METHOD_NOT_SUPPORTED':
    case 'UNPROCESSABLE_CONTENT':
    case 'UNSUPPORTED_MEDIA_TYPE':
      return 'BAD_REQUEST';
    case 'UNAUTHORIZED':
      return 'UNAUTHORIZED';
    case 'TOO_MANY_REQUESTS':
      return 'RATE_LIMITED';
    case 'SERVICE_UNAVAILABLE':
    case 'GATEWAY_TIMEOUT':
    case 'BAD_GATEWAY':
      return 'UPSTREAM_UNAVAILABLE';
    default:
      return 'INTERNAL';
  }
}
