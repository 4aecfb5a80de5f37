/**
 * The dev panel: a small floating panel the mini-app mounts only in dev with the mock, to pick how the next
 * purchase ends, refund, move time, switch the status reading (each with its source), reveal the undocumented `sku`,
 * break the partner API and see the ledger.
 * Plain DOM with inline styles (no React, nothing leaks into the app's CSS), Korean labels. Browser-safe.
 * Customization point: add a row here when you add a scenario to the mock.
 */
import { iapErrorCodes, iapErrorInfo, type StatusReading, statusReadings } from '@ait-iap/iap-contract';
import { ControlError, createControlClient } from '../host/control-client';
import type { TossMockHost } from '../host/index';
import { tossVersionScenarios } from '../host/versions';
import {
  type GrantEnding,
  type HistoryReading,
  historyReadings,
  type PurchaseOutcome,
  type StatusAfterComplete,
  statusAfterCompleteReadings,
  type WrongKindPurchase,
  wrongKindPurchaseReadings,
} from '../protocol';

export interface DevPanelOptions {
  controlUrl: string;
  host?: TossMockHost;
  /** Defaults to the page's fetch. */
  fetch?: typeof fetch;
  /** Start expanded (default false: a small button). */
  open?: boolean;
}

/** Korean labels for every outcome the mock can script. */
export const outcomeLabels: Record<PurchaseOutcome, string> = {
  success: '정상 결제',
  'close-after-payment': '결제 후 앱 종료 (지급 전)',
  'close-during-grant': '지급 중 앱 종료 (응답 유실)',
  'close-after-grant': '지급 후 앱 종료 (완료 처리 전)',
  'complete-fails': '완료 처리(completeProductGrant) 실패',
  ...(Object.fromEntries(
    iapErrorCodes.map((code) => [code, `${iapErrorInfo[code].title} (${code})`]),
  ) as Record<(typeof iapErrorCodes)[number], string>),
};

/** The three readings of a paid order's status after the grant, and where each comes from. */
export const readingInfo: Record<StatusReading, { label: string; source: string }> = {
  'grant-failed': {
    label: '지급 실패·무응답·앱 종료 시 FAILED (기본)',
    source: '출처: 토스 담당자 답변 (개발자 포럼 topic/1238)',
  },
  'payment-completed': {
    label: '지급 전후 모두 PAYMENT_COMPLETED',
    source: '출처: 개발자들의 관찰 (개발자 포럼 server-api/545)',
  },
  purchased: {
    label: '지급 성공 후 PURCHASED',
    source: '출처: Unity SDK 문서',
  },
};

/** The three undocumented rules (protocol.ts): each reading's label in the panel. No source states any of them. */
export const undocumentedReadingLabels = {
  historyReading: {
    title: '결제 내역에 완료로 보이는 때',
    labels: {
      'after-complete-grant': '지급 완료 처리(completeProductGrant) 후',
      'after-payment': '결제 직후',
    } satisfies Record<HistoryReading, string>,
  },
  statusAfterComplete: {
    title: '복구 후 주문 조회',
    labels: {
      unchanged: '그대로 (grant-failed: FAILED)',
      'reads-paid': '결제 완료로 읽힘',
    } satisfies Record<StatusAfterComplete, string>,
  },
  wrongKindPurchase: {
    title: '상품 종류가 다른 결제',
    labels: {
      refused: 'INVALID_PRODUCT_ID로 거절',
      accepted: '요청대로 한 번 결제',
    } satisfies Record<WrongKindPurchase, string>,
  },
} as const;
const undocumentedValues = {
  historyReading: historyReadings,
  statusAfterComplete: statusAfterCompleteReadings,
  wrongKindPurchase: wrongKindPurchaseReadings,
} as const;
type UndocumentedRule = keyof typeof undocumentedValues;

const grantLabels: Record<GrantEnding | 'open', string> = {
  open: '지급 응답 전',
  granted: '지급 응답: 성공',
  'not-granted': '지급 응답: 실패',
  'no-answer': '지급 응답 없음 (시간 초과)',
  'app-closed': '지급 중 앱 종료',
};

const faultLabels = {
  latency: '지연 (2초)',
  error5xx: '5xx 오류',
  timeout: '응답 없음',
  malformed: '깨진 응답',
} as const;

const statusLabels: Record<string, string> = {
  PAYMENT_COMPLETED: '결제 완료',
  PURCHASED: '구매 확정',
  ORDER_IN_PROGRESS: '결제 진행 중',
  FAILED: '실패',
  REFUNDED: '환불됨',
  MINIAPP_MISMATCH: '다른 앱 주문',
  NOT_FOUND: '없음',
  ERROR: '오류',
};

