/**
 * Every Korean string the mini-app shows, in one place. CUSTOMIZATION POINT: a fork edits this file to change
 * wording, currency names, support contact and date style. IAP error copy lives in the contract
 * (`iapErrorInfo` in @ait-iap/iap-contract) so the server, the mock and the docs use the same words.
 * Rules: one state, one phrase (the same words wherever that state shows); promise only what will happen (the
 * outcome × reading table in apps/web/README.md checks each phrase against every outcome the mock can produce);
 * a particle after a variable noun goes through es-hangul's `josa`, never both forms written by hand.
 */
import {
  fulfillReasonCopy,
  type NextAction,
  type RenewalCycle,
  type SubscriptionStatus,
} from '@ait-iap/iap-contract';
import { josa } from 'es-hangul';
import type { HistoryStatus } from './app/historyModel';

/** Held for an operator: the one phrase for that state (notice badge, inventory, history). */
const heldPhrase = '담당자 확인 대기';

export const copy = {
  appTitle: '아이템 상점',
  appSubtitle: '코인과 아이템, 구독을 한곳에서',
  loading: '불러오는 중…',
  tabs: { shop: '상점', inventory: '보관함', history: '구매 내역' },

  login: {
    inProgress: '토스로 로그인하고 있어요',
    failedTitle: '로그인하지 못했어요',
    retry: '다시 시도',
  },

  shop: {
    balanceLabel: (currency: string) => `보유 ${currencyName(currency)}`,
    productsHeader: '상품',
    empty: '지금 판매 중인 상품이 없어요',
    emptyDescription: '잠시 후 다시 확인해 주세요.',
    loadFailed: '상품 목록을 불러오지 못했어요',
    reload: '새로고침',
    owned: '보유 중',
    subscribed: '구독 중',
    unavailable: '준비 중',
    unavailableHint: '지금은 구매할 수 없어요',
    buyAria: (name: string, price: string) => `${name} ${price}에 구매하기`,
    subscribeAria: (name: string, price: string) => `${name} ${price} 구독하기`,
    grants: {
      currency: (currency: string, amount: number) =>
        `${currencyName(currency)} ${amount.toLocaleString('ko-KR')}개 지급`,
      entitlement: '한 번 구매하면 계속 이용',
    },
    offer: {
      FREE_TRIAL: (period: string) => `${formatPeriod(period)} 무료 체험`,
      NEW_SUBSCRIPTION: (period: string, price: string) => `첫 ${formatPeriod(period)} ${price}`,
      RETURNING: (period: string, price: string) => `다시 구독하면 ${formatPeriod(period)} ${price}`,
      startTrial: '무료 체험',
    },
    renewal: { WEEKLY: '매주', MONTHLY: '매월', YEARLY: '매년' } satisfies Record<RenewalCycle, string>,
  },

  purchase: {
    /** Recovery runs before the checkout opens: the same words as the recovery banner (one state, one phrase). */
    recovering: '지난 결제를 처리하고 있어요',
    checkout: '결제를 진행하고 있어요',
    granting: '상품을 지급하고 있어요',
    success: (name: string) => `${josa(name, '을/를')} 구매했어요`,
    recoveredToast: (count: number) => `지난 결제 ${count}건의 상품을 지급했어요`,
    /**
     * Toss reported an error after our server had granted the order (its answer reached Toss too late, or was lost):
     * the product is the user's; recovery acknowledges the order to Toss without a word.
     */
    grantedDespiteError: {
      title: '결제한 상품을 지급했어요',
      description: '토스에 지급 결과를 전하는 중에 오류가 있었지만, 상품은 보관함에 있어요.',
    },
    grantDetailPrefix: '서버 응답: ',
  },

  actions: {
    retry: '다시 시도',
    wait: '확인',
    none: '확인',
    contact: '고객센터 문의',
    owned: '보관함에서 보기',
    update: '확인',
    dismiss: '닫기',
  } satisfies Record<NextAction | 'dismiss', string>,

  /**
   * Where "고객센터 문의" leads when VITE_SUPPORT_URL is not set (Toss's general page, which cannot look up your orders):
   * set VITE_SUPPORT_URL to your team's support page (config.ts); the link carries the order's reference.
   */
  supportUrl: 'https://toss.im/support',

  network: {
    title: '서버에 연결하지 못했어요',
    description: '네트워크 상태를 확인하고 다시 시도해 주세요.',
  },

  recovery: {
    banner: '지난 결제를 처리하고 있어요',
  },

  /**
   * A held order (the server answered UNDER_REVIEW: Toss reads it FAILED and the server never saw it paid; an operator
   * approves or denies it). Promise nothing beyond that: no grant, no refund, no date. The explanation itself is the
   * contract's `fulfillReasonCopy.UNDER_REVIEW`; `badge` is the state's one phrase (history, inventory).
   */
  held: {
    title: '담당자 확인을 기다리는 결제예요',
    section: '담당자 확인을 기다리는 결제',
    badge: heldPhrase,
  },

  /** The order's short reference (held notice, history): what to tell support. */
  reference: {
    label: '주문 참조 번호',
    copy: '복사',
    copied: '복사했어요',
    copyLabel: (reference: string) => `주문 참조 번호 ${reference} 복사`,
  },

  inventory: {
    title: '보관함',
    balances: '재화',
    items: '보유 상품',
    subscriptions: '구독',
    empty: '아직 구매한 상품이 없어요',
    emptyDescription: '상점에서 코인이나 아이템을 구매해 보세요.',
    goShop: '상점 둘러보기',
    ownedSince: (date: string) => `${date} 구매`,
    expiresAt: (date: string) => `${date}까지`,
    /** Grace period: Toss's renewal payment failed, access continues until the grace end (`gracePeriodExpiresAt`). */
    graceUntil: (date: string) => `${date}까지 이용할 수 있어요. 토스에서 결제 수단을 확인해 주세요`,
    autoRenew: '자동 갱신',
    noAutoRenew: '갱신 안 함',
    status: {
      ACTIVE: '이용 중',
      EXPIRED: '만료됨',
      IN_GRACE_PERIOD: '갱신 결제 실패',
      ON_HOLD: '갱신 결제 실패로 이용 중지',
      PAUSED: '일시 중지됨',
      REVOKED: '환불되어 이용 종료',
    } satisfies Record<SubscriptionStatus, string>,
  },

  history: {
    title: '구매 내역',
    empty: '구매 내역이 없어요',
    emptyDescription: '구매하거나 환불한 주문이 여기에 표시돼요.',
    loadFailed: '구매 내역을 불러오지 못했어요',
    /** One phrase per history row state (historyModel.ts `HistoryStatus`). */
    status: {
      /** Our server granted it. */
      granted: '지급 완료',
      /** Only Toss lists it, as COMPLETED: paid (the refund sync asks the server to grant it). */
      paid: '결제 완료',
      refunded: '환불됨',
      /** Recorded by the server, not decided yet (asked again by recovery). */
      processing: '처리 중',
      /** An operator denied the held order (the server reads NOT_PAID from then on). */
      denied: '지급 안 됨',
      /** An operator took back a grant (not a refund). */
      cancelled: '지급 취소됨',
      held: heldPhrase,
    } satisfies Record<HistoryStatus, string>,
    /** What a row says under its badge, and its next step: the reason in buyer words. */
    detail: {
      /** The same words the server's NOT_PAID answer carries (an operator's denial answers NOT_PAID). */
      denied: fulfillReasonCopy.NOT_PAID,
      cancelled: '이 주문의 지급이 취소됐어요. 궁금한 점은 주문 참조 번호와 함께 고객센터로 문의해 주세요.',
    },
    unsupported: '이 토스 앱 버전에서는 토스 결제 내역을 볼 수 없어요. 서버에 기록된 내역만 보여드려요.',
  },

  currencies: { COIN: '코인' } as Record<string, string>,
};

export function currencyName(currency: string): string {
  return copy.currencies[currency] ?? currency;
}

/** ISO-8601 duration (P7D, P1M, P1Y, P2W) → `7일`, `1개월`, `1년`, `2주`. */
export function formatPeriod(period: string): string {
  const match = /^P(\d+)([DWMY])$/.exec(period);
  if (!match) return period;
  const [, n, unit] = match;
  const units: Record<string, string> = { D: '일', W: '주', M: '개월', Y: '년' };
  return `${n}${units[unit ?? ''] ?? ''}`;
}

/** `2026-12-22T03:00:00Z` → `2026. 12. 22. 오후 12:00` (Korean style). Unparseable input is shown as is. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat('ko-KR', {
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
  }).format(date);
}

/** `2026-12-22T03:00:00Z` → `2026. 12. 22.` (Korean style). Unparseable input is shown as is. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat('ko-KR', { year: 'numeric', month: 'numeric', day: 'numeric' }).format(date);
}
