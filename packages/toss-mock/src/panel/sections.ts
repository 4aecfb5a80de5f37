/**
 * The panel's control sections, top to bottom: header (mock time), user, next purchase, status reading,
 * undocumented rules, time, Toss app version, partner API faults. Each builds its DOM once and updates it on
 * refresh. Customization point: add a section (or an option to one) when you add a scenario to the mock.
 */
import { statusReadings } from '@ait-iap/iap-contract';
import type { TossMockHost } from '../host/index';
import { tossVersionScenarios } from '../host/versions';
import type { PurchaseOutcome } from '../protocol';
import { noteCss, type PanelKit, type Section, selectCss } from './kit';
import {
  faultLabels,
  outcomeLabels,
  readingInfo,
  type UndocumentedRule,
  undocumentedReadingLabels,
  undocumentedValues,
} from './labels';

export function headerSection({ el }: PanelKit): Section {
  const box = el('div', 'display:flex;justify-content:space-between;align-items:center;');
  box.append(el('div', 'font-weight:700;font-size:14px;', 'Toss 모의 패널'));
  const clockText = el('div', 'font-size:11px;color:#8b95a1;');
  box.append(clockText);
  return {
    box,
    update({ state }) {
      clockText.textContent = `모의 시각 ${new Date(state.clock.now).toLocaleString('ko-KR')}`;
    },
  };
}

/** `flags.allUsers`: the ledger shows every user's orders (always, without a host). */
export function userSection(
  kit: PanelKit,
  host: TossMockHost | undefined,
  flags: { allUsers: boolean },
): Section {
  const { el, button } = kit;
  const box = kit.section('사용자');
  const userText = el('span', 'font-size:12px;margin-right:6px;');
  box.append(userText);
  if (host) box.append(button('새 사용자', () => host.switchUser()));
  const allUsersLabel = el('label', 'font-size:12px;margin-left:4px;');
  const allUsersBox = el('input', 'margin-right:3px;', '', { type: 'checkbox' });
  allUsersBox.checked = flags.allUsers;
  allUsersBox.addEventListener('change', () => {
    flags.allUsers = allUsersBox.checked;
    void kit.refresh();
  });
  allUsersLabel.append(allUsersBox, '모든 사용자 보기');
  if (host) box.append(allUsersLabel);
  return {
    box,
    update({ me }) {
      userText.textContent = me === undefined ? '(호스트 없음)' : `userKey ${me}`;
    },
  };
}

export function nextPurchaseSection(kit: PanelKit, userKey: () => number | undefined): Section {
  const { el, button, control } = kit;
  const box = kit.section('다음 결제 결과');
  const outcomeSelect = el('select', selectCss, '', { 'aria-label': '다음 결제 결과' });
  for (const [value, label] of Object.entries(outcomeLabels)) {
    outcomeSelect.append(el('option', '', label, { value }));
  }
  const queuedText = el('div', noteCss);
  box.append(
    outcomeSelect,
    button('적용', () =>
      control.post('/__mock/next-purchase', {
        outcome: outcomeSelect.value,
        ...(userKey() !== undefined ? { userKey: userKey() } : {}),
      }),
    ),
    queuedText,
  );
  return {
    box,
    update({ state, me }) {
      const queued = state.nextPurchase.filter((q) => q.userKey === null || q.userKey === me);
      queuedText.textContent =
        queued.length === 0
          ? '대기 중인 시나리오 없음 (정상 결제)'
          : `대기 중: ${queued.map((q) => outcomeLabels[q.outcome as PurchaseOutcome] ?? q.outcome).join(', ')}`;
    },
  };
}

export function readingSection(kit: PanelKit): Section {
  const { el, control, run } = kit;
  const box = kit.section('주문 상태 판독');
  const readingSelect = el('select', selectCss, '', { 'aria-label': '주문 상태 판독' });
  for (const reading of statusReadings) {
    readingSelect.append(el('option', '', readingInfo[reading].label, { value: reading }));
  }
  readingSelect.addEventListener('change', () => {
    void run(() => control.post('/__mock/status-reading', { reading: readingSelect.value }));
  });
  const readingSource = el('div', noteCss, '', { 'data-toss-mock': 'reading-source' });
  const skuLabel = el('label', 'display:block;font-size:12px;margin-top:4px;');
  const skuBox = el('input', 'margin-right:3px;', '', { type: 'checkbox' });
  skuBox.addEventListener('change', () => {
    void run(() => control.post('/__mock/options', { revealSku: skuBox.checked }));
  });
  skuLabel.append(skuBox, '주문 조회에 sku 포함 (문서에 없는 필드)');
  box.append(readingSelect, readingSource, skuLabel);
  return {
    box,
    update({ state }) {
      readingSelect.value = state.reading;
      readingSource.textContent = readingInfo[state.reading]?.source ?? '';
      skuBox.checked = state.options.revealSku;
    },
  };
}

/** Undocumented rules: one select per rule. */
export function rulesSection(kit: PanelKit): Section {
  const { el, control, run } = kit;
  const box = kit.section('문서에 없는 규칙');
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
    box.append(el('div', 'font-size:11px;color:#4e5968;margin-top:4px;', info.title), select);
  }
  return {
    box,
    update({ state }) {
      for (const [rule, select] of ruleSelects) {
        const value = state.options[rule];
        if (value) select.value = value;
      }
    },
  };
}

export function timeSection(kit: PanelKit): Section {
  const { button, control } = kit;
  const box = kit.section('시간 이동');
  const advance = (ms: number) => () => control.post('/__mock/clock', { advanceMs: ms });
  box.append(
    button('+1시간', advance(3_600_000)),
    button('+1일', advance(86_400_000)),
    button('+30일', advance(30 * 86_400_000)),
  );
  return { box };
}

/** The Toss app version the host plays (a preset scenario or a typed version). Only with a host. */
export function versionSection(kit: PanelKit, host: TossMockHost): Section {
  const { el, button, run } = kit;
  const box = kit.section('토스 앱 버전');
  const versionInput = el('input', `${selectCss}width:90px;`, '', { 'aria-label': '토스 앱 버전' });
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
  box.append(
    presetSelect,
    versionInput,
    button('적용', () => {
      if (!/^\d+\.\d+\.\d+$/.test(versionInput.value)) throw new Error('버전은 5.250.0 형식이어야 해요');
      host.setAppVersion(versionInput.value);
    }),
  );
  return { box };
}

export function faultSection(kit: PanelKit): Section {
  const { el, button, control } = kit;
  const box = kit.section('파트너 API 장애');
  const faultSelect = el('select', selectCss, '', { 'aria-label': '파트너 API 장애' });
  for (const [value, label] of Object.entries(faultLabels))
    faultSelect.append(el('option', '', label, { value }));
  const faultText = el('div', noteCss);
  box.append(
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
  return {
    box,
    update({ state }) {
      faultText.textContent =
        state.faults.length === 0
          ? '장애 없음'
          : `켜짐: ${state.faults.map((f) => faultLabels[f.kind as keyof typeof faultLabels] ?? f.kind).join(', ')}`;
    },
  };
}