interface StateOrder {
  orderId: string;
  userKey: number;
  sku: string;
  status: string;
  payment: string;
  granted: boolean | null;
  grantEnding: GrantEnding | null;
  completed: boolean;
  subscriptionId: string | null;
  renewalOf: string | null;
  createdAt: string;
}
interface StateSubscription {
  orderId: string;
  userKey: number;
  sku: string;
  status: string;
  expiresAt: string | null;
  isAccessible: boolean;
}
interface MockStateView {
  clock: { now: string; offsetMs: number };
  reading: StatusReading;
  options: { revealSku: boolean } & Partial<Record<UndocumentedRule, string>>;
  orders: StateOrder[];
  subscriptions: StateSubscription[];
  nextPurchase: { outcome: string; userKey: number | null }[];
  faults: { kind: string }[];
}

const font =
  "-apple-system, BlinkMacSystemFont, 'Apple SD Gothic Neo', 'Noto Sans KR', 'Malgun Gothic', sans-serif";
const buttonCss =
  'border:0;border-radius:8px;padding:5px 9px;margin:2px;font-size:12px;background:#e8f3ff;color:#1b64da;cursor:pointer;font-family:inherit;';
const selectCss =
  'font-size:12px;padding:4px;border-radius:6px;border:1px solid #d1d6db;max-width:100%;font-family:inherit;';

