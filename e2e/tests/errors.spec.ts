// Scenario 10: every SDK error code is shown with its Korean copy and the next action, and nothing is granted that
// was not paid for.
import { iapErrorCodes, iapErrorInfo, type NextAction, type SdkIapErrorCode } from '@ait-iap/iap-contract';
import { expect, test } from '../harness/fixtures';

/** The label of the control offered for each next action (apps/web/src/copy.ts `actions`). */
const actionLabel: Record<NextAction, string> = {
  retry: '다시 시도',
  wait: '확인',
  none: '확인',
  contact: '고객센터 문의',
  owned: '보관함에서 보기',
  update: '확인',
};

/** Errors Toss reports before its checkout sheet opens (nothing to pay). */
const beforeCheckout: readonly SdkIapErrorCode[] = [
  'INVALID_PRODUCT_ID',
  'ITEM_ALREADY_OWNED',
  'INVALID_USER_ENVIRONMENT',
  'KOREAN_ACCOUNT_ONLY',
  'USER_CANCELED',
];
/** Errors after which the user HAS paid: the order must be granted, once, by recovery. */
const paidAnyway: readonly SdkIapErrorCode[] = [
  'TOSS_SERVER_VERIFICATION_FAILED',
  'PRODUCT_NOT_GRANTED_BY_PARTNER',
];

for (const code of iapErrorCodes) {
  test(`${code} shows its Korean copy and next action`, async ({ app, server, mock, user }) => {
    const info = iapErrorInfo[code];
    const sku = code === 'ITEM_ALREADY_OWNED' ? 'remove_ads' : 'coin_100';
    await mock.nextPurchase(user.userKey, code);
    await app.startPurchase(sku);
    if (!beforeCheckout.includes(code)) await app.pay();
    else await expect(app.payButton()).toHaveCount(0);

    const shown = app.error(code);
    await expect(shown).toBeVisible();
    await expect(shown).toContainText(info.title);
    await expect(shown).toContainText(info.description);
    await expect(shown).toHaveAttribute('data-action', info.action);
    await expect(shown.getByText(actionLabel[info.action], { exact: true }).first()).toBeVisible();

    if (paidAnyway.includes(code)) {
      // Paid but not granted now: a reopen grants it exactly once.
      await app.reopen();
      await app.expectBalance(100);
      expect(await server.balance('COIN')).toBe(100);
      expect(await server.orders()).toHaveLength(1);
      await expect
        .poll(async () => (await mock.ordersOf(user.userKey)).map((o) => o.completed))
        .toEqual([true]);
    } else {
      await app.expectBalance(0);
      expect(await server.balance('COIN')).toBe(0);
      expect(await server.entitlementSkus()).toEqual([]);
      expect((await server.orders()).filter((o) => o.state === 'GRANTED')).toEqual([]);
    }
  });
}
