/**
 * The dev panel: a small floating panel the mini-app mounts only in dev with the mock, to pick how the next
 * purchase ends, refund, move time, switch the status reading (each with its source), reveal the undocumented `sku`,
 * break the partner API and see the ledger.
 * Plain DOM with inline styles (no React, nothing leaks into the app's CSS), Korean labels. Browser-safe.
 * The sections are in `sections.ts` and `ledger-view.ts`, their labels in `labels.ts`, the shared DOM helpers in
 * `kit.ts`. Customization point: add a row to a section when you add a scenario to the mock.
 */
import { createControlClient } from '../host/control-client';
import type { TossMockHost } from '../host/index';
import { buttonCss, createKit, font, type MockStateView, type Section } from './kit';
import { ledgerSection } from './ledger-view';
import {
  faultSection,
  headerSection,
  nextPurchaseSection,
  readingSection,
  rulesSection,
  timeSection,
  userSection,
  versionSection,
} from './sections';

export { outcomeLabels, readingInfo, undocumentedReadingLabels } from './labels';

export interface DevPanelOptions {
  controlUrl: string;
  host?: TossMockHost;
  /** Defaults to the page's fetch. */
  fetch?: typeof fetch;
  /** Start expanded (default false: a small button). */
  open?: boolean;
}

export function mountDevPanel(options: DevPanelOptions): () => void {
  const doc = document;
  const win = doc.defaultView ?? window;
  const control = createControlClient(options.controlUrl, options.fetch ?? win.fetch.bind(win));
  const host = options.host;
  let open = options.open ?? false;
  const flags = { allUsers: !host };
  let disposed = false;

  const root = doc.createElement('div');
  root.setAttribute('data-toss-mock', 'panel');
  root.style.cssText = `position:fixed;right:12px;bottom:12px;z-index:2147483645;font-family:${font};font-size:13px;
    color:#191f28;`;
  doc.body.append(root);

  const kit = createKit(doc, control, refresh);
  const userKey = () => host?.userKey();

  // Build the static parts once; each section updates on refresh.
  const toggle = kit.button(
    'Toss 모의',
    () => {
      open = !open;
      render();
    },
    `${buttonCss}background:#3182f6;color:#fff;padding:8px 12px;border-radius:18px;box-shadow:0 2px 8px rgba(0,0,0,.2);`,
  );
  toggle.setAttribute('aria-expanded', String(open));
  const card = kit.el(
    'div',
    `width:340px;max-width:calc(100vw - 24px);max-height:70vh;overflow:auto;background:#fff;border-radius:14px;
    padding:12px;margin-bottom:8px;box-shadow:0 4px 20px rgba(0,0,0,.18);box-sizing:border-box;`,
    '',
    { role: 'region', 'aria-label': 'Toss 모의 개발 패널' },
  );
  const sections: Section[] = [
    headerSection(kit),
    userSection(kit, host, flags),
    nextPurchaseSection(kit, userKey),
    readingSection(kit),
    rulesSection(kit),
    timeSection(kit),
    ...(host ? [versionSection(kit, host)] : []),
    faultSection(kit),
    ledgerSection(kit, flags),
  ];
  card.append(...sections.map((s) => s.box), kit.message);

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
    const view = { state, me: userKey() };
    for (const section of sections) section.update?.(view);
  }

  render();
  return () => {
    disposed = true;
    root.remove();
  };
}
