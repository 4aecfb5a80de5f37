/**
 * The mini-app's own words that the scenarios read, copied from apps/web/src/copy.ts (e2e does not depend on apps/web;
 * the contract's copy — `iapErrorInfo`, `fulfillReasonCopy` — is imported from @ait-iap/iap-contract instead).
 * One copy here, so a wording change in the app is mended in one place. Each phrase is asserted present by some
 * scenario, so a drift fails loudly — except `history.cancelled`, which refund.spec only asserts absent.
 */
import type { NextAction } from '@ait-iap/iap-contract';

export const webCopy = {
  /** The label of the control offered for each next action (`actions`). */
  actions: {
    retry: '다시 시도',
    wait: '확인',
    none: '확인',
    contact: '고객센터 문의',
    owned: '보관함에서 보기',
    update: '확인',
  } satisfies Record<NextAction, string>,
  dismiss: '닫기',
  /** Toss reported an error after our server granted the order (`purchase.grantedDespiteError`). */
  grantedDespiteError: {
    title: '결제한 상품을 지급했어요',
    description: '토스에 지급 결과를 전하는 중에 오류가 있었지만, 상품은 보관함에 있어요.',
  },
  /** A held order (`held`): the notice's title and the state's one phrase (notice badge, inventory, history). */
  held: { title: '담당자 확인을 기다리는 결제예요', badge: '담당자 확인 대기' },
  /** History row badges (`history.status`). */
  history: { granted: '지급 완료', refunded: '환불됨', denied: '지급 안 됨', cancelled: '지급 취소됨' },
} as const;
