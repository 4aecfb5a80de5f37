/**
 * Boot. In mock mode (dev server, or a build with VITE_TOSS_MOCK=1) and outside the Toss app, install the toss-mock
 * host BEFORE the SDK loads and show its dev panel; then load the app (which imports the SDK) and render it.
 * The mock branch is a compile-time constant: a release build contains none of it (check: grep dist/ for
 * "toss-mock"). You probably don't need to edit this file.
 */
import { createRoot } from 'react-dom/client';

const MOCK_MODE = import.meta.env.DEV || import.meta.env.VITE_TOSS_MOCK === '1';

async function boot() {
  if (MOCK_MODE && typeof window.ReactNativeWebView === 'undefined') {
    const controlUrl = import.meta.env.VITE_TOSS_MOCK_CONTROL_URL || 'http://127.0.0.1:3101';
    // `?mockTossVersion=5.225.0` plays an older Toss app (kept across reloads, like `?mockUser=`).
    const appVersion = new URLSearchParams(window.location.search).get('mockTossVersion');
    const { installTossMockHost } = await import('@ait-iap/toss-mock/host');
    const host = await installTossMockHost({ controlUrl, ...(appVersion ? { appVersion } : {}) });
    const { mountDevPanel } = await import('@ait-iap/toss-mock/panel');
    mountDevPanel({ controlUrl, host });
  }
  // Only now may the SDK load: App and everything under it import @apps-in-toss/web-framework.
  const [{ App }, { createAppServices }, { readConfig }] = await Promise.all([
    import('./App'),
    import('./app/services'),
    import('./config'),
  ]);
  const root = document.getElementById('root');
  if (!root) throw new Error('#root is missing from index.html');
  createRoot(root).render(<App services={createAppServices(readConfig())} />);
}

boot().catch((error: unknown) => {
  console.error('[boot] failed', error);
  const root = document.getElementById('root');
  if (root) root.textContent = '앱을 시작하지 못했어요. 잠시 후 다시 열어 주세요.';
});
