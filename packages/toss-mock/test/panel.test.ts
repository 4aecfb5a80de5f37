// @vitest-environment happy-dom
/** The dev panel drives the mock the way a developer would: by clicking. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { installTossMockHost, type TossMockHost } from '../src/host/index';
import type { TossMock } from '../src/index';
import { mountDevPanel } from '../src/panel/index';
import { control, startTestMock } from './helpers';
import { eventually } from './host-helpers';

let mock: TossMock;
let host: TossMockHost;
let unmount: () => void = () => {};

beforeAll(async () => {
  mock = await startTestMock();
});
afterAll(async () => {
  await mock.close();
});
beforeEach(async () => {
  unmount();
  host?.uninstall();
  await control(mock, 'POST', '/__mock/reset');
  host = installTossMockHost({ controlUrl: mock.controlUrl, checkout: 'auto', closeApp: () => {} });
  await host.ready;
  unmount = mountDevPanel({ controlUrl: mock.controlUrl, host, open: true });
});

const panel = () => document.querySelector('[aria-label="Toss 모의 개발 패널"]') as HTMLElement;
function click(label: string, within: ParentNode = panel()): void {
  const button = [...within.querySelectorAll('button')].find((b) => b.textContent === label);
  if (!button) throw new Error(`no button ${label}`);
  button.click();
}
const status = () => panel().querySelector('[role="status"]')?.textContent ?? '';

describe('dev panel', () => {
  it('opens from a small button and closes again; unmount removes it', async () => {
    unmount();
    unmount = mountDevPanel({ controlUrl: mock.controlUrl, host });
    expect(panel()).toBeNull();
    click('Toss 모의', document);
    expect(panel()).not.toBeNull();
    click('Toss 모의', document);
    expect(panel()).toBeNull();
    unmount();
    expect(document.querySelector('[data-toss-mock="panel"]')).toBeNull();
  });

  it('queues the picked outcome for this user', async () => {
    const select = panel().querySelector('select[aria-label="다음 결제 결과"]') as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).toHaveLength(16);
    select.value = 'USER_CANCELED';
    click('적용', select.parentElement!);
    await eventually(() =>
      expect(mock.state.outcomes).toEqual([{ outcome: 'USER_CANCELED', userKey: host.userKey() }]),
    );
    await eventually(() =>
      expect(panel().textContent).toContain('대기 중: 결제를 취소했어요 (USER_CANCELED)'),
    );
  });

  it('shows this user’s orders and refunds one', async () => {
    const userKey = host.userKey()!;
    const { orderId } = (await control(mock, 'POST', '/__mock/orders', { userKey, sku: 'coin_100' })).body;
    await control(mock, 'POST', '/__mock/orders', { userKey: userKey + 1000, sku: 'remove_ads' });
    click('새로고침');
    const row = await eventually(() => {
      const found = panel().querySelector(`[data-order-id="${orderId}"]`);
      if (!found) throw new Error('row not shown');
      return found;
    });
    expect(row.textContent).toContain('coin_100 · 결제 완료');
    expect(panel().textContent).not.toContain('remove_ads');
    click('환불', row);
    await eventually(() => expect(mock.state.orders.get(orderId)?.payment).toBe('refunded'));
    await eventually(() => expect(panel().textContent).toContain('coin_100 · 환불됨'));
  });

  it("switches each undocumented rule's reading from its own select, defaults selected", async () => {
    const pick = (label: string) =>
      panel().querySelector(`select[aria-label="${label}"]`) as HTMLSelectElement;
    await eventually(() => expect(pick('결제 내역에 완료로 보이는 때').value).toBe('after-complete-grant'));
    expect(pick('복구 후 주문 조회').value).toBe('unchanged');
    expect(pick('상품 종류가 다른 결제').value).toBe('refused');
    for (const [label, value, option] of [
      ['결제 내역에 완료로 보이는 때', 'after-payment', 'historyReading'],
      ['복구 후 주문 조회', 'reads-paid', 'statusAfterComplete'],
      ['상품 종류가 다른 결제', 'accepted', 'wrongKindPurchase'],
    ] as const) {
      const select = pick(label);
      select.value = value;
      select.dispatchEvent(new Event('change'));
      await eventually(() => expect(mock.state.options[option]).toBe(value));
    }
  });

  it('plays a Toss version scenario: the grant answer without getPendingOrders is Android 5.232.0', async () => {
    const select = panel().querySelector('select[aria-label="토스 앱 버전 시나리오"]') as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).toContain('5.232.0');
    select.value = '5.232.0';
    select.dispatchEvent(new Event('change'));
    await eventually(() => expect(host.appVersion()).toBe('5.232.0'));
  });

  it('offers the three status readings, the staff’s first and selected, each with its source', async () => {
    const reading = panel().querySelector('select[aria-label="주문 상태 판독"]') as HTMLSelectElement;
    expect([...reading.options].map((o) => o.value)).toEqual([
      'grant-failed',
      'payment-completed',
      'purchased',
    ]);
    const source = () => panel().querySelector('[data-toss-mock="reading-source"]')?.textContent;
    await eventually(() => expect(source()).toBe('출처: 토스 담당자 답변 (개발자 포럼 topic/1238)'));
    expect(reading.value).toBe('grant-failed');
    const expected = {
      'payment-completed': '출처: 개발자들의 관찰 (개발자 포럼 server-api/545)',
      purchased: '출처: Unity SDK 문서',
    };
    for (const [value, text] of Object.entries(expected)) {
      reading.value = value;
      reading.dispatchEvent(new Event('change'));
      await eventually(() => expect(mock.state.options.statusReading).toBe(value));
      await eventually(() => expect(source()).toBe(text));
    }
  });

  it('reveals the undocumented sku in get-order-status from a checkbox, and hides it again', async () => {
    const box = [...panel().querySelectorAll('label')]
      .find((l) => l.textContent?.includes('sku 포함'))
      ?.querySelector('input') as HTMLInputElement;
    await eventually(() => expect(box.checked).toBe(false));
    box.checked = true;
    box.dispatchEvent(new Event('change'));
    await eventually(() => expect(mock.state.options.revealSku).toBe(true));
    box.checked = false;
    box.dispatchEvent(new Event('change'));
    await eventually(() => expect(mock.state.options.revealSku).toBe(false));
  });

  it('shows how each order’s grant ended', async () => {
    const userKey = host.userKey()!;
    const { orderId } = (await control(mock, 'POST', '/__mock/orders', { userKey, sku: 'coin_100' })).body;
    await control(mock, 'POST', `/__mock/orders/${orderId}/grant`, { ending: 'no-answer' });
    click('새로고침');
    await eventually(() =>
      expect(panel().querySelector(`[data-order-id="${orderId}"]`)?.textContent).toContain('coin_100 · 실패'),
    );
    expect(panel().querySelector(`[data-order-id="${orderId}"]`)?.textContent).toContain(
      '지급 응답 없음 (시간 초과) · 완료 처리 전',
    );
  });

  it('moves time, switches the status reading and turns faults on and off', async () => {
    click('+1일');
    await eventually(() => expect(mock.state.clock.offsetMs()).toBe(86_400_000));
    const reading = panel().querySelector('select[aria-label="주문 상태 판독"]') as HTMLSelectElement;
    reading.value = 'purchased';
    reading.dispatchEvent(new Event('change'));
    await eventually(() => expect(mock.state.options.statusReading).toBe('purchased'));
    click('켜기');
    await eventually(() => expect(mock.state.faults.map((f) => f.kind)).toEqual(['latency']));
    click('모두 끄기');
    await eventually(() => expect(mock.state.faults).toEqual([]));
  });

  it('changes the Toss app version the SDK sees, and refuses a malformed one with a message', async () => {
    const input = panel().querySelector('input[aria-label="토스 앱 버전"]') as HTMLInputElement;
    input.value = '5.230.0';
    click('적용', input.parentElement!);
    await eventually(() => expect(host.appVersion()).toBe('5.230.0'));
    input.value = 'latest';
    click('적용', input.parentElement!);
    await eventually(() => expect(status()).toContain('5.250.0 형식'));
    expect(host.appVersion()).toBe('5.230.0');
  });

  it('drives subscription renew / grace / expire / revoke from the order row', async () => {
    const userKey = host.userKey()!;
    const { orderId } = (await control(mock, 'POST', '/__mock/orders', { userKey, sku: 'premium_monthly' }))
      .body;
    click('새로고침');
    const row = () => panel().querySelector(`[data-order-id="${orderId}"]`) as HTMLElement;
    await eventually(() => expect(row()).not.toBeNull());
    click('유예', row());
    await eventually(() => expect(row()?.textContent).toContain('구독 IN_GRACE_PERIOD'));
    click('갱신', row());
    await eventually(() => expect(row()?.textContent).toContain('구독 ACTIVE'));
    click('취소', row());
    await eventually(() => expect(row()?.textContent).toContain('구독 REVOKED'));
  });
});
