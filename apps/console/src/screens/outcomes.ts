/**
 * What the customer will see after each decision, in the words the mini-app uses (apps/web/src/copy.ts: the history
 * shows 지급 완료 / 지급 안 됨 / 지급 취소됨 / 환불됨 / 담당자 확인 대기). Shown in every confirmation so an operator knows what they promise.
 */
export interface ProductGrant {
  name: string;
  grant_kind: string;
  grant_currency: string | null;
  grant_amount: number | null;
}

function what(product: ProductGrant | null, sku: string): string {
  if (!product) return `상품 ${sku}`;
  if (product.grant_kind === 'currency' && product.grant_currency && product.grant_amount !== null) {
    return `${product.name} (${product.grant_currency} ${product.grant_amount.toLocaleString('ko-KR')}개)`;
  }
  return product.name;
}

export const outcome = {
  approve: (product: ProductGrant | null, sku: string) =>
    `Toss에 한 번 더 확인한 뒤 지급해요: ${what(product, sku)}. 앱의 구매 내역에 '지급 완료'로 보여요. 앱을 다시 열면 잔액·보관함에 반영돼요. Toss가 환불이라고 답하면 지급하지 않아요.`,
  deny: () =>
    "앱의 구매 내역에 '지급 안 됨'과 '결제가 확인되지 않아 상품을 지급하지 않았어요'로 보이고, 앱이 다시 요청해도 지급되지 않아요. 결제가 됐다면 고객은 환불을 따로 받아야 해요.",
  regrant: (product: ProductGrant | null, sku: string) =>
    `다시 지급해요: ${what(product, sku)}. 앱의 구매 내역에 '지급 완료'로 보여요.`,
  revoke: (product: ProductGrant | null, sku: string) =>
    `지급을 취소해요: ${what(product, sku)} (재화는 잔액에서 빠지고, 음수가 될 수 있어요). 앱의 구매 내역에 '지급 취소됨'으로 보이고, 고객에게 고객센터 문의를 안내해요.`,
  credit: (currency: string, amount: number) =>
    `고객의 ${currency} 잔액이 ${amount.toLocaleString('ko-KR')}만큼 늘어요. 주문과 상관없는 지갑 기록으로 남고, 앱을 다시 열면 잔액에 보여요.`,
};
