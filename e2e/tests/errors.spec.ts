// Scenario 10: every SDK error code is shown with its Korean copy and its next action, the next action does what it
// says, and nothing is granted that was not paid for (what was paid is granted exactly once).
import { iapErrorCodes, iapErrorInfo, type SdkIapErrorCode } from '@ait-iap/iap-contract';
import { expect, test } from '../harness/fixtures';
import { webCopy } from '../harness/web-copy';

/** Errors Toss reports before its checkout sheet opens (nothing to pay). */
const beforeCheckout: readonly SdkIapErrorCode[] = [
  'INVALID_PRODUCT_ID',
  'ITEM_ALREADY_OWNED',
  'INVALID_USER_ENVIRONMENT',
  'KOREAN_ACCOUNT_ONLY',
  'USER_CANCELED',
];
/**
 * The mock's PRODUCT_NOT_GRANTED_BY_PARTNER runs the grant callback (our server grants) and then loses its answer:
 * the product is the user's, so the app says that (`grantedDespiteError`), not "not granted".
 */
const shownCopy = (code: SdkIapErrorCode) =>
  code === 'PRODUCT_NOT_GRANTED_BY_PARTNER'
    ? { ...webCopy.grantedDespiteError, action: 'none' as const }
    : iapErrorInfo[code];

/** Errors after which the user HAS paid: the order must be granted, once (by the callback or by recovery). */
const paidAnyway: readonly SdkIapErrorCode[] = [
  'TOSS_SERVER_VERIFICATION_FAILED',
  'PRODUCT_NOT_GRANTED_BY_PARTNER',
];

for (const code of iapErrorCodes) {
  const info = shownCopy(code);
  test(`${code} shows its Korean copy and the next action "${info.action}"`, async ({
    app,
    server,
    mock,
    user,
  }) => {
    const sku = code === 'ITEM_ALREADY_OWNED' ? 'remove_ads' : 'coin_100';
    await mock.nextPurchase(user.userKey, code);
    await app.startPurchase(sku);
    if (beforeCheckout.includes(code)) await expect(app.payButton()).toHaveCount(0);
    else await app.pay();

    const shown = app.error(code);
    await expect(shown).toBeVisible();
    await expect(shown).toContainText(info.title);
    await expect(shown).toContainText(info.description);
    await expect(shown).toHaveAttribute('data-action', info.action);
    const action = shown.getByText(webCopy.actions[info.action], { exact: true }).first();
    await expect(action).toBeVisible();

    // Follow the next action.
    let expectedCoins = 0;
    switch (info.action) {
      case 'retry':
        // Trying again opens a new checkout; this time it goes through.
        await action.click();
        await app.pay();
        expectedCoins = 100;
        break;
      case 'owned':
        await action.click();
        await expect(app.page.getByRole('tabpanel', { name: '보관함' })).toBeVisible();
        break;
      case 'contact':
        await expect(shown.getByRole('link', { name: webCopy.actions.contact })).toHaveAttribute(
          'href',
          /^https:\/\//,
        );
        await shown.getByText(webCopy.dismiss, { exact: true }).click();
        break;
      default:
        await action.click();
    }
    await expect(shown).toHaveCount(0);

    if (paidAnyway.includes(code)) {
      // Paid: after the next start the order is granted (by the callback or by recovery) exactly once and completed.
      await app.reopen();
      expectedCoins = 100;
      await expect
        .poll(async () => (await mock.ordersOf(user.userKey)).map((o) => o.completed))
        .toEqual([true]);
    }
    await app.expectBalance(expectedCoins);
    expect(await server.balance('COIN')).toBe(expectedCoins);
    expect(await server.entitlementSkus()).toEqual([]);
    const granted = (await server.orders()).filter((o) => o.state === 'GRANTED');
    expect(granted).toHaveLength(expectedCoins === 0 ? 0 : 1);
  });
}
