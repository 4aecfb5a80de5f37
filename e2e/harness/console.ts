/**
 * The support console as support staff drive it (apps/console, served on the server's admin port): sign in, find an
 * order by the reference the customer quotes, ask Toss, decide with a reason. Plus what the scenarios set up around
 * it: operator accounts made with the ops CLI (`ops operator add … --json`, as a team would) and a held order made
 * through the public API (a FAILED order claimed by its user).
 */
import { randomBytes } from 'node:crypto';
import { type Browser, expect, type Locator, type Page } from '@playwright/test';
import type { HarnessEnv } from './env';
import type { MockControl } from './mock-control';
import { ops } from './server-api';

export interface OperatorAccount {
  name: string;
  role: 'viewer' | 'approver';
  password: string;
}

/** A new operator account, made with the CLI exactly as support would (`--json` prints the generated password). */
export async function addOperator(
  harness: HarnessEnv,
  role: OperatorAccount['role'],
): Promise<OperatorAccount> {
  const name = `e2e-${role}-${randomBytes(3).toString('hex')}`;
  const created = (await ops(harness, [
    'operator',
    'add',
    name,
    '--role',
    role,
    '--json',
  ])) as OperatorAccount;
  expect(created).toMatchObject({ name, role });
  return created;
}

async function post<T>(url: string, body: unknown, token?: string): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${url} → ${response.status}: ${text}`);
  return (JSON.parse(text) as { result: { data: T } }).result.data;
}

/** A FAILED order the server never saw paid, claimed by its user: held for an operator (UNDER_REVIEW). */
export async function heldOrder(harness: HarnessEnv, mock: MockControl, userKey: number, sku = 'coin_100') {
  const { orderId } = await mock.createOrder(userKey, sku, 'FAILED');
  const authorizationCode = await mock.loginCode(userKey);
  const { token } = await post<{ token: string }>(`${harness.serverUrl}/trpc/auth.login`, {
    authorizationCode,
    referrer: 'DEFAULT',
  });
  const answer = await post<{ reason: string }>(
    `${harness.serverUrl}/trpc/iap.fulfill`,
    { orderId, sku },
    token,
  );
  expect(answer.reason).toBe('UNDER_REVIEW');
  return orderId;
}

export class ConsolePage {
  constructor(
    readonly page: Page,
    readonly adminUrl: string,
  ) {}

  /** A fresh browser context (its own cookie jar) at desktop width, signed in as `operator`. */
  static async signedIn(browser: Browser, adminUrl: string, operator: OperatorAccount): Promise<ConsolePage> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'ko-KR' });
    const console = new ConsolePage(await context.newPage(), adminUrl);
    await console.signIn(operator);
    return console;
  }

  async signIn(operator: OperatorAccount): Promise<void> {
    await this.page.goto(`${this.adminUrl}/`);
    await this.page.getByLabel('운영자 이름').fill(operator.name);
    await this.page.getByLabel('비밀번호').fill(operator.password);
    await this.page.getByRole('button', { name: '로그인' }).click();
    await expect(this.page.getByText(`${operator.name} ·`)).toBeVisible();
  }

  /** Search by what the customer quoted (the reference), and open the one order it finds. */
  async openByReference(reference: string): Promise<void> {
    await this.page.getByLabel('주문·참조 번호, 사용자 검색').fill(reference);
    await this.page.getByLabel('주문·참조 번호, 사용자 검색').press('Enter');
    await this.page.getByRole('link', { name: reference }).click();
    await expect(this.page.getByTestId('order-reference')).toHaveText(reference);
  }

  async openOrder(orderId: string): Promise<void> {
    await this.page.goto(`${this.adminUrl}/#/order/${encodeURIComponent(orderId)}`);
    await expect(this.page.getByTestId('order-state')).toBeVisible();
  }

  state(): Locator {
    return this.page.getByTestId('order-state');
  }

  async askToss(): Promise<Locator> {
    await this.page.getByRole('button', { name: 'Toss에 다시 묻기' }).click();
    const reading = this.page.getByTestId('toss-reading');
    await expect(reading).toBeVisible();
    return reading;
  }

  decisionButton(label: '승인' | '거절' | '다시 지급' | '회수'): Locator {
    return this.page.getByRole('main').getByRole('button', { name: label, exact: true });
  }

  /** Open the confirmation for `label` and fill the reason; returns the confirm button (not yet clicked). */
  async prepareDecision(label: '승인' | '거절', reason: string): Promise<Locator> {
    await this.decisionButton(label).click();
    const dialog = this.page.getByRole('dialog');
    await expect(dialog).toBeVisible();
    await dialog.getByLabel(/사유/).fill(reason);
    return dialog.getByRole('button', { name: label, exact: true });
  }

  async close(): Promise<void> {
    await this.page.context().close();
  }
}
