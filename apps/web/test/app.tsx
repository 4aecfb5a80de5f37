/** Render the real app (real SDK, toss-mock host, real server) the way main.tsx does, after the host is installed. */
import { render, screen, waitFor } from '@testing-library/react';
import { expect } from 'vitest';
import type { Stack } from './harness';

export async function renderApp(stack: Stack, options: { grantWindowMs?: number } = {}) {
  const [{ App }, { createAppServices }] = await Promise.all([
    import('../src/App'),
    import('../src/app/services'),
  ]);
  const services = createAppServices({
    apiUrl: stack.apiUrl,
    grantWindowMs: options.grantWindowMs ?? 5_000,
    completeTimeoutMs: 3_000,
    recoveryTimeoutMs: 10_000,
  });
  const view = render(<App services={services} />);
  await screen.findByTestId('app-ready', undefined, { timeout: 10_000 });
  // The first refund sync runs right after the app is ready; let it settle so tests start from a quiet app.
  await waitFor(() => expect(screen.queryByTestId('pending-recovery')).toBeNull());
  return { view, services };
}

export function balance(currency = 'COIN'): string | null {
  return screen.queryByTestId(`balance-${currency}`)?.textContent ?? null;
}

/** Make happy-dom's document report `state` and fire visibilitychange, as a WebView does on return to the app. */
export function setVisibility(state: 'visible' | 'hidden') {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => state === 'hidden' });
  document.dispatchEvent(new Event('visibilitychange'));
}
