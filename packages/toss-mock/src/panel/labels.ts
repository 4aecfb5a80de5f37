/** The panel's Korean labels: outcomes, status readings (with their sources), undocumented rules, faults. */
import { iapErrorCodes, iapErrorInfo, type StatusReading } from '@ait-iap/iap-contract';
import {
  type GrantEnding,
  type HistoryReading,
  historyReadings,
  type PurchaseOutcome,
  type StatusAfterComplete,
  statusAfterCompleteReadings,
  type WrongKindPurchase,
  wrongKindPurchaseReadings,
} from '../protocol';

/** Korean labels for every outcome the mock can script. */
export const outcomeLabels: Record<PurchaseOutcome, string> = {
  success: '정상 결제',
  'close-after-payment': '결제 후 앱 종료 (지급 전)',
  'close-during-grant': '지급 중 앱 종료 (응답 유실)',
  'close-after-grant': '지급 후 앱 종료 (완료 처리 전)',
  'complete-fails': '완료 처리(completeProductGrant) 실패',
  ...(Object.fromEntries(
    iapErrorCodes.map((code) => [code, `${iapErrorInfo[code].title} (${code})`]),
  ) as Record<(typeof iapErrorCodes)[number], string>),
};

/** The three readings of a paid order's status after the grant, and where each comes from. */
export const readingInfo: Record<StatusReading, { label: string; source: string }> = {
  'grant-failed': {
    label: '지급 실패·무응답·앱 종료 시 FAILED (기본)',
    source: '출처: 토스 담당자 답변 (개발자 포럼 topic/1238)',
  },
  'payment-completed': {
    label: '지급 전후 모두 PAYMENT_COMPLETED',
    source: '출처: 개발자들의 관찰 (개발자 포럼 server-api/545)',
  },
  purchased: {
    label: '지급 성공 후 PURCHASED',
    source: '출처: Unity SDK 문서',
  },
};

/** The three undocumented rules (protocol.ts): each reading's label in the panel. No source states any of them. */
export const undocumentedReadingLabels = {
  historyReading: {
    title: '결제 내역에 완료로 보이는 때',
    labels: {
      'after-complete-grant': '지급 완료 처리(completeProductGrant) 후',
      'after-payment': '결제 직후',
    } satisfies Record<HistoryReading, string>,
  },
  statusAfterComplete: {
    title: '복구 후 주문 조회',
    labels: {
      unchanged: '그대로 (grant-failed: FAILED)',
      'reads-paid': '결제 완료로 읽힘',
    } satisfies Record<StatusAfterComplete, string>,
  },
  wrongKindPurchase: {
    title: '상품 종류가 다른 결제',
    labels: {
      refused: 'INVALID_PRODUCT_ID로 거절',
      accepted: '요청대로 한 번 결제',
    } satisfies Record<WrongKindPurchase, string>,
  },
} as const;
export const undocumentedValues = {
  historyReading: historyReadings,
  statusAfterComplete: statusAfterCompleteReadings,
  wrongKindPurchase: wrongKindPurchaseReadings,
} as const;
export type UndocumentedRule = keyof typeof undocumentedValues;

export const grantLabels: Record<GrantEnding | 'open', string> = {
  open: '지급 응답 전',
  granted: '지급 응답: 성공',
  'not-granted': '지급 응답: 실패',
  'no-answer': '지급 응답 없음 (시간 초과)',
  'app-closed': '지급 중 앱 종료',
};

export const faultLabels = {
  latency: '지연 (2초)',
  error5xx: '5xx 오류',
  timeout: '응답 없음',
  malformed: '깨진 응답',
} as const;

export const statusLabels: Record<string, string> = {
  PAYMENT_COMPLETED: '결제 완료',
  PURCHASED: '구매 확정',
  ORDER_IN_PROGRESS: '결제 진행 중',
  FAILED: '실패',
  REFUNDED: '환불됨',
  MINIAPP_MISMATCH: '다른 앱 주문',
  NOT_FOUND: '없음',
  ERROR: '오류',
};
