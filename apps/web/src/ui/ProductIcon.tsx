import type { ProductType } from '@ait-iap/iap-contract';
import { useState } from 'react';

const glyphs: Record<ProductType, string> = { CONSUMABLE: '🪙', NON_CONSUMABLE: '🎁', SUBSCRIPTION: '⭐' };

/** The console's product image, or a simple glyph when there is none or it fails to load. Decorative (alt=""). */
export function ProductIcon({ iconUrl, type }: { iconUrl: string; type: ProductType }) {
  const [failed, setFailed] = useState(false);
  if (iconUrl && !failed) {
    return (
      <img
        className="product-icon"
        src={iconUrl}
        alt=""
        width={48}
        height={48}
        loading="lazy"
        onError={() => setFailed(true)}
      />
    );
  }
  return (
    <span className="product-icon product-icon--glyph" aria-hidden="true">
      {glyphs[type]}
    </span>
  );
}
