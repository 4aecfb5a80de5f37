import type { ProductType } from '@ait-iap/iap-contract';

const glyphs: Record<ProductType, string> = { CONSUMABLE: '🪙', NON_CONSUMABLE: '🎁', SUBSCRIPTION: '⭐' };

/** The console's product image, or a simple glyph when the product has none. Decorative (alt=""). */
export function ProductIcon({ iconUrl, type }: { iconUrl: string; type: ProductType }) {
  if (iconUrl)
    return <img className="product-icon" src={iconUrl} alt="" width={48} height={48} loading="lazy" />;
  return (
    <span className="product-icon product-icon--glyph" aria-hidden="true">
      {glyphs[type]}
    </span>
  );
}
