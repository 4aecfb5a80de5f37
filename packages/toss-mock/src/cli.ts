#!/usr/bin/env -S npx tsx
/**
 * `pnpm toss:mock`: run the mock alone, set by environment only; `usage` below lists every variable and its default
 * (`pnpm toss:mock -- --help` prints it).
 */
import { defaultStatusReading, StatusReading, statusReadings } from '@ait-iap/iap-contract';
import { z } from 'zod';
import { defaultCatalogPath, defaultCertDir, startTossMock } from './server';

const usage = `usage: pnpm toss:mock   (no arguments; set by environment)
  MOCK_TOSS_PORT               partner API, HTTPS with client certificates (default 3100)
  MOCK_TOSS_CONTROL_PORT       control API, HTTP (default 3101)
  MOCK_TOSS_HOST               interface both listen on (default 127.0.0.1)
  MOCK_TOSS_CERT_DIR           dev CA + certs, created on first run (default ${defaultCertDir})
  MOCK_TOSS_CATALOG            the console mirror (default ${defaultCatalogPath})
  MOCK_TOSS_STATUS_READING     ${statusReadings.join(' | ')} (default ${defaultStatusReading}; README "Status readings")
  MOCK_TOSS_REVEAL_SKU         true | 1: add the undocumented sku to get-order-status (default false)
  MOCK_TOSS_GRANT_DEADLINE_MS  how long the host waits for the grant callback's answer (default 30000)`;

const args = process.argv.slice(2).filter((arg) => arg !== '--');
if (args.includes('--help') || args.includes('-h')) {
  console.log(usage);
  process.exit(0);
}
if (args.length > 0) {
  console.error(`toss-mock: unknown argument ${args[0]} (settings come from the environment)\n${usage}`);
  process.exit(2);
}

const Port = z.coerce.number().int().min(0).max(65_535);
const Env = z.object({
  MOCK_TOSS_PORT: Port.default(3100),
  MOCK_TOSS_CONTROL_PORT: Port.default(3101),
  MOCK_TOSS_HOST: z.string().min(1).default('127.0.0.1'),
  MOCK_TOSS_CERT_DIR: z.string().min(1).default(defaultCertDir),
  MOCK_TOSS_CATALOG: z.string().min(1).default(defaultCatalogPath),
  MOCK_TOSS_STATUS_READING: StatusReading.default(defaultStatusReading),
  MOCK_TOSS_REVEAL_SKU: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
  MOCK_TOSS_GRANT_DEADLINE_MS: z.coerce.number().int().min(1).default(30_000),
});

const env = Env.safeParse(process.env);
if (!env.success) {
  console.error(`toss-mock: bad environment\n${z.prettifyError(env.error)}`);
  process.exit(1);
}
const config = env.data;
try {
  const mock = await startTossMock({
    port: config.MOCK_TOSS_PORT,
    controlPort: config.MOCK_TOSS_CONTROL_PORT,
    host: config.MOCK_TOSS_HOST,
    certDir: config.MOCK_TOSS_CERT_DIR,
    catalogPath: config.MOCK_TOSS_CATALOG,
    statusReading: config.MOCK_TOSS_STATUS_READING,
    revealSku: config.MOCK_TOSS_REVEAL_SKU,
    grantDeadlineMs: config.MOCK_TOSS_GRANT_DEADLINE_MS,
    log: (line) => console.log(`[toss-mock] ${line}`),
  });
  console.log(`[toss-mock] partner API (mTLS) ${mock.partnerUrl}`);
  console.log(`[toss-mock] control API       ${mock.controlUrl}/__mock/state`);
  console.log(`[toss-mock] client cert/key   ${mock.certs.clientCertPath} ${mock.certs.clientKeyPath}`);
  console.log(
    `[toss-mock] status reading    ${config.MOCK_TOSS_STATUS_READING}${config.MOCK_TOSS_REVEAL_SKU ? ' · sku revealed' : ''}`,
  );
  console.log(`[toss-mock] CA                ${mock.certs.caPath}`);
  const stop = () => {
    mock.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (error) {
  console.error(`toss-mock: ${(error as Error).message}`);
  process.exit(1);
}
