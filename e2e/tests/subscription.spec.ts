// Scenario 4: subscribe with the free-trial offer → active with an expiry; renew and expire through the mock's
// clock → the inventory follows.
import { expect, test } from '../harness/fixtures';

const day = 86_400_000;

/** How the app writes a date (Korean style, the browser runs in Asia/Seoul): `2026. 11. 29.` */
function koreanDate(iso: string): string {
  return new Intl.DateTimeFormat('ko-KR', {
    timeZone: 'Asia/Seoul',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
  }).format(new Date(iso));
}

test.describe('subscription', () => {
  // The mock clock is shared by every test: put it back however the test ends.
  let moved = 0;
  test.afterEach(async ({ mock }) => {
    if (moved !== 0) await mock.advanceClock(-moved);
    moved = 0;
  });

  test('the free trial makes premium active with an expiry; an automatic renewal extends it', async ({
    app,
    server,
    mock,
    user,
  }) => {
    await app.tab('shop');
    await expect(app.buyButton('premium_monthly')).toContainText('무료 체험');
    await app.buy('premium_monthly');

    const status = app.testId('subscription-premium_monthly');
    await expect(status).toContainText('이용 중');
    await expect(status).toContainText('까지');
    const [sub] = await mock.subscriptionsOf(user.userKey);
    if (!sub?.expiresAt) throw new Error('the mock has no subscription after the purchase');
    expect(sub.status).toBe('ACTIVE');

    // Access lasts exactly as long as Toss says: the 7-day trial, not a whole billing cycle. The app reports Toss's
    // subscription state right after the purchase, so the server and the shop show the trial's end at once.
    await expect
      .poll(async () =>
        (await server.inventory()).entitlements.map((e) => e.expiresAt && Date.parse(e.expiresAt)),
      )
      .toEqual([Date.parse(sub.expiresAt)]);
    const first = (await server.inventory()).entitlements;
    expect(first[0]).toMatchObject({
      sku: 'premium_monthly',
      type: 'SUBSCRIPTION',
      orderId: sub.orderId,
      status: 'ACTIVE',
    });
    const firstExpiry = Date.parse(first[0]?.expiresAt ?? '');
    await expect(status).toContainText(`${koreanDate(sub.expiresAt)}까지`);

    // Time passes past the end of the trial; Toss renews the subscription (a new, completed order).
    moved = Date.parse(sub.expiresAt) - Date.parse((await mock.state()).clock.now) + day;
    await mock.advanceClock(moved);
    await expect.poll(async () => (await mock.ordersOf(user.userKey)).length).toBe(2);

    // The next start syncs Toss's completed orders: the renewal is granted and the expiry moves on.
    await app.reopen();
    await expect.poll(async () => (await server.orders()).length).toBe(2);
    const renewed = (await server.inventory()).entitlements;
    expect(renewed).toHaveLength(1);
    expect(Date.parse(renewed[0]?.expiresAt ?? '')).toBeGreaterThan(firstExpiry);
    for (const order of await server.orders())
      expect(order).toMatchObject({ sku: 'premium_monthly', state: 'GRANTED' });
    await app.tab('shop');
    await expect(app.testId('subscription-premium_monthly')).toContainText('이용 중');
  });

  test('an expired subscription leaves the inventory and can be bought again', async ({
    app,
    server,
    mock,
    user,
  }) => {
    await app.buy('premium_monthly');
    await expect(app.testId('subscription-premium_monthly')).toContainText('이용 중');
    const [sub] = await mock.subscriptionsOf(user.userKey);
    if (!sub) throw new Error('the mock has no subscription after the purchase');

    // The user turned auto-renew off; the period ends and Toss expires the subscription.
    await mock.subscription(sub.orderId, 'expire');
    moved = 40 * day;
    await mock.advanceClock(moved);
    expect((await mock.subscriptionsOf(user.userKey))[0]).toMatchObject({
      status: 'EXPIRED',
      isAccessible: false,
    });

    await app.reopen();
    await app.tab('shop');
    await expect(app.product('premium_monthly')).not.toContainText('이용 중');
    await expect(app.buyButton('premium_monthly')).toBeEnabled();
    expect(await server.entitlementSkus()).toEqual([]);
  });

  test('a subscription Toss revokes (refunded) leaves the inventory and history shows it refunded', async ({
    app,
    server,
    mock,
    user,
  }) => {
    await app.buy('premium_monthly');
    await expect(app.testId('subscription-premium_monthly')).toContainText('이용 중');
    const [sub] = await mock.subscriptionsOf(user.userKey);
    if (!sub) throw new Error('the mock has no subscription after the purchase');
    expect(await server.entitlementSkus()).toEqual(['premium_monthly']);

    await mock.subscription(sub.orderId, 'revoke');
    await app.reopen();
    await app.tab('history');
    await expect(app.testId(`history-${sub.orderId}`)).toContainText('환불됨');
    await app.tab('shop');
    await expect(app.testId('subscription-premium_monthly')).toHaveCount(0);
    await expect(app.buyButton('premium_monthly')).toBeEnabled();

    expect(await server.entitlementSkus()).toEqual([]);
    const orders = await server.orders();
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({ orderId: sub.orderId, state: 'REVOKED' });
  });
});
