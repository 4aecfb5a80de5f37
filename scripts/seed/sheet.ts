/**
 * `pnpm seed --sheet`: what to type into the console's "인앱 상품 등록하기" form for each SKU, field by field in the
 * form's order and with its Korean labels, so registering is copy-paste. The sale price is what the console will
 * compute (공급가 + 수수료); check it matches. Customization point: none — edit the catalog, not this file.
 */
import { type Catalog, type CatalogProduct, consoleRules, formatKrw, salePrice } from '@ait-iap/iap-contract';

const typeLabel: Record<CatalogProduct['type'], string> = {
  CONSUMABLE: '소모품',
  NON_CONSUMABLE: '비소모품',
  SUBSCRIPTION: '구독',
};

const cycleLabel = { WEEKLY: '주간', MONTHLY: '월간', YEARLY: '연간' } as const;

/** "P7D" → "7일", "P1M" → "1개월"; anything else is shown as is. */
export function formatPeriod(period: string): string {
  const match = /^P(\d+)([DWMY])$/.exec(period);
  if (!match) return period;
  const unit = { D: '일', W: '주', M: '개월', Y: '년' }[match[2] as 'D' | 'W' | 'M' | 'Y'];
  return `${match[1]}${unit}`;
}

/** Terminal columns: Hangul and other wide characters take two. */
function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text)
    width += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\uff00-\uff60]/.test(ch) ? 2 : 1;
  return width;
}

function row(label: string, value: string): string {
  return `  ${label}${' '.repeat(Math.max(1, 16 - displayWidth(label)))}${value}`;
}

function grantText(product: CatalogProduct): string {
  return product.grant.kind === 'currency'
    ? `${product.grant.currency} ${product.grant.amount.toLocaleString('en-US')}`
    : `entitlement "${product.grant.entitlement}"`;
}

export function formatSheet(catalog: Catalog): string {
  const fee = `${catalog.feeRateBps / 100}%`;
  const lines = [
    '콘솔 → 수익화 → 인앱 결제 → + 등록하기. Enter each product below (values after the labels).',
    `판매가 = 공급가 + 수수료 ${fee} (VAT on the fee is billed separately). The console computes it: check it matches.`,
    '',
  ];
  catalog.products.forEach((product, index) => {
    const sale = salePrice(product.supplyPrice, catalog.feeRateBps);
    const nameLength = [...product.name].length;
    const descriptionLength = [...product.description].length;
    lines.push(`[${index + 1}/${catalog.products.length}] ${product.sku}`);
    lines.push(row('상품 유형', typeLabel[product.type]));
    lines.push(row('상품명', `${product.name}    (${nameLength}/${consoleRules.nameMaxLength})`));
    lines.push(
      row('설명', `${product.description}    (${descriptionLength}/${consoleRules.descriptionMaxLength})`),
    );
    lines.push(
      row('상품 이미지', `${product.image} (${consoleRules.imageSizePx}×${consoleRules.imageSizePx} PNG)`),
    );
    lines.push(row('공급가', `${product.supplyPrice}    (${formatKrw(product.supplyPrice)})`));
    lines.push(row('판매가', `${formatKrw(sale)}    (콘솔이 계산해요 — 확인만)`));
    lines.push(row('최소 지원 버전', product.minAppVersion));
    lines.push(
      row(
        '노출 여부',
        product.visible ? '☑ 심사 승인 후 바로 상품 노출을 시작할게요' : '☐ 체크하지 않음 (나중에 직접 노출)',
      ),
    );
    if (product.type === 'SUBSCRIPTION') {
      lines.push(row('구독 주기', cycleLabel[product.renewalCycle]));
      for (const offer of product.offers) {
        const label =
          offer.type === 'FREE_TRIAL'
            ? '무료 체험'
            : offer.type === 'NEW_SUBSCRIPTION'
              ? '첫 구독 할인'
              : '재구독 할인';
        const price = offer.type === 'FREE_TRIAL' ? '' : ` ${offer.displayAmount}`;
        lines.push(row('혜택', `${label} ${formatPeriod(offer.period)}${price} (offerId ${offer.offerId})`));
      }
    }
    lines.push(row('(서버 지급)', `${grantText(product)} — not a console field; our server grants this`));
    lines.push('');
  });
  lines.push(
    'After approval, capture IAP.getProductItemList() inside Toss and run `pnpm seed --check <dump.json>`:',
    'it confirms every SKU, name and price matches this mirror.',
  );
  return lines.join('\n');
}