export function mountDevPanel(options: DevPanelOptions): () => void {
  const doc = document;
  const win = doc.defaultView ?? window;
  const control = createControlClient(options.controlUrl, options.fetch ?? win.fetch.bind(win));
  const host = options.host;
  let open = options.open ?? false;
  let allUsers = !host;
  let disposed = false;

  const root = doc.createElement('div');
  root.setAttribute('data-toss-mock', 'panel');
  root.style.cssText = `position:fixed;right:12px;bottom:12px;z-index:2147483645;font-family:${font};font-size:13px;
    color:#191f28;`;
  doc.body.append(root);

  const el = <K extends keyof HTMLElementTagNameMap>(
    tag: K,
    css = '',
    text = '',
    attrs: Record<string, string> = {},
  ): HTMLElementTagNameMap[K] => {
    const node = doc.createElement(tag);
    if (css) node.style.cssText = css;
    if (text) node.textContent = text;
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  };
  const button = (label: string, onClick: () => unknown, css = buttonCss) => {
    const b = el('button', css, label, { type: 'button' });
    b.addEventListener('click', () => {
      void run(onClick);
    });
    return b;
  };
  const section = (title: string) => {
    const box = el('div', 'margin-top:10px;');
    box.append(el('div', 'font-weight:700;font-size:12px;color:#4e5968;margin-bottom:4px;', title));
    return box;
  };

  const message = el('div', 'font-size:12px;min-height:16px;margin-top:6px;color:#f04452;', '', {
    role: 'status',
  });
  async function run(action: () => unknown): Promise<void> {
    message.textContent = '';
    try {
      await action();
      await refresh();
    } catch (error) {
      message.textContent = error instanceof ControlError ? `${error.code}: ${error.message}` : String(error);
    }
  }

  const userKey = () => host?.userKey();

  // Build the static parts once; the ledger part re-renders on refresh.
  const toggle = button(
    'Toss 모의',
    () => {
      open = !open;
      render();
    },
    `${buttonCss}background:#3182f6;color:#fff;padding:8px 12px;border-radius:18px;box-shadow:0 2px 8px rgba(0,0,0,.2);`,
  );
  toggle.setAttribute('aria-expanded', String(open));
  const card = el(
    'div',
    `width:340px;max-width:calc(100vw - 24px);max-height:70vh;overflow:auto;background:#fff;border-radius:14px;
    padding:12px;margin-bottom:8px;box-shadow:0 4px 20px rgba(0,0,0,.18);box-sizing:border-box;`,
    '',
    { role: 'region', 'aria-label': 'Toss 모의 개발 패널' },
  );

  const header = el('div', 'display:flex;justify-content:space-between;align-items:center;');
  header.append(el('div', 'font-weight:700;font-size:14px;', 'Toss 모의 패널'));
  const clockText = el('div', 'font-size:11px;color:#8b95a1;');
  header.append(clockText);

  // User
  const userBox = section('사용자');
  const userText = el('span', 'font-size:12px;margin-right:6px;');
  userBox.append(userText);
  if (host) userBox.append(button('새 사용자', () => host.switchUser()));
  const allUsersLabel = el('label', 'font-size:12px;margin-left:4px;');
  const allUsersBox = el('input', 'margin-right:3px;', '', { type: 'checkbox' });
  allUsersBox.checked = allUsers;
  allUsersBox.addEventListener('change', () => {
    allUsers = allUsersBox.checked;
    void refresh();
  });
  allUsersLabel.append(allUsersBox, '모든 사용자 보기');
  if (host) userBox.append(allUsersLabel);

  // Next purchase
  const nextBox = section('다음 결제 결과');
  const outcomeSelect = el('select', selectCss, '', { 'aria-label': '다음 결제 결과' });
  for (const [value, label] of Object.entries(outcomeLabels)) {
    outcomeSelect.append(el('option', '', label, { value }));
  }
  const queuedText = el('div', 'font-size:11px;color:#8b95a1;margin-top:2px;');
  nextBox.append(
    outcomeSelect,
    button('적용', () =>
      control.post('/__mock/next-purchase', {
        outcome: outcomeSelect.value,
        ...(userKey() !== undefined ? { userKey: userKey() } : {}),
      }),
    ),
    queuedText,
  );

  // Status reading
  const readingBox = section('주문 상태 판독');
  const readingSelect = el('select', selectCss, '', { 'aria-label': '주문 상태 판독' });
  for (const reading of statusReadings) {
    readingSelect.append(el('option', '', readingInfo[reading].label, { value: reading }));
  }
  readingSelect.addEventListener('change', () => {
    void run(() => control.post('/__mock/status-reading', { reading: readingSelect.value }));
  });
  const readingSource = el('div', 'font-size:11px;color:#8b95a1;margin-top:2px;', '', {
    'data-toss-mock': 'reading-source',
  });
  const skuLabel = el('label', 'display:block;font-size:12px;margin-top:4px;');
  const skuBox = el('input', 'margin-right:3px;', '', { type: 'checkbox' });
  skuBox.addEventListener('change', () => {
    void run(() => control.post('/__mock/options', { revealSku: skuBox.checked }));
  });
  skuLabel.append(skuBox, '주문 조회에 sku 포함 (문서에 없는 필드)');
  readingBox.append(readingSelect, readingSource, skuLabel);

  // Undocumented rules: one select per rule.
  const rulesBox = section('문서에 없는 규칙');
  const ruleSelects = new Map<UndocumentedRule, HTMLSelectElement>();
  for (const rule of Object.keys(undocumentedValues) as UndocumentedRule[]) {
    const info = undocumentedReadingLabels[rule];
    const select = el('select', selectCss, '', { 'aria-label': info.title });
    for (const value of undocumentedValues[rule]) {
      select.append(el('option', '', (info.labels as Record<string, string>)[value] ?? value, { value }));
    }
    select.addEventListener('change', () => {
      void run(() => control.post('/__mock/options', { [rule]: select.value }));
    });
    ruleSelects.set(rule, select);
    rulesBox.append(el('div', 'font-size:11px;color:#4e5968;margin-top:4px;', info.title), select);
  }

  // Time
  const timeBox = section('시간 이동');
  const advance = (ms: number) => () => control.post('/__mock/clock', { advanceMs: ms });
  timeBox.append(
    button('+1시간', advance(3_600_000)),
    button('+1일', advance(86_400_000)),
    button('+30일', advance(30 * 86_400_000)),
  );

  // App version
  const versionBox = section('토스 앱 버전');
  const versionInput = el('input', `${selectCss}width:90px;`, '', { 'aria-label': '토스 앱 버전' });
  if (host) {
    versionInput.value = host.appVersion();
    const presetSelect = el('select', selectCss, '', { 'aria-label': '토스 앱 버전 시나리오' });
    presetSelect.append(el('option', '', '시나리오 고르기', { value: '' }));
    for (const scenario of tossVersionScenarios) {
      const version = scenario[host.platform()];
      presetSelect.append(el('option', '', `${scenario.label} (${version})`, { value: version }));
    }
    presetSelect.addEventListener('change', () => {
      if (presetSelect.value === '') return;
      versionInput.value = presetSelect.value;
      void run(() => host.setAppVersion(presetSelect.value));
    });
    versionBox.append(
      presetSelect,
      versionInput,
      button('적용', () => {
        if (!/^\d+\.\d+\.\d+$/.test(versionInput.value)) throw new Error('버전은 5.250.0 형식이어야 해요');
        host.setAppVersion(versionInput.value);
      }),
    );
  }

  // Partner API faults
  const faultBox = section('파트너 API 장애');
  const faultSelect = el('select', selectCss, '', { 'aria-label': '파트너 API 장애' });
  for (const [value, label] of Object.entries(faultLabels))
    faultSelect.append(el('option', '', label, { value }));
  const faultText = el('div', 'font-size:11px;color:#8b95a1;margin-top:2px;');
  faultBox.append(
    faultSelect,
    button('켜기', () =>
      control.post('/__mock/faults', {
        kind: faultSelect.value,
        ...(faultSelect.value === 'latency' ? { ms: 2000 } : {}),
      }),
    ),
    button('모두 끄기', () => control.delete('/__mock/faults')),
    faultText,
  );

  // Ledger
  const ledgerBox = section('장부');
  const ledgerList = el('div');
  ledgerBox.append(
    button('새로고침', () => undefined),
    ledgerList,
  );

  card.append(header, userBox, nextBox, readingBox, rulesBox, timeBox);
  if (host) card.append(versionBox);
  card.append(faultBox, ledgerBox, message);

  function render(): void {
    root.replaceChildren(...(open ? [card, toggle] : [toggle]));
    root.style.display = 'flex';
    root.style.flexDirection = 'column';
    root.style.alignItems = 'flex-end';
    toggle.setAttribute('aria-expanded', String(open));
    if (open) void refresh();
  }

  async function refresh(): Promise<void> {
    if (disposed || !open) return;
    const state = await control.get<MockStateView>('/__mock/state');
    if (disposed) return;
    const me = userKey();
    clockText.textContent = `모의 시각 ${new Date(state.clock.now).toLocaleString('ko-KR')}`;
    userText.textContent = me === undefined ? '(호스트 없음)' : `userKey ${me}`;
    readingSelect.value = state.reading;
    readingSource.textContent = readingInfo[state.reading]?.source ?? '';
    skuBox.checked = state.options.revealSku;
    for (const [rule, select] of ruleSelects) {
      const value = state.options[rule];
      if (value) select.value = value;
    }
    const queued = state.nextPurchase.filter((q) => q.userKey === null || q.userKey === me);
    queuedText.textContent =
      queued.length === 0
        ? '대기 중인 시나리오 없음 (정상 결제)'
        : `대기 중: ${queued.map((q) => outcomeLabels[q.outcome as PurchaseOutcome] ?? q.outcome).join(', ')}`;
    faultText.textContent =
      state.faults.length === 0
        ? '장애 없음'
        : `켜짐: ${state.faults.map((f) => faultLabels[f.kind as keyof typeof faultLabels] ?? f.kind).join(', ')}`;

    const visible = state.orders
      .filter((o) => allUsers || me === undefined || o.userKey === me)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .slice(0, 30);
    const rows = visible.map((order) => {
      const row = el('div', 'border-top:1px solid #f2f4f6;padding:5px 0;font-size:12px;', '', {
        'data-order-id': order.orderId,
      });
      const flags = [
        grantLabels[order.grantEnding ?? 'open'],
        order.completed ? '완료 처리됨' : '완료 처리 전',
      ];
      row.append(
        el('div', 'font-weight:600;', `${order.sku} · ${statusLabels[order.status] ?? order.status}`),
        el('div', 'color:#8b95a1;font-size:11px;', `${order.orderId.slice(0, 13)}… · ${flags.join(' · ')}`),
      );
      if (order.payment === 'paid' && !order.renewalOf) {
        row.append(
          button('환불', () => control.post(`/__mock/orders/${encodeURIComponent(order.orderId)}/refund`)),
        );
      }
      if (order.payment === 'in-progress') {
        row.append(
          button('결제 승인', () =>
            control.post(`/__mock/orders/${encodeURIComponent(order.orderId)}/settle`, { to: 'paid' }),
          ),
          button('결제 실패', () =>
            control.post(`/__mock/orders/${encodeURIComponent(order.orderId)}/settle`, { to: 'failed' }),
          ),
        );
      }
      const sub = state.subscriptions.find((s) => s.orderId === order.orderId);
      if (sub) {
        row.append(
          el(
            'div',
            'font-size:11px;color:#4e5968;',
            `구독 ${sub.status}${sub.expiresAt ? ` · 만료 ${new Date(sub.expiresAt).toLocaleDateString('ko-KR')}` : ''}`,
          ),
        );
        const act = (label: string, action: string) =>
          button(label, () =>
            control.post(`/__mock/subscriptions/${encodeURIComponent(order.orderId)}/${action}`),
          );
        row.append(act('갱신', 'renew'), act('유예', 'grace'), act('만료', 'expire'), act('취소', 'revoke'));
      }
      return row;
    });
    ledgerList.replaceChildren(
      ...(rows.length > 0 ? rows : [el('div', 'font-size:12px;color:#8b95a1;', '아직 주문이 없어요')]),
    );
  }

  render();
  return () => {
    disposed = true;
    root.remove();
  };
}
