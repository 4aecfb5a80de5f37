// The support console (apps/console on the server's admin port) against the real server and toss-mock: a purchase
// that ends held is found by the reference the app shows, re-checked with Toss and approved by an operator, and the
// app then shows the coins; a viewer cannot approve; two operators approving at once grant once.
import { orderReference } from '@ait-iap/iap-contract';
import { addOperator, ConsolePage, heldOrder } from '../harness/console';
import { expect, test } from '../harness/fixtures';

test('a held purchase: an operator finds it by the reference the app shows, asks Toss, approves it with a reason, and the app shows the coins', async ({
  app,
  server,
  mock,
  user,
  harness,
  browser,
}) => {
  // The app closes after payment, before the grant: under Toss staff's reading the order reads FAILED → held.
  await mock.nextPurchase(user.userKey, 'close-after-payment');
  await app.startPurchase('coin_100');
  await app.payAndWaitForRestart();
  const [order] = await mock.ordersOf(user.userKey);
  if (!order) throw new Error('no order in the mock');
  await expect(app.heldBanner(order.orderId)).toBeVisible();
  const shown = app.testId(`order-reference-${order.orderId}`);
  await expect(shown).toBeVisible();
  const reference = (await shown.textContent())?.trim() ?? '';
  expect(reference).toBe(orderReference(order.orderId));
  await app.expectBalance(0);

  const approver = await addOperator(harness, 'approver');
  const console = await ConsolePage.signedIn(browser, harness.adminUrl, approver);
  try {
    await console.openByReference(reference);
    await expect(console.state()).toHaveText('확인 필요');
    const reading = await console.askToss();
    await expect(reading).toContainText('FAILED');
    await expect(console.state()).toHaveText('확인 필요'); // asking changed nothing

    const confirm = await console.prepareDecision('승인', '정산에서 1,100원 결제 확인');
    await expect(console.page.getByRole('dialog')).toContainText('구매 내역에');
    await confirm.click();
    await expect(console.page.getByRole('status')).toHaveText('승인 완료');
    await expect(console.state()).toHaveText('지급됨');
    await expect(console.page.getByTestId('order-audit')).toContainText(approver.name);
    await expect(console.page.getByTestId('order-audit')).toContainText('정산에서 1,100원 결제 확인');
  } finally {
    await console.close();
  }

  // The next start delivers it, once.
  await app.reopen();
  await app.expectBalance(100);
  await expect(app.testId('held-orders')).toHaveCount(0);
  expect(await server.balance('COIN')).toBe(100);
});

test('a viewer can read a held order but cannot approve it: the buttons are disabled, a direct call gets 403, nothing changes', async ({
  mock,
  user,
  harness,
  browser,
  server,
}) => {
  const orderId = await heldOrder(harness, mock, user.userKey);
  const viewer = await addOperator(harness, 'viewer');
  const console = await ConsolePage.signedIn(browser, harness.adminUrl, viewer);
  try {
    await console.openOrder(orderId);
    await expect(console.state()).toHaveText('확인 필요');
    await expect(console.decisionButton('승인')).toBeDisabled();
    await expect(console.decisionButton('거절')).toBeDisabled();
    await expect(console.page.getByText('조회 권한 계정이에요')).toBeVisible();

    // The same call the button would make, from the viewer's signed-in page: refused by the server.
    const status = await console.page.evaluate(async (id) => {
      const response = await fetch('/trpc/ops.approve', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ orderId: id, reason: 'viewer tries anyway' }),
      });
      return response.status;
    }, orderId);
    expect(status).toBe(403);
    await console.page.reload();
    await expect(console.state()).toHaveText('확인 필요');
    await expect(console.page.getByText('운영자가 처리한 기록이 없어요.')).toBeVisible();
  } finally {
    await console.close();
  }
  expect(await server.balance('COIN')).toBe(0);
});

test('two operators approving the same held order at once grant it once: one sees it done, the other who decided it', async ({
  mock,
  user,
  harness,
  browser,
  server,
}) => {
  const orderId = await heldOrder(harness, mock, user.userKey);
  const [first, second] = await Promise.all([
    addOperator(harness, 'approver'),
    addOperator(harness, 'approver'),
  ]);
  const a = await ConsolePage.signedIn(browser, harness.adminUrl, first);
  const b = await ConsolePage.signedIn(browser, harness.adminUrl, second);
  try {
    await Promise.all([a.openOrder(orderId), b.openOrder(orderId)]);
    const confirmA = await a.prepareDecision('승인', '정산 확인 (A)');
    const confirmB = await b.prepareDecision('승인', '정산 확인 (B)');
    await Promise.all([confirmA.click(), confirmB.click()]);

    const outcome = async (page: ConsolePage) => {
      const done = page.page.getByRole('status').filter({ hasText: '승인 완료' });
      const refused = page.page.getByRole('alert').filter({ hasText: '이미 처리된 주문이에요' });
      await expect(done.or(refused)).toBeVisible();
      return (await done.count()) > 0 ? 'done' : 'refused';
    };
    const [resultA, resultB] = [await outcome(a), await outcome(b)];
    expect([resultA, resultB].sort()).toEqual(['done', 'refused']);
    const [winner, loser] = resultA === 'done' ? [first, b] : [second, a];
    // The refusal names the state now and who moved it.
    const refusal = loser.page.getByRole('alert');
    await expect(refusal).toContainText('지금 상태: 지급됨');
    await expect(refusal).toContainText(winner.name);
  } finally {
    await a.close();
    await b.close();
  }
  expect(await server.balance('COIN')).toBe(100);
});
