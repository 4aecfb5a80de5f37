/**
 * What every panel section shares: the DOM helpers (inline styles only), the control client, the one status line
 * that shows a failed action, and the view of the mock's state a refresh hands to each section. Browser-safe.
 */
import type { StatusReading } from '@ait-iap/iap-contract';
import { type ControlClient, ControlError } from '../host/control-client';
import type { GrantEnding } from '../protocol';
import type { UndocumentedRule } from './labels';

export interface StateOrder {
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
export interface StateSubscription {
  orderId: string;
  userKey: number;
  sku: string;
  status: string;
  expiresAt: string | null;
  isAccessible: boolean;
}
export interface MockStateView {
  clock: { now: string; offsetMs: number };
  reading: StatusReading;
  options: { revealSku: boolean } & Partial<Record<UndocumentedRule, string>>;
  orders: StateOrder[];
  subscriptions: StateSubscription[];
  nextPurchase: { outcome: string; userKey: number | null }[];
  faults: { kind: string }[];
}

/** One refresh's input to every section: the mock's state and the host's user (undefined without a host). */
export interface PanelView {
  state: MockStateView;
  me: number | undefined;
}

/** A block of the panel: its element, and how it shows a refreshed state. */
export interface Section {
  box: HTMLElement;
  update?(view: PanelView): void;
}

export const font =
  "-apple-system, BlinkMacSystemFont, 'Apple SD Gothic Neo', 'Noto Sans KR', 'Malgun Gothic', sans-serif";
export const buttonCss =
  'border:0;border-radius:8px;padding:5px 9px;margin:2px;font-size:12px;background:#e8f3ff;color:#1b64da;cursor:pointer;font-family:inherit;';
export const selectCss =
  'font-size:12px;padding:4px;border-radius:6px;border:1px solid #d1d6db;max-width:100%;font-family:inherit;';
export const noteCss = 'font-size:11px;color:#8b95a1;margin-top:2px;';

export type PanelKit = ReturnType<typeof createKit>;

/** `refresh` re-reads the state after each action (bound late: the panel defines it after its sections). */
export function createKit(doc: Document, control: ControlClient, refresh: () => Promise<void>) {
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
  const message = el('div', 'font-size:12px;min-height:16px;margin-top:6px;color:#f04452;', '', {
    role: 'status',
  });
  /** Run an action, then refresh; a failure shows in the status line. */
  async function run(action: () => unknown): Promise<void> {
    message.textContent = '';
    try {
      await action();
      await refresh();
    } catch (error) {
      message.textContent = error instanceof ControlError ? `${error.code}: ${error.message}` : String(error);
    }
  }
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
  return { control, el, button, section, message, run, refresh };
}
