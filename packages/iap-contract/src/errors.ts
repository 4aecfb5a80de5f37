/**
 * The SDK's purchase error codes, with the Korean copy a user sees and what they can do next. The copy promises only
 * what will happen, under every status reading of the mock (apps/web/README.md, "Outcome × reading"); one state, one
 * phrase: "구매 중에 상품을 지급하지 못했어요" is every paid-but-not-granted-yet ending the app re-checks by itself.
 * `toIapError(unknown)` turns anything the SDK (or an old Toss app) throws into one typed value; it never throws.
 */

export const iapErrorCodes = [
  'INVALID_PRODUCT_ID',
  'PAYMENT_PENDING',
  'NETWORK_ERROR',
  'INVALID_USER_ENVIRONMENT',
  'ITEM_ALREADY_OWNED',
  'APP_MARKET_VERIFICATION_FAILED',
  'TOSS_SERVER_VERIFICATION_FAILED',
  'INTERNAL_ERROR',
  'KOREAN_ACCOUNT_ONLY',
  'USER_CANCELED',
  'PRODUCT_NOT_GRANTED_BY_PARTNER',
] as const;
export type SdkIapErrorCode = (typeof iapErrorCodes)[number];

/** Codes of our own for failures the SDK gives no code for. */
export type LocalIapErrorCode =
  /** An old Toss app resolved `undefined`, or the feature is below its minimum app version. */
  | 'UNSUPPORTED_APP_VERSION'
  /** Not running inside Toss (no bridge) and no mock host installed. */
  | 'HOST_UNAVAILABLE'
  /** Anything else, including a bare `Error` with no `code` (SDK 3.x). */
  | 'UNKNOWN';
export type IapErrorCode = SdkIapErrorCode | LocalIapErrorCode;

/** What the user can do next. The UI turns this into a button or a hint. */
export type NextAction =
  | 'retry' // try the same thing again now
  | 'wait' // something is in progress; check again later
  | 'none' // nothing to do (e.g. they cancelled)
  | 'contact' // ask customer support
  | 'owned' // they already have it: show it as owned
  | 'update'; // update the Toss app

export interface IapErrorInfo {
  /** Korean copy shown to the user. */
  title: string;
  description: string;
  /** English, for logs and developers. */
  developerMessage: string;
  action: NextAction;
}

