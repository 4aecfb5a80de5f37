// Vite config for the mini-app. Mock mode (toss-mock host + dev panel) is compiled in only for `vite` (dev) and
// for builds run with VITE_TOSS_MOCK=1; see src/main.tsx. You probably don't need to edit this file.
import react from '@vitejs/plugin-react';
import { defineConfig, loadEnv, type Plugin } from 'vite';

/**
 * A release build (production mode, no mock) must name its real server: a bundle that silently talks to
 * 127.0.0.1 would fail every processProductGrant in Toss — users would pay and get nothing until recovery.
 */
function requireReleaseApiUrl(): Plugin {
  return {
    name: 'require-release-api-url',
    apply: 'build',
    configResolved(config) {
      const env = { ...loadEnv(config.mode, config.root, 'VITE_'), ...process.env };
      if (config.mode !== 'production' || env.VITE_TOSS_MOCK === '1') return;
      const raw = env.VITE_API_URL?.trim() ?? '';
      let host = '';
      try {
        host = new URL(raw).hostname;
      } catch {}
      if (host === '' || host === 'localhost' || host === '127.0.0.1' || host === '[::1]') {
        throw new Error(
          `VITE_API_URL must be your deployed fulfillment server for a release build (got "${raw || 'unset'}"). ` +
            'Set it in the environment or apps/web/.env.production, e.g. VITE_API_URL=https://api.example.com',
        );
      }
    },
  };
}

export default defineConfig({
  plugins: [react(), requireReleaseApiUrl()],
  // TDS renders only on localhost / 127.0.0.1 (and Toss hosts): keep dev and preview there.
  server: { host: 'localhost', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
  build: { target: 'es2020', sourcemap: false },
});
