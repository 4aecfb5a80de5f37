/**
 * Step 4 of `fulfill`: the hold-or-grant decision for an order Toss did not refuse. It is held, not granted, when Toss
 * read it FAILED and this server never saw it paid, or when only the client vouches for its SKU and that SKU is not on
 * sale now (or any such SKU under TOSS_REQUIRE_VERIFIED_SKU) — unless an operator is approving that held order
 * (`ops approve`): then it is granted. Held, not refused: the payment may be real and must stay visible.
 */
import type { OrderStatus } from '@ait-iap/iap-contract';
import { canonicalSku, findProduct, type ProductRow } from '../catalog/products';
import type { HoldReason } from '../db/schema';
import type { FulfillResult, OperatorApproval } from './fulfill';
import { answer, type FulfillCall, finish } from './fulfill-call';
import type { TossReading } from './fulfill-verify';

/** What step 4 decided for a paid order: which product to bind, and whether to hold it (and why) or grant it. */
export interface GrantPlan {
  tossStatus: OrderStatus;
  product: ProductRow;
  /** 1 when Toss stated the SKU (never, in the documented API), else 0. */
  skuVerified: number;
  /** An operator's approval of this HELD order (`ops approve`); null for a claim. */
  approval: OperatorApproval | null;
  /** The SKU the approval corrected the order to, aliases resolved; null when it did not. */
  approvedSku: string | null;
  /** Why the order is held instead of granted; null = grant. */
  holdReason: HoldReason | null;
}

/** On sale now: in the catalog file (active) AND listed in the shop (visible, the console's 노출 여부). */
export function onSale(product: Pick<ProductRow, 'active' | 'visible'>): boolean {
  return product.active === 1 && product.visible === 1;
}

/**
 * Toss answered under this user's userKey, so the order is theirs either way: settles its SKU (Toss's, an
 * approval's, the ledger's, the client's), then decides whether step 5 holds or grants it (answers here what neither).
 */
export async function decideHoldOrGrant(
  call: FulfillCall,
  reading: TossReading,
): Promise<FulfillResult | GrantPlan> {
  const { deps, request, user, existing, clientSku } = call;
  const db = deps.database.db;
  const { verified, tossStatus } = reading;
  const verifiedSku =
    verified.sku === undefined ? null : await canonicalSku(db, verified.sku, user.environment);
  const approval = request.approval !== undefined && existing?.state === 'HELD' ? request.approval : null;
  if (request.approval && !request.audit)
    throw new Error('fulfill: an approval needs its audit row (request.audit)');
  const approvedSku = approval?.sku ? await canonicalSku(db, approval.sku, user.environment) : null;
  const orderSku = approvedSku ?? existing?.sku ?? verifiedSku ?? clientSku;
  if (verifiedSku !== null && verifiedSku !== (approvedSku ?? clientSku)) {
    return finish(call, 'SKU_MISMATCH', { sku: clientSku, tossStatus, detail: `Toss says ${verifiedSku}` });
  }
  if (existing?.state === 'GRANTED') {
    // Re-check of a granted order (sync/reconcile): still paid, nothing to do — even if its SKU was retired since.
    // Routine reconcile re-checks are not attempts worth a row (reconcile notes `orders.checked_at`).
    if (request.source === 'reconcile')
      return { output: answer(call.orderId, 'ALREADY_GRANTED', existing.sku), effect: 'none' };
    return finish(call, 'ALREADY_GRANTED', { sku: existing.sku, tossStatus, answerSku: existing.sku });
  }
  const product = await findProduct(db, orderSku);
  if (!product) return finish(call, 'UNKNOWN_SKU', { sku: orderSku, tossStatus });
  const skuVerified = verifiedSku !== null ? 1 : 0;
  let holdReason: HoldReason | null = null;
  if (approval === null) {
    if (reading.decision === 'hold') holdReason = 'FAILED_NOT_SEEN_PAID';
    else if (skuVerified === 0 && (!onSale(product) || deps.config?.toss.requireVerifiedSku))
      holdReason = 'UNVERIFIED_SKU';
  }
  return { tossStatus, product, skuVerified, approval, approvedSku, holdReason };
}
