// Vite config for the support console. The server serves the build (dist/) on ADMIN_PORT, with its API at /trpc on
// the same origin; `pnpm dev` runs `vite build --watch` so the server always serves the current build.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: { target: 'es2020', sourcemap: false },
});
