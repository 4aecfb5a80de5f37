import type { ProductType } from '@ait-iap/iap-contract';
import { useState } from 'react';

/** Simple inline glyphs (no emoji or icon font needed) used when a product has no image or it fails to load. */
const glyphs: Record<ProductType, JSX.Element> = {
  CONSUMABLE: (
    <svg viewBox="0 0 24 24" width="26" height="26" aria-hidden="true">
      <circle cx="12" cy="12" r="10" fill="#ffc342" />
      <circle cx="12" cy="12" r="6.5" fill="none" stroke="#f59e0b" strokeWidth="2" />
    </svg>
  ),
  NON_CONSUMABLE: (
    <svg viewBox="0 0 24 24" width="26" height="26" aria-hidden="true">
      <rect x="3" y="9" width="18" height="12" rx="2" fill="#3182f6" />
      <rect x="2" y="6" width="20" height="4" rx="1.5" fill="#1b64da" />
      <rect x="10.5" y="6" width="3" height="15" fill="#ffc342" />
    </svg>
  ),
  SUBSCRIPTION: (
    <svg viewBox="0 0 24 24" width="26" height="26" aria-hidden="true">
      <path d="M12 2.5l2.9 6 6.6.9-4.8 4.6 1.2 6.5L12 17.4l-5.9 3.1 1.2-6.5L2.5 9.4l6.6-.9z" fill="#8b5cf6" />
    </svg>
  ),
};

/** The console's product image, or a glyph when there is none or it fails to load. Decorative (alt=""). */
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
