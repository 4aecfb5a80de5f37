/**
 * The shop's rows: Toss's product list (the console is the source of truth for what is sold and at what price)
 * joined with our catalog (what each SKU grants) and the user's inventory (what they own). Pure functions.
 */
import type {
  CatalogListItem,
  Entitlement,
  IapProductListItem,
  InventoryOutput,
  Offer,
  SubscriptionStatus,
} from '@ait-iap/iap-contract';

export interface ShopRow {
  product: IapProductListItem;
  /** What the server grants for this SKU; undefined when our server does not sell it (not purchasable). */
  grant: CatalogListItem['grant'] | undefined;
  /** The offer the buy button applies (first offer listed), subscriptions only. */
  offer: Offer | undefined;
  /** Non-consumable the user owns. */
  owned: boolean;
  /** The user's subscription entitlement for this SKU, if any. */
  subscription: Entitlement | undefined;
  /** A subscription that currently gives access (active or in grace). */
  subscribed: boolean;
  purchasable: boolean;
}

const accessStatuses: readonly SubscriptionStatus[] = ['ACTIVE', 'IN_GRACE_PERIOD'];

export function hasAccess(entitlement: Entitlement, now: Date): boolean {
  if (entitlement.status) return accessStatuses.includes(entitlement.status);
  if (entitlement.expiresAt) return new Date(entitlement.expiresAt).getTime() > now.getTime();
  return true;
}

export function buildShopRows(
  products: readonly IapProductListItem[],
  catalog: readonly CatalogListItem[] | null,
  inventory: InventoryOutput | null,
  knownOwned: ReadonlySet<string>,
  options: { now?: Date; sandbox?: boolean } = {},
): ShopRow[] {
  const now = options.now ?? new Date();
  const bySku = new Map((catalog ?? []).map((item) => [item.sku, item]));
  const entitlements = inventory?.entitlements ?? [];
  return products.map((product) => {
    const item = bySku.get(product.sku);
    const own = entitlements.filter((e) => e.sku === product.sku);
    const subscription =
      product.type === 'SUBSCRIPTION'
        ? (own.find((e) => hasAccess(e, now)) ?? own.sort(byGrantedAtDesc)[0])
        : undefined;
    const subscribed = subscription !== undefined && hasAccess(subscription, now);
    const owned = product.type === 'NON_CONSUMABLE' && (own.length > 0 || knownOwned.has(product.sku));
    const offer = product.type === 'SUBSCRIPTION' ? product.offers?.[0] : undefined;
    // A SKU our server does not sell would be paid for and never granted: keep the row, block buying. The sandbox
    // app lists its own test SKUs, which the server maps onto ours (catalog sandboxSkuMap), so those are allowed.
    const purchasable = (item !== undefined || options.sandbox === true) && !owned && !subscribed;
    return { product, grant: item?.grant, offer, owned, subscription, subscribed, purchasable };
  });
}

function byGrantedAtDesc(a: Entitlement, b: Entitlement): number {
  return b.grantedAt.localeCompare(a.grantedAt);
}
