/**
 * A small Toss-like checkout bottom sheet: product name, price, "결제하기" and "취소". Plain DOM with inline styles
 * (nothing leaks into the app's CSS). Humans and e2e tests click it; unit tests use `checkout: 'auto'`.
 */
export interface CheckoutSheetInput {
  displayName: string;
  displayAmount: string;
  kind: 'one-time' | 'subscription';
}

export interface CheckoutSheet {
  /** true = 결제하기, false = 취소 (or the backdrop). */
  result: Promise<boolean>;
  /** Remove the sheet without an answer (the app cleaned up). */
  close(): void;
}

const font =
  "-apple-system, BlinkMacSystemFont, 'Apple SD Gothic Neo', 'Noto Sans KR', 'Malgun Gothic', sans-serif";

export function showCheckoutSheet(doc: Document, input: CheckoutSheetInput): CheckoutSheet {
  const root = doc.createElement('div');
  root.setAttribute('data-toss-mock', 'checkout');
  root.style.cssText = `position:fixed;inset:0;z-index:2147483646;background:rgba(0,0,0,0.45);display:flex;
    align-items:flex-end;justify-content:center;font-family:${font};`;
  const sheet = doc.createElement('div');
  sheet.setAttribute('role', 'dialog');
  sheet.setAttribute('aria-modal', 'true');
  sheet.setAttribute('aria-label', '토스 결제');
  sheet.style.cssText = `width:100%;max-width:480px;background:#fff;border-radius:20px 20px 0 0;padding:24px 20px 20px;
    box-sizing:border-box;color:#191f28;box-shadow:0 -4px 24px rgba(0,0,0,0.12);`;

  const brand = doc.createElement('div');
  brand.textContent = input.kind === 'subscription' ? '토스 구독 결제 (모의)' : '토스 결제 (모의)';
  brand.style.cssText = 'font-size:13px;color:#3182f6;font-weight:600;margin-bottom:8px;';
  const name = doc.createElement('div');
  name.textContent = input.displayName;
  name.setAttribute('data-toss-mock', 'product-name');
  name.style.cssText = 'font-size:20px;font-weight:700;line-height:1.4;margin-bottom:4px;';
  const price = doc.createElement('div');
  price.textContent = input.displayAmount;
  price.setAttribute('data-toss-mock', 'price');
  price.style.cssText = 'font-size:17px;color:#4e5968;margin-bottom:20px;';

  const buttons = doc.createElement('div');
  buttons.style.cssText = 'display:flex;gap:8px;';
  const button = (label: string, primary: boolean) => {
    const b = doc.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.style.cssText = `flex:${primary ? 2 : 1};height:52px;border:0;border-radius:14px;font-size:16px;font-weight:600;
      cursor:pointer;font-family:inherit;${primary ? 'background:#3182f6;color:#fff;' : 'background:#f2f4f6;color:#4e5968;'}`;
    return b;
  };
  const cancel = button('취소', false);
  const pay = button('결제하기', true);
  buttons.append(cancel, pay);
  sheet.append(brand, name, price, buttons);
  root.append(sheet);
  doc.body.append(root);

  let settle: (value: boolean) => void = () => {};
  const result = new Promise<boolean>((resolve) => {
    settle = resolve;
  });
  let open = true;
  const finish = (value: boolean | null) => {
    if (!open) return;
    open = false;
    root.remove();
    if (value !== null) settle(value);
  };
  pay.addEventListener('click', () => finish(true));
  cancel.addEventListener('click', () => finish(false));
  root.addEventListener('click', (event) => {
    if (event.target === root) finish(false);
  });
  pay.focus?.();
  return { result, close: () => finish(null) };
}
