/**
 * `pnpm --filter @ait-iap/web screenshots`: builds the app in mock mode, starts toss-mock and the real server on
 * free ports, drives Debian's Chromium (playwright from the e2e package; never downloads a browser) through the
 * screens at 375 px, and writes docs/screenshots/{shop,purchase,inventory,history,error}.png.
 * Needs /usr/bin/chromium (or CHROMIUM_PATH) and a Korean font (fonts-noto-cjk).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTossMock } from '@ait-iap/toss-mock';
import { build, preview } from 'vite';
import { freePort } from '../../../scripts/lib/processes.mjs';
import { loadConfig } from '../../server/src/config';
import { createServer } from '../../server/src/server';

const webRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(webRoot, 'docs', 'screenshots');
const require = createRequire(join(webRoot, '..', '..', 'e2e', 'package.json'));
// playwright comes from the e2e package (this app does not depend on it); the little of it used here, typed:
interface Locator {
  click(): Promise<void>;
  first(): Locator;
  waitFor(options?: {
    state?: 'attached' | 'detached' | 'visible' | 'hidden';
    timeout?: number;
  }): Promise<void>;
}
interface Page {
  goto(url: string): Promise<unknown>;
  on(event: 'pageerror', listener: (error: Error) => void): void;
  getByTestId(id: string): Locator;
  getByRole(role: 'button' | 'dialog', options: { name: string }): Locator;
  getByText(text: string): Locator;
  waitForTimeout(ms: number): Promise<void>;
  screenshot(options: { path: string }): Promise<unknown>;
}
interface Browser {
  newPage(options: {
    viewport: { width: number; height: number };
    deviceScaleFactor: number;
    locale: string;
  }): Promise<Page>;
  close(): Promise<void>;
}
const { chromium } = require('@playwright/test') as {
  chromium: { launch(options: { executablePath: string; args: string[] }): Promise<Browser> };
};

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'ait-iap-web-shots-'));
  const mock = await startTossMock({ port: 0, controlPort: 0, certDir: join(dir, 'certs') });
  const webPort = await freePort();
  const origin = `http://127.0.0.1:${webPort}`;
  const server = await createServer(
    loadConfig({
      DATABASE_PATH: join(dir, 'app.db'),
      TOSS_API_BASE_URL: mock.partnerUrl,
      TOSS_MTLS_CERT_PEM: mock.certs.clientCert,
      TOSS_MTLS_KEY_PEM: mock.certs.clientKey,
      TOSS_MTLS_CA_PEM: mock.certs.caCert,
      CORS_ORIGINS: origin,
      RECONCILE_INTERVAL_SECONDS: '0',
      LOG_LEVEL: 'error',
    }),
  );
  const api = await server.listen(0, '127.0.0.1');
  const control = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${mock.controlUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };

  process.env.VITE_TOSS_MOCK = '1';
  process.env.VITE_API_URL = api.url;
  process.env.VITE_TOSS_MOCK_CONTROL_URL = mock.controlUrl;
  const buildDir = join(dir, 'dist');
  await build({ root: webRoot, logLevel: 'warn', build: { outDir: buildDir, emptyOutDir: true } });
  const web = await preview({
    root: webRoot,
    logLevel: 'warn',
    build: { outDir: buildDir },
    preview: { host: '127.0.0.1', port: webPort, strictPort: true },
  });

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
  try {
    const page = await browser.newPage({
      viewport: { width: 375, height: 812 },
      deviceScaleFactor: 2,
      locale: 'ko-KR',
    });
    page.on('pageerror', (error) => console.error('[page error]', error.message));
    const { userKey } = await control<{ userKey: number }>('POST', '/__mock/users', {});
    const open = async () => {
      await page.goto(`${origin}/?mockUser=${userKey}`);
      await page.getByTestId('app-ready').waitFor({ timeout: 30_000 });
      await page.getByTestId('pending-recovery').waitFor({ state: 'detached' });
    };
    const pay = async (sku: string) => {
      await page.getByTestId(`buy-${sku}`).click();
      await page.getByRole('button', { name: '결제하기' }).click();
      await page.getByTestId('purchase-progress').waitFor({ state: 'detached' });
    };
    const shot = async (name: string) => {
      await page.waitForTimeout(400); // let TDS transitions settle
      await page.screenshot({ path: join(outDir, `${name}.png`) });
      console.log(`wrote docs/screenshots/${name}.png`);
    };
    await mkdir(outDir, { recursive: true });

    // A user with some history: coins bought twice, the ad remover, a subscription, one refunded coin pack.
    await open();
    await pay('coin_550');
    await pay('remove_ads');
    await pay('premium_monthly');
    await pay('coin_100');
    const refundable = [...mock.state.orders.values()].find(
      (o) => o.userKey === userKey && o.sku === 'coin_100',
    );
    if (refundable) await control('POST', `/__mock/orders/${refundable.orderId}/refund`);
    await open();
    await shot('shop');

    await page.getByTestId('buy-coin_100').click();
    await page.getByRole('dialog', { name: '토스 결제' }).waitFor();
    await shot('purchase');
    await page.getByRole('button', { name: '취소' }).click();
    await page.getByTestId('error-USER_CANCELED').waitFor();
    await page.getByRole('button', { name: '확인' }).click();

    await control('POST', '/__mock/next-purchase', { outcome: 'NETWORK_ERROR', userKey });
    await page.getByTestId('buy-coin_100').click();
    await page.getByRole('button', { name: '결제하기' }).click();
    await page.getByTestId('error-NETWORK_ERROR').waitFor();
    await shot('error');
    await page.getByRole('button', { name: '닫기' }).click();

    await page.getByTestId('tab-inventory').click();
    await page.getByText('보유 상품').waitFor();
    await shot('inventory');

    await page.getByTestId('tab-history').click();
    await page.getByText('환불됨').first().waitFor();
    await shot('history');
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => web.httpServer.close(() => resolve()));
    await server.close();
    await mock.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
