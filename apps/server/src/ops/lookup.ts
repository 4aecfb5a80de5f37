/**
 * Finding an order from what support is given: its full id, or the short reference the mini-app shows
 * (`A1B2-C3D4`, `@ait-iap/iap-contract`'s `orderReference`). A reference is only the id's last 8 letters/digits, so
 * it may match several orders: the caller shows them all and asks which. Used by `ops order` and the console.
 * You probably don't need to edit this file.
 */
import { ORDER_REFERENCE_LENGTH, parseOrderReference } from '@ait-iap/iap-contract';
import { sql } from 'kysely';
import type { Db, OrdersTable } from '../db/schema';

/**
 * Orders whose id ends with the reference (case-insensitive; dashes in the id ignored), newest first. Empty when the
 * text is not a reference. A scan of `orders` (no index serves a suffix): fine for support, not for a hot path.
 */
export async function findOrdersByReference(db: Db, reference: string, limit = 20): Promise<OrdersTable[]> {
  const canonical = parseOrderReference(reference);
  if (!canonical) return [];
  const tail = canonical.replace('-', '').toLowerCase();
  // The reference skips separators, so compare against the id without dashes (UUIDs have none in their last 12).
  const rows = await db
    .selectFrom('orders')
    .selectAll()
    .where(sql<string>`lower(replace(order_id, '-', ''))`, 'like', `%${tail}`)
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
  return rows.filter(
    (row) =>
      row.order_id
        .replace(/[^0-9a-z]/gi, '')
        .slice(-ORDER_REFERENCE_LENGTH)
        .toLowerCase() === tail,
  );
}

/** `ops order <orderId|reference>`: the order with that exact id, else the orders that reference matches. */
export async function resolveOrder(
  db: Db,
  idOrReference: string,
): Promise<
  { kind: 'id'; orderId: string } | { kind: 'reference'; matches: OrdersTable[] } | { kind: 'none' }
> {
  const exact = await db
    .selectFrom('orders')
    .select('order_id')
    .where('order_id', '=', idOrReference)
    .executeTakeFirst();
  if (exact) return { kind: 'id', orderId: exact.order_id };
  if (parseOrderReference(idOrReference)) {
    const matches = await findOrdersByReference(db, idOrReference);
    if (matches.length > 0) return { kind: 'reference', matches };
  }
  return { kind: 'none' };
}
