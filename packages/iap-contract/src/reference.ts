/**
 * The short order reference a customer can read out to support: the last 8 letters/digits of the Toss order id,
 * uppercase, grouped 4-4 (`019A3F2C-…-9C41A1B2C3D4` → `A1B2-C3D4`). The mini-app shows it (held notice, history,
 * the support link); the console and `ops order <reference>` find the order by it. Not unique by construction: a
 * lookup may find several orders and must say so.
 */

/** Characters of the order id kept in a reference. */
export const ORDER_REFERENCE_LENGTH = 8;

/** `A1B2-C3D4` for an order id (shorter ids give what they have, still grouped by 4). */
export function orderReference(orderId: string): string {
  const tail = orderId
    .replace(/[^0-9a-z]/gi, '')
    .slice(-ORDER_REFERENCE_LENGTH)
    .toUpperCase();
  return tail.match(/.{1,4}/g)?.join('-') ?? '';
}

/**
 * A reference as a person typed it (`a1b2 c3d4`, `A1B2-C3D4`, `#a1b2c3d4`) → its canonical form `A1B2-C3D4`, or null
 * when it is not one (other characters, or not exactly 8 letters/digits).
 */
export function parseOrderReference(text: string): string | null {
  const compact = text.trim().replace(/^#/, '').replace(/[\s-]/g, '');
  if (!/^[0-9a-z]+$/i.test(compact) || compact.length !== ORDER_REFERENCE_LENGTH) return null;
  return orderReference(compact);
}
