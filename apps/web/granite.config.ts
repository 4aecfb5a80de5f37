// Apps in Toss app config, read by `granite dev` and `ait build`. A fork edits appName, brand and icon.
import { defineConfig } from '@apps-in-toss/web-framework/config';

export default defineConfig({
  appName: 'ait-iap-shop',
  brand: {
    displayName: '아이템 상점',
    primaryColor: '#3182F6',
    // Console app icon URL (set it once the icon is uploaded in the Apps in Toss console).
    icon: '',
  },
  web: {
    host: 'localhost',
    port: 5173,
    commands: {
      dev: 'vite --host',
      build: 'vite build',
    },
  },
  permissions: [],
  outdir: 'dist',
});
