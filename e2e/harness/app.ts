/**
 * The mini-app as a user drives it: open it as a mock Toss user, switch tabs, buy, pay or cancel in the mock's
 * checkout sheet, read balances and errors. Selectors are the app's data-testids (see apps/web) and the mock's
 * checkout buttons ("결제하기" / "취소"), so a scenario reads like what the user does.
 */
import { expect, type Locator, type Page } from '@playwright/test';

export type Tab = 'shop' | 'inventory' | 'history';

export class App {
  /** The Toss app version the mock host plays (null: its default, new enough for everything). */
  private tossVersion: string | null = null;

  constructor(
    readonly page: Page,
    readonly webUrl: string,
    readonly userKey: number,
  ) {}

  /** Open (or reopen: a full page load is a fresh app start) as this user and wait for login + first load. */
  async open(): Promise<void> {
    const version = this.tossVersion ? `&mockTossVersion=${encodeURIComponent(this.tossVersion)}` : '';
    await this.page.goto(`${this.webUrl}/?mockUser=${this.userKey}${version}`);
    await this.waitReady();
  }

  /**
   * From now on (this open and every reopen or reload) the app runs in this Toss app version, e.g. 5.225.0: older
   * than getPendingOrders (Android 5.234.0) and completeProductGrant (5.233.0), on the legacy purchase path.
   */
  async openInTossVersion(version: string): Promise<void> {
    this.tossVersion = version;
    await this.open();
  }

  async waitReady(): Promise<void> {
    await expect(this.page.getByTestId('app-ready')).toBeVisible({ timeout: 30_000 });
  }

  /**
   * Close the app and open it again, the way a user swipes it away and comes back: a full page load is a new JS
   * runtime with nothing kept in memory (the mock host's ledger lives in toss-mock, like Toss's does).
   */
  async reopen(): Promise<void> {
    await this.open();
  }

  testId(id: string): Locator {
    return this.page.getByTestId(id);
  }

  async tab(name: Tab): Promise<void> {
    await this.testId(`tab-${name}`).click();
  }

  product(sku: string): Locator {
    return this.testId(`product-${sku}`);
  }

  buyButton(sku: string): Locator {
    return this.testId(`buy-${sku}`);
  }

  /** The mock's checkout bottom sheet (Toss's payment dialog). */
  checkoutSheet(): Locator {
    return this.page.getByRole('dialog', { name: '토스 결제' });
  }

  payButton(): Locator {
    return this.checkoutSheet().getByRole('button', { name: '결제하기', exact: true });
  }

  cancelButton(): Locator {
    return this.checkoutSheet().getByRole('button', { name: '취소', exact: true });
  }

  /** Tap buy on the shop tab; the checkout sheet opens (unless Toss refuses first). */
  async startPurchase(sku: string): Promise<void> {
    await this.tab('shop');
    await this.buyButton(sku).click();
  }

  /** Tap buy, then pay in the checkout sheet. */
  async buy(sku: string): Promise<void> {
    await this.startPurchase(sku);
    await this.pay();
  }

  async pay(): Promise<void> {
    await expect(this.payButton()).toBeVisible();
    await this.payButton().click();
    await expect(this.payButton()).toBeHidden();
  }

  /**
   * Pay in a scenario where Toss closes the app right after (the mock reloads the page): resolves once the app has
   * started again and is ready.
   */
  async payAndWaitForRestart(): Promise<void> {
    await expect(this.payButton()).toBeVisible();
    const restarted = this.page.waitForEvent('load', { timeout: 30_000 });
    await this.payButton().click();
    await restarted;
    await this.waitReady();
  }

  async cancel(): Promise<void> {
    await expect(this.cancelButton()).toBeVisible();
    await this.cancelButton().click();
    await expect(this.payButton()).toBeHidden();
  }

  balance(currency = 'COIN'): Locator {
    return this.testId(`balance-${currency}`);
  }

  async expectBalance(amount: number, currency = 'COIN'): Promise<void> {
    await expect(this.balance(currency)).toHaveText(String(amount));
  }

  error(code: string): Locator {
    return this.testId(`error-${code}`);
  }

  /** The purchase's own notice when its paid order is held for an operator (UNDER_REVIEW). */
  purchaseHeld(): Locator {
    return this.testId('purchase-held');
  }

  /** The banner line for a held order (shown on every tab after a recovery found it held). */
  heldBanner(orderId: string): Locator {
    return this.testId(`held-${orderId}`);
  }

  /** Wait until no recovery is running. */
  async settled(): Promise<void> {
    await expect(this.testId('pending-recovery')).toHaveCount(0, { timeout: 30_000 });
  }
}