export const iapErrorInfo: Record<IapErrorCode, IapErrorInfo> = {
  INVALID_PRODUCT_ID: {
    title: '지금은 구매할 수 없는 상품이에요',
    description: '상품 정보가 바뀌었을 수 있어요. 목록을 새로고침한 뒤 다시 시도해 주세요.',
    developerMessage:
      'Invalid product ID, or the product does not exist (check the console SKU and its visibility).',
    action: 'retry',
  },
  PAYMENT_PENDING: {
    title: '결제 승인을 기다리고 있어요',
    description: '승인되면 다음에 앱을 열 때 상품을 지급해요. 승인되지 않으면 결제되지 않아요.',
    developerMessage: 'A payment for this order is already awaiting approval.',
    action: 'wait',
  },
  NETWORK_ERROR: {
    title: '네트워크 연결이 불안정해요',
    description: '연결 상태를 확인하고 다시 시도해 주세요.',
    developerMessage: 'A server error prevented the request from being processed.',
    action: 'retry',
  },
  INVALID_USER_ENVIRONMENT: {
    title: '이 기기에서는 구매할 수 없어요',
    description: '기기나 계정 설정 때문에 이 상품을 구매할 수 없어요.',
    developerMessage: 'The product cannot be purchased on this device, account or settings.',
    action: 'none',
  },
  ITEM_ALREADY_OWNED: {
    title: '이미 가지고 있는 상품이에요',
    description: '다시 구매하지 않아도 바로 사용할 수 있어요.',
    developerMessage: 'The user already owns this non-consumable product.',
    action: 'owned',
  },
  APP_MARKET_VERIFICATION_FAILED: {
    title: '결제를 확인하지 못했어요',
    description:
      '앱 마켓에서 결제 정보를 확인하지 못해 상품을 지급하지 않았어요. 결제된 금액이 있다면 고객센터로 문의해 주세요.',
    developerMessage: 'Payment completed but app-market user verification failed.',
    action: 'contact',
  },
  TOSS_SERVER_VERIFICATION_FAILED: {
    title: '구매 중에 상품을 지급하지 못했어요',
    description:
      '결제는 완료됐어요. 앱이 이 결제를 다시 확인해요. 지급되면 보관함에 보이고, 담당자 확인이 필요하면 알려 드려요.',
    developerMessage: 'Payment completed but the transmission to the Toss server failed.',
    action: 'wait',
  },
  INTERNAL_ERROR: {
    title: '일시적인 오류가 생겼어요',
    description: '잠시 후 다시 시도해 주세요.',
    developerMessage: 'Internal server error.',
    action: 'retry',
  },
  KOREAN_ACCOUNT_ONLY: {
    title: '한국 계정에서만 구매할 수 있어요',
    description: 'App Store 계정의 국가를 한국으로 설정한 뒤 다시 시도해 주세요.',
    developerMessage: 'iOS: the App Store account is not a Korean account.',
    action: 'none',
  },
  USER_CANCELED: {
    title: '결제를 취소했어요',
    description: '결제되지 않았어요. 원할 때 다시 구매할 수 있어요.',
    developerMessage: 'The user left the checkout without completing payment.',
    action: 'none',
  },
  PRODUCT_NOT_GRANTED_BY_PARTNER: {
    title: '구매 중에 상품을 지급하지 못했어요',
    description:
      '결제는 완료됐어요. 앱이 이 결제를 다시 확인해요. 지급되면 보관함에 보이고, 담당자 확인이 필요하면 알려 드려요.',
    developerMessage:
      "The partner's fulfillment (processProductGrant) failed; the order stays pending for recovery.",
    action: 'contact',
  },
  UNSUPPORTED_APP_VERSION: {
    title: '토스 앱을 업데이트해 주세요',
    description: '이 기능은 최신 버전의 토스 앱에서 사용할 수 있어요.',
    developerMessage:
      'The Toss app is older than the minimum version for this function (it resolved undefined).',
    action: 'update',
  },
  HOST_UNAVAILABLE: {
    title: '토스 앱에서 열어 주세요',
    description: '구매는 토스 앱 안에서만 할 수 있어요.',
    developerMessage: 'No Toss host (ReactNativeWebView) is present and no mock host is installed.',
    action: 'none',
  },
  UNKNOWN: {
    title: '알 수 없는 오류가 생겼어요',
    description: '잠시 후 다시 시도해 주세요. 문제가 계속되면 고객센터로 문의해 주세요.',
    developerMessage: 'An error without a recognised code.',
    action: 'retry',
  },
};

export interface IapError extends IapErrorInfo {
  code: IapErrorCode;
  /** The original message, for logs. Never shown to users. */
  rawMessage?: string;
}

export function isSdkIapErrorCode(value: unknown): value is SdkIapErrorCode {
  return typeof value === 'string' && (iapErrorCodes as readonly string[]).includes(value);
}

function makeError(code: IapErrorCode, rawMessage?: string): IapError {
  return rawMessage === undefined
    ? { code, ...iapErrorInfo[code] }
    : { code, ...iapErrorInfo[code], rawMessage };
}

/**
 * Any thrown value → an `IapError`. Never throws.
 * - `{ code }` with a known SDK code (what 2.x attaches to its `Error`) → that code.
 * - A bare `Error` (SDK 3.x drops `code`) whose message names a known code → that code.
 * - "ReactNativeWebView is not available" → HOST_UNAVAILABLE.
 * - `undefined`/`null` (an old Toss app resolved nothing) → UNSUPPORTED_APP_VERSION.
 * - Anything else → UNKNOWN.
 */
export function toIapError(value: unknown): IapError {
  try {
    if (value === undefined || value === null) return makeError('UNSUPPORTED_APP_VERSION');
    if (typeof value === 'string') return fromMessage(value);
    if (typeof value !== 'object') return makeError('UNKNOWN', String(value));
    const record = value as Record<string, unknown>;
    const message = typeof record.message === 'string' ? record.message : undefined;
    const code = record.code;
    if (isSdkIapErrorCode(code)) return makeError(code, message);
    if (typeof code === 'string' && code in iapErrorInfo) return makeError(code as IapErrorCode, message);
    return message === undefined ? makeError('UNKNOWN') : fromMessage(message);
  } catch {
    return makeError('UNKNOWN');
  }
}

function fromMessage(message: string): IapError {
  const named = iapErrorCodes.find((code) => message.includes(code));
  if (named) return makeError(named, message);
  if (message.includes('ReactNativeWebView')) return makeError('HOST_UNAVAILABLE', message);
  return makeError('UNKNOWN', message);
}
