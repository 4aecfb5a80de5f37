/**
 * The mini-app shell: TDS provider, login gate, header with balances, tabs (shop first; inventory and history are
 * lazy chunks), the purchase status line and the error notice. CUSTOMIZATION POINT: tabs and header.
 * This module imports the SDK; main.tsx loads it only after the toss-mock host (dev/test) is installed.
 */
import { Result, Skeleton, Tab, Top, useToast } from '@toss/tds-mobile';
import { TDSMobileAITProvider } from '@toss/tds-mobile-ait';
import { lazy, type ReactNode, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { apiErrorCopy } from './api/errors';
import { AppStateProvider, useAppState } from './app/AppState';
import { ReadsProvider, useCatalog, useInventory, useProducts } from './app/queries';
import type { AppServices } from './app/services';
import { copy, currencyName } from './copy';
import type { PurchaseRequest } from './iap/purchase';
import type { RecoveryReport } from './iap/recovery';
import { usePurchase } from './iap/usePurchase';
import { Shop } from './screens/Shop';
import { ErrorNotice } from './ui/ErrorNotice';
import { HeldOrders } from './ui/HeldOrders';
import './styles.css';

const Inventory = lazy(() => import('./screens/Inventory'));
const History = lazy(() => import('./screens/History'));

const tabs = ['shop', 'inventory', 'history'] as const;
type TabKey = (typeof tabs)[number];

export function App({ services }: { services: AppServices }) {
  return (
    <TDSMobileAITProvider>
      <AppProviders services={services}>
        <Shell />
      </AppProviders>
    </TDSMobileAITProvider>
  );
}

/** Server reads (TanStack Query over tRPC) and the app's lifecycle, for the shell and everything under it. */
export function AppProviders({ services, children }: { services: AppServices; children: ReactNode }) {
  return (
    <ReadsProvider services={services}>
      <AppStateProvider services={services}>{children}</AppStateProvider>
    </ReadsProvider>
  );
}

function Shell() {
  const app = useAppState();
  const products = useProducts();
  const [tab, setTab] = useState<TabKey>('shop');
  const purchase = usePurchase();
  const { buy } = purchase;
  const onBuy = useCallback((request: PurchaseRequest) => void buy(request), [buy]);
  const { openToast } = useToast();
  const lastToasted = useRef<string | null>(null);
  const lastRecovery = useRef<RecoveryReport | null>(null);

  const nameOf = (sku: string) => products.data?.find((p) => p.sku === sku)?.displayName ?? sku;

  // Success → a toast with the product's name (once per order).
  useEffect(() => {
    const s = purchase.state;
    if (s.phase !== 'succeeded' || lastToasted.current === s.orderId) return;
    lastToasted.current = s.orderId;
    openToast(copy.purchase.success(nameOf(s.sku)), { type: 'bottom' });
  });

  // Recovery granted something new (a purchase that did not finish earlier) → tell the user.
  useEffect(() => {
    const report = app.lastRecovery;
    if (!report || report === lastRecovery.current) return;
    lastRecovery.current = report;
    if (report.grantedNow.length > 0)
      openToast(copy.purchase.recoveredToast(report.grantedNow.length), { type: 'bottom' });
  });

  if (app.login.status === 'pending') return <Loading />;
  if (app.login.status === 'failed') {
    const failure = app.login.error;
    const text = failure.kind === 'iap' ? failure.error : apiErrorCopy(failure.code);
    const code = failure.kind === 'iap' ? failure.error.code : failure.code;
    return (
      <main className="app" data-testid="login-failed">
        <Result
          title={copy.login.failedTitle}
          description={
            <span data-testid={failure.kind === 'iap' ? `error-${code}` : `app-error-${code}`}>
              {text.title}
              {text.description ? ` ${text.description}` : ''}
            </span>
          }
          button={<Result.Button onClick={app.retryLogin}>{copy.login.retry}</Result.Button>}
        />
      </main>
    );
  }

  const s = purchase.state;
  // Held orders from the last recovery, except the one the purchase notice already explains.
  const shownByPurchase = s.phase === 'failed' && s.held ? (s.grant?.orderId ?? null) : null;
  const held = (app.lastRecovery?.held ?? []).filter((order) => order.orderId !== shownByPurchase);
  return (
    <main className="app" data-testid={app.ready ? 'app-ready' : 'app-loading'} aria-busy={!app.ready}>
      <Header />
      <nav className="tabs">
        <Tab onChange={(index) => setTab(tabs[index] ?? 'shop')} ariaLabel={copy.appTitle} size="large" fluid>
          {tabs.map((key) => (
            <Tab.Item key={key} selected={tab === key} data-testid={`tab-${key}`}>
              {copy.tabs[key]}
            </Tab.Item>
          ))}
        </Tab>
      </nav>

      {app.recovering ? (
        <p className="banner" role="status" data-testid="pending-recovery">
          {copy.recovery.banner}
        </p>
      ) : null}

      {s.phase === 'failed' ? (
        <div className="notice-wrap">
          <ErrorNotice
            error={s.error}
            grant={s.grant}
            held={s.held}
            onDismiss={purchase.dismiss}
            onRetry={() => {
              const product = products.data?.find((p) => p.sku === s.sku);
              if (!product) return;
              purchase.dismiss();
              const offerId =
                product.type === 'SUBSCRIPTION' ? (product.offers?.[0]?.offerId ?? null) : undefined;
              void purchase.buy({
                sku: product.sku,
                type: product.type,
                ...(offerId !== undefined ? { offerId } : {}),
              });
            }}
            onShowOwned={() => {
              purchase.dismiss();
              setTab('inventory');
            }}
          />
        </div>
      ) : null}

      <HeldOrders orders={held} nameOf={nameOf} />

      <div className="tab-panel" role="tabpanel" aria-label={copy.tabs[tab]}>
        {tab === 'shop' ? (
          <Shop purchase={s} busy={purchase.inProgress} onBuy={onBuy} />
        ) : (
          <Suspense fallback={<Skeleton pattern="listOnly" repeatLastItemCount={3} />}>
            {tab === 'inventory' ? <Inventory onGoShop={() => setTab('shop')} /> : <History />}
          </Suspense>
        )}
      </div>

      <p className="sr-only" role="status" aria-live="polite" data-testid="purchase-status">
        {s.phase === 'preparing'
          ? copy.purchase.recovering
          : s.phase === 'checkout'
            ? copy.purchase.checkout
            : s.phase === 'granting'
              ? copy.purchase.granting
              : s.phase === 'succeeded'
                ? copy.purchase.success(nameOf(s.sku))
                : ''}
      </p>
      {purchase.inProgress ? (
        <div className="progress" data-testid="purchase-progress" aria-hidden="true">
          {s.phase === 'preparing'
            ? copy.purchase.recovering
            : s.phase === 'granting'
              ? copy.purchase.granting
              : copy.purchase.checkout}
        </div>
      ) : null}
    </main>
  );
}

function Header() {
  const inventory = useInventory().data;
  const catalog = useCatalog().data;
  const currencies = useMemo(() => {
    const set = new Set<string>();
    for (const item of catalog?.products ?? [])
      if (item.grant.kind === 'currency') set.add(item.grant.currency);
    for (const c of Object.keys(inventory?.balances ?? {})) set.add(c);
    return [...set];
  }, [inventory, catalog]);
  const balances = inventory?.balances ?? null;
  return (
    <Top
      title={<Top.TitleParagraph size={22}>{copy.appTitle}</Top.TitleParagraph>}
      subtitleBottom={
        <Top.SubtitleParagraph size={15}>
          {currencies.length === 0 ? copy.appSubtitle : null}
          {currencies.map((currency, i) => (
            <span key={currency}>
              {i > 0 ? ' · ' : ''}
              {copy.shop.balanceLabel(currency)}{' '}
              {balances ? (
                <strong className="balance" data-testid={`balance-${currency}`}>
                  {balances[currency] ?? 0}
                </strong>
              ) : (
                <span className="balance balance--loading">–</span>
              )}
              {`개`}
              <span className="sr-only">{` (${currencyName(currency)})`}</span>
            </span>
          ))}
        </Top.SubtitleParagraph>
      }
    />
  );
}

function Loading() {
  return (
    <main className="app" aria-busy="true" data-testid="app-loading">
      <Top title={<Top.TitleParagraph size={22}>{copy.appTitle}</Top.TitleParagraph>} />
      <p className="banner" role="status">
        {copy.login.inProgress}
      </p>
      <Skeleton pattern="listWithIconOnly" repeatLastItemCount={4} />
    </main>
  );
}
