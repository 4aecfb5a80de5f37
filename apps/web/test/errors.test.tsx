/**
 * Every SDK error code, produced by the toss-mock host through the real SDK, shows the contract's Korean copy with
 * its next action — and the app keeps working afterwards. One app, one user, one purchase per code.
 */
import { type IapErrorCode, iapErrorCodes, iapErrorInfo, type NextAction } from '@ait-iap/iap-contract';
import type { TossMockHost } from '@ait-iap/toss-mock/host';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { copy } from '../src/copy';
import { balance, renderApp } from './app';
import { installHost, type Stack, sent, startStack } from './harness';

let stack: Stack;
let host: TossMockHost;

beforeAll(async () => {
  stack = await startStack();
  host = await installHost(stack);
  await host.switchUser();
  await renderApp(stack);
}, 60_000);
afterAll(async () => {
  cleanup();
  host?.uninstall();
  await stack?.close();
});

const actionControl: Record<NextAction, string | null> = {
  retry: copy.actions.retry,
  owned: copy.actions.owned,
  contact: copy.actions.contact,
  wait: null,
  none: null,
  update: null,
};

async function settle() {
  await waitFor(() => {
    expect(screen.queryByTestId('purchase-progress')).toBeNull();
    expect(screen.queryByTestId('pending-recovery')).toBeNull();
  });
}

describe('every SDK error code has Korean copy and a next action', () => {
  test.each(iapErrorCodes.map((code) => [code]))('%s', async (code: IapErrorCode) => {
    const sku = code === 'ITEM_ALREADY_OWNED' ? 'remove_ads' : 'coin_100';
    await stack.control('POST', '/__mock/next-purchase', { outcome: code, userKey: host.userKey() });
    const from = host.messages.length;
    fireEvent.click(screen.getByTestId(`buy-${sku}`));

    const notice = await screen.findByTestId(`error-${code}`);
    // The mock's scripted PRODUCT_NOT_GRANTED_BY_PARTNER loses an answer our server had already made "granted": the
    // product is the user's, and the notice says so instead of "not granted".
    const granted = code === 'PRODUCT_NOT_GRANTED_BY_PARTNER';
    const info = granted
      ? { ...copy.purchase.grantedDespiteError, action: 'none' as const }
      : iapErrorInfo[code];
    expect(notice.getAttribute('role')).toBe('alert');
    expect(notice.textContent).toContain(info.title);
    expect(notice.textContent).toContain(info.description);
    if (granted) expect(notice.textContent).not.toContain(iapErrorInfo[code].title);
    const control = actionControl[info.action];
    if (control) expect(within(notice).getByText(control)).toBeTruthy();
    if (info.action === 'contact') {
      // The support page, carrying the paid order's short reference when the failure came after payment.
      const href = within(notice).getByText(copy.actions.contact).closest('a')?.getAttribute('href') ?? '';
      expect(href).toMatch(/^https:\/\/toss\.im\/support(\?ref=[0-9A-Z]{4}-[0-9A-Z]{4})?$/);
      expect(href.startsWith(copy.supportUrl)).toBe(true);
    }
    // cleanup() ran for the checkout that failed
    const opened = sent(host, from, 'addEventListener').map((m) => m.eventId);
    const removed = sent(host, from, 'removeEventListener').map((m) => m.eventId);
    expect(opened).toHaveLength(1);
    expect(removed).toEqual(opened);

    if (code === 'ITEM_ALREADY_OWNED') {
      // "already owned" → shown as owned, not offered again
      expect(await screen.findByTestId('owned-remove_ads')).toBeTruthy();
      expect((screen.getByTestId('buy-remove_ads') as HTMLButtonElement).disabled).toBe(true);
    }
    await settle();
    fireEvent.click(
      within(notice).getByText(info.action === 'wait' || info.action === 'none' ? '확인' : '닫기'),
    );
    expect(screen.queryByTestId(`error-${code}`)).toBeNull();
  });

  test('"다시 시도" after a network error buys again, and this time it goes through', async () => {
    const before = Number(balance());
    await stack.control('POST', '/__mock/next-purchase', {
      outcome: 'NETWORK_ERROR',
      userKey: host.userKey(),
    });
    fireEvent.click(screen.getByTestId('buy-coin_100'));
    const notice = await screen.findByTestId('error-NETWORK_ERROR');
    await settle();
    fireEvent.click(within(notice).getByText(copy.actions.retry));
    await waitFor(() => expect(Number(balance())).toBe(before + 100));
    expect(screen.queryByTestId('error-NETWORK_ERROR')).toBeNull();
  });

  test('paid-but-unfinished errors are recovered right away: the coins arrive without a restart', async () => {
    const before = Number(balance());
    await stack.control('POST', '/__mock/next-purchase', {
      outcome: 'TOSS_SERVER_VERIFICATION_FAILED',
      userKey: host.userKey(),
    });
    fireEvent.click(screen.getByTestId('buy-coin_100'));
    await screen.findByTestId('error-TOSS_SERVER_VERIFICATION_FAILED');
    await waitFor(() => expect(Number(balance())).toBe(before + 100));
    fireEvent.click(screen.getByText('확인'));
  });
});
