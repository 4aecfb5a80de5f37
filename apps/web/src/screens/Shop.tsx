/**
 * The shop: every product Toss lists for this mini-app (never hard-coded), what it grants, and a buy button.
 * CUSTOMIZATION POINT: layout and wording of a product row. Purchases go through usePurchase (passed in).
 */
import { Badge, Button, List, ListRow, Result, Skeleton } from '@toss/tds-mobile';
import { memo, useMemo } from 'react';
import { useAppState } from '../app/AppState';
import { useCatalog, useInventory, useProducts } from '../app/queries';
import { buildShopRows, type ShopRow } from '../app/shopModel';
import { copy, formatDate } from '../copy';
import type { PurchaseRequest } from '../iap/purchase';
import { operationalEnvironment } from '../iap/sdk';
import type { PurchaseState } from '../iap/usePurchase';
import { ProductIcon } from '../ui/ProductIcon';

export interface ShopProps {
  purchase: PurchaseState;
  busy: boolean;
  onBuy: (request: PurchaseRequest) => void;
}

export function Shop({ purchase, busy, onBuy }: ShopProps) {
  const { knownOwned } = useAppState();
  const products = useProducts();
  const catalog = useCatalog();
  const inventory = useInventory().data;
  const rows = useMemo(
    () =>
      products.data
        ? buildShopRows(products.data, catalog.data?.products ?? null, inventory ?? null, knownOwned, {
            sandbox: operationalEnvironment() === 'sandbox',
          })
        : [],
    [products.data, catalog.data, inventory, knownOwned],
  );
  const reload = () => Promise.all([products.refetch(), catalog.refetch()]);

  if (products.isPending) {
    return (
      <div role="status" aria-busy="true" aria-label={copy.loading}>
        <Skeleton pattern="listWithIconOnly" repeatLastItemCount={4} />
      </div>
    );
  }
  if (products.isError) {
    return (
      <Result
        title={copy.shop.loadFailed}
        description={
          <span data-testid={`error-${products.error.code}`}>
            {products.error.title}. {products.error.description}
          </span>
        }
        button={<Result.Button onClick={() => void reload()}>{copy.shop.reload}</Result.Button>}
      />
    );
  }
  if (rows.length === 0) {
    return <Result title={copy.shop.empty} description={copy.shop.emptyDescription} />;
  }

  const activeSku =
    purchase.phase === 'preparing' || purchase.phase === 'checkout' || purchase.phase === 'granting'
      ? purchase.sku
      : null;
  return (
    <section aria-label={copy.shop.productsHeader}>
      <List>
        {rows.map((row) => (
          <ProductRow
            key={row.product.sku}
            row={row}
            loading={activeSku === row.product.sku}
            disabled={busy}
            onBuy={onBuy}
          />
        ))}
      </List>
    </section>
  );
}

const ProductRow = memo(function ProductRow({
  row,
  loading,
  disabled,
  onBuy,
}: {
  row: ShopRow;
  loading: boolean;
  disabled: boolean;
  onBuy: (request: PurchaseRequest) => void;
}) {
  const { product, grant, offer, owned, subscribed, subscription, purchasable } = row;
  const sku = product.sku;
  const isSubscription = product.type === 'SUBSCRIPTION';
  const price = product.displayAmount;

  const lines: string[] = [];
  if (grant?.kind === 'currency') lines.push(copy.shop.grants.currency(grant.currency, grant.amount));
  else if (product.description) lines.push(product.description);
  if (product.type === 'SUBSCRIPTION') {
    const cycle = copy.shop.renewal[product.renewalCycle];
    lines.push(`${cycle} ${price}`);
  }

  let offerText: string | null = null;
  if (offer && !subscribed) {
    offerText =
      offer.type === 'FREE_TRIAL'
        ? copy.shop.offer.FREE_TRIAL(offer.period)
        : copy.shop.offer[offer.type](offer.period, offer.displayAmount);
  }

  let buttonLabel = price;
  if (owned) buttonLabel = copy.shop.owned;
  else if (subscribed) buttonLabel = copy.shop.subscribed;
  else if (!purchasable) buttonLabel = copy.shop.unavailable;
  else if (offer?.type === 'FREE_TRIAL') buttonLabel = copy.shop.offer.startTrial;

  const ariaLabel = !purchasable
    ? `${product.displayName} ${buttonLabel}`
    : isSubscription
      ? copy.shop.subscribeAria(product.displayName, offerText ?? price)
      : copy.shop.buyAria(product.displayName, price);

  return (
    <ListRow
      data-testid={`product-${sku}`}
      left={<ProductIcon iconUrl={product.iconUrl} type={product.type} />}
      contents={
        <div className="row-texts">
          <span className="row-title">
            {product.displayName}
            {owned ? (
              <Badge size="xsmall" variant="weak" color="blue" data-testid={`owned-${sku}`}>
                {copy.shop.owned}
              </Badge>
            ) : null}
          </span>
          {lines.map((line) => (
            <span key={line} className="row-sub">
              {line}
            </span>
          ))}
          {offerText ? <span className="row-offer">{offerText}</span> : null}
          {isSubscription && subscription ? (
            <span className="row-status" data-testid={`subscription-${sku}`}>
              {subscriptionText(subscription)}
            </span>
          ) : null}
        </div>
      }
      right={
        <Button
          size="small"
          variant={purchasable ? 'fill' : 'weak'}
          color={purchasable ? 'primary' : 'dark'}
          data-testid={`buy-${sku}`}
          aria-label={ariaLabel}
          loading={loading}
          disabled={!purchasable || disabled}
          onClick={() =>
            onBuy({ sku, type: product.type, ...(isSubscription ? { offerId: offer?.offerId ?? null } : {}) })
          }
        >
          {buttonLabel}
        </Button>
      }
    />
  );
});

export function subscriptionText(sub: NonNullable<ShopRow['subscription']>): string {
  const parts: string[] = [copy.inventory.status[sub.status ?? 'ACTIVE']];
  if (sub.status === 'IN_GRACE_PERIOD' && sub.graceExpiresAt)
    parts.push(copy.inventory.graceUntil(formatDate(sub.graceExpiresAt)));
  else if (sub.expiresAt) parts.push(copy.inventory.expiresAt(formatDate(sub.expiresAt)));
  if (sub.status === 'ACTIVE' || sub.status === 'IN_GRACE_PERIOD' || sub.status === undefined) {
    parts.push(sub.autoRenew === false ? copy.inventory.noAutoRenew : copy.inventory.autoRenew);
  }
  return parts.join(' · ');
}
