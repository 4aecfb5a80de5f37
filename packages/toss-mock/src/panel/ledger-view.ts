/** The panel's ledger: the latest orders (the host's user, or everyone), each with the actions it allows. */

import type { MockStateView, PanelKit, Section, StateOrder } from './kit';
import { grantLabels, statusLabels } from './labels';

/** One order: SKU and status, grant and completion, refund or settle buttons, and its subscription's actions. */
function orderRow(kit: PanelKit, order: StateOrder, state: MockStateView): HTMLElement {
  const { el, button, control } = kit;
  const row = el('div', 'border-top:1px solid #f2f4f6;padding:5px 0;font-size:12px;', '', {
    'data-order-id': order.orderId,
  });
  const flags = [grantLabels[order.grantEnding ?? 'open'], order.completed ? '완료 처리됨' : '완료 처리 전'];
  row.append(
    el('div', 'font-weight:600;', `${order.sku} · ${statusLabels[order.status] ?? order.status}`),
    el('div', 'color:#8b95a1;font-size:11px;', `${order.orderId.slice(0, 13)}… · ${flags.join(' · ')}`),
  );
  const orderPath = `/__mock/orders/${encodeURIComponent(order.orderId)}`;
  if (order.payment === 'paid' && !order.renewalOf) {
    row.append(button('환불', () => control.post(`${orderPath}/refund`)));
  }
  if (order.payment === 'in-progress') {
    row.append(
      button('결제 승인', () => control.post(`${orderPath}/settle`, { to: 'paid' })),
      button('결제 실패', () => control.post(`${orderPath}/settle`, { to: 'failed' })),
    );
  }
  const sub = state.subscriptions.find((s) => s.orderId === order.orderId);
  if (sub) {
    const expires = sub.expiresAt ? ` · 만료 ${new Date(sub.expiresAt).toLocaleDateString('ko-KR')}` : '';
    row.append(el('div', 'font-size:11px;color:#4e5968;', `구독 ${sub.status}${expires}`));
    const act = (label: string, action: string) =>
      button(label, () =>
        control.post(`/__mock/subscriptions/${encodeURIComponent(order.orderId)}/${action}`),
      );
    row.append(act('갱신', 'renew'), act('유예', 'grace'), act('만료', 'expire'), act('취소', 'revoke'));
  }
  return row;
}

/** `flags.allUsers`: every user's orders, not only the host's. */
export function ledgerSection(kit: PanelKit, flags: { allUsers: boolean }): Section {
  const { el, button } = kit;
  const box = kit.section('장부');
  const ledgerList = el('div');
  box.append(
    button('새로고침', () => undefined),
    ledgerList,
  );
  return {
    box,
    update({ state, me }) {
      const visible = state.orders
        .filter((o) => flags.allUsers || me === undefined || o.userKey === me)
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
        .slice(0, 30);
      const rows = visible.map((order) => orderRow(kit, order, state));
      ledgerList.replaceChildren(
        ...(rows.length > 0 ? rows : [el('div', 'font-size:12px;color:#8b95a1;', '아직 주문이 없어요')]),
      );
    },
  };
}
