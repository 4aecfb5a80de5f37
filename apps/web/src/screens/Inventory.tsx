/**
 * What the user owns: currency balances, non-consumable items and subscriptions (status, expiry, auto-renew,
 * grace period). Loaded lazily: the shop paints first. CUSTOMIZATION POINT: how owned things are presented.
 */
import { type Entitlement, fulfillReasonCopy } from '@ait-iap/iap-contract';
import { Badge, Button, List, ListRow, Result, Skeleton } from '@toss/tds-mobile';
import type { ReactNode } from 'react';
import { apiErrorCode, apiErrorCopy } from '../api/errors';
import { useAppState } from '../app/AppState';
import { useCatalog, useInventory } from '../app/queries';
import { copy, currencyName, formatDate } from '../copy';
import { ProductIcon } from '../ui/ProductIcon';
import { subscriptionText } from './Shop';

/** One titled list of the inventory (balances, subscriptions, items). */
function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section aria-labelledby={id}>
      <h2 id={id} className="section-title">
        {title}
      </h2>
      <List>{children}</List>
    </section>
  );
}

export default function Inventory({ onGoShop }: { onGoShop: () => void }) {
  const { lastRecovery } = useAppState();
  const inventory = useInventory();
  const catalog = useCatalog();
  // A failed refresh keeps showing the last inventory read; only an empty screen shows the error.
  if (!inventory.data && inventory.isPending) {
    return (
      <div role="status" aria-busy="true" aria-label={copy.loading}>
        <Skeleton pattern="listOnly" repeatLastItemCount={3} />
      </div>
    );
  }
  if (!inventory.data) {
    const text = apiErrorCopy(apiErrorCode(inventory.error));
    return <Result title={text.title} description={text.description} />;
  }
  const products = catalog.data?.products ?? [];
  const names = new Map(products.map((p) => [p.sku, p.name]));
  const types = new Map(products.map((p) => [p.sku, p.type]));
  const balances = Object.entries(inventory.data.balances);
  const items = inventory.data.entitlements.filter((e) => e.type === 'NON_CONSUMABLE');
  const subscriptions = inventory.data.entitlements.filter((e) => e.type === 'SUBSCRIPTION');
  const nameOf = (e: Entitlement) => names.get(e.sku) ?? e.sku;
  // Paid, not granted, held for an operator: listed here too, where the user looks for what they bought.
  const held = lastRecovery?.held ?? [];

  if (
    balances.every(([, n]) => n === 0) &&
    items.length === 0 &&
    subscriptions.length === 0 &&
    held.length === 0
  ) {
    return (
      <Result
        title={copy.inventory.empty}
        description={copy.inventory.emptyDescription}
        button={<Result.Button onClick={onGoShop}>{copy.inventory.goShop}</Result.Button>}
      />
    );
  }

  return (
    <div className="screen">
      {held.length > 0 ? (
        <Section id="inv-held" title={copy.held.section}>
          {held.map((order) => (
            <ListRow
              key={order.orderId}
              data-testid={`inventory-held-${order.orderId}`}
              left={<ProductIcon iconUrl="" type={types.get(order.sku) ?? 'CONSUMABLE'} />}
              contents={
                <div className="row-texts">
                  <span className="row-title">
                    {names.get(order.sku) ?? order.sku}
                    <Badge size="xsmall" variant="weak" color="yellow">
                      {copy.held.badge}
                    </Badge>
                  </span>
                  <span className="row-sub">{fulfillReasonCopy.UNDER_REVIEW}</span>
                </div>
              }
            />
          ))}
        </Section>
      ) : null}
      {balances.length > 0 ? (
        <Section id="inv-balances" title={copy.inventory.balances}>
          {balances.map(([currency, amount]) => (
            <ListRow
              key={currency}
              data-testid={`inventory-balance-${currency}`}
              left={<ProductIcon iconUrl="" type="CONSUMABLE" />}
              contents={<span className="row-title">{currencyName(currency)}</span>}
              right={<span className="amount">{amount.toLocaleString('ko-KR')}개</span>}
            />
          ))}
        </Section>
      ) : null}
      {subscriptions.length > 0 ? (
        <Section id="inv-subs" title={copy.inventory.subscriptions}>
          {subscriptions.map((sub) => (
            <ListRow
              key={sub.orderId}
              left={<ProductIcon iconUrl="" type="SUBSCRIPTION" />}
              contents={
                <div className="row-texts">
                  <span className="row-title">{nameOf(sub)}</span>
                  <span className="row-status" data-testid={`subscription-${sub.sku}`}>
                    {subscriptionText(sub)}
                  </span>
                </div>
              }
            />
          ))}
        </Section>
      ) : null}
      {items.length > 0 ? (
        <Section id="inv-items" title={copy.inventory.items}>
          {items.map((item) => (
            <ListRow
              key={item.orderId}
              left={<ProductIcon iconUrl="" type="NON_CONSUMABLE" />}
              contents={
                <div className="row-texts">
                  <span className="row-title">{nameOf(item)}</span>
                  <span className="row-sub">{copy.inventory.ownedSince(formatDate(item.grantedAt))}</span>
                </div>
              }
              right={
                <Badge size="small" variant="weak" color="blue" data-testid={`owned-${item.sku}`}>
                  {copy.shop.owned}
                </Badge>
              }
            />
          ))}
        </Section>
      ) : null}
      <div className="screen-footer">
        <Button size="medium" variant="weak" color="primary" display="block" onClick={onGoShop}>
          {copy.inventory.goShop}
        </Button>
      </div>
    </div>
  );
}
