// Vite config for the mini-app. Mock mode (toss-mock host + dev panel) is compiled in only for `vite` (dev) and
// for builds run with VITE_TOSS_MOCK=1; see src/main.tsx. You probably don't need to edit this file.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  // TDS renders only on localhost / 127.0.0.1 (and Toss hosts): keep dev and preview there.
  server: { host: 'localhost', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
  build: { target: 'es2020', sourcemap: false },
});
