/**
 * `startTossMock`: composes the ledger, the partner API (mTLS) and the control API into one running mock.
 * Dependencies are injected (clock, catalog path, cert dir) so tests start a whole mock on free ports.
 * You probably don't need to edit this file.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultStatusReading, type StatusReading } from '@ait-iap/iap-contract';
import { iconFileFor, loadCatalogFile } from './catalog';
import { type DevCerts, ensureDevCerts } from './certs';
import { createMockClock } from './clock';
import { createControlServer } from './control-api';
import { createLedger, defaultUndocumentedReadings, type MockState } from './ledger';
import { createPartnerServer } from './partner-api';
import type { HistoryReading, StatusAfterComplete, WrongKindPurchase } from './protocol';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const defaultCertDir = resolve(repoRoot, '.dev/certs');
export const defaultCatalogPath = resolve(repoRoot, 'catalog/products.json');

export interface TossMockOptions {
  /** Partner API port (HTTPS, mTLS). Default 3100; 0 = a free port. */
  port?: number;
  /** Control API port (HTTP). Default 3101; 0 = a free port. */
  controlPort?: number;
  /** Interface to listen on. Default '127.0.0.1'. */
  host?: string;
  certDir?: string;
  catalogPath?: string;
  /** How get-order-status reads a paid order after its grant. Default `grant-failed` (the strictest). */
  statusReading?: StatusReading;
  /** Add the undocumented `sku` to get-order-status answers. Default false: exactly `{ orderId, status, reason }`. */
  revealSku?: boolean;
  /** The undocumented rules' readings (protocol.ts); defaults: after-complete-grant, unchanged, refused. */
  historyReading?: HistoryReading;
  statusAfterComplete?: StatusAfterComplete;
  wrongKindPurchase?: WrongKindPurchase;
  /** How long the host waits for the grant callback's answer (30 s in real Toss). */
  grantDeadlineMs?: number;
  /** Injectable base clock; the mock adds its own offset (`POST /__mock/clock`). */
  now?: () => Date;
  /** Request log lines (user keys hashed). Default: silent. */
  log?: (line: string) => void;
  /** Decides fault rates below 1. Default Math.random. */
  random?: () => number;
}

export interface TossMock {
  /** https://localhost:<port> */
  partnerUrl: string;
  /** http://127.0.0.1:<port> */
  controlUrl: string;
  certs: DevCerts;
  /** The in-memory ledger, for tests. */
  state: MockState;
  close(): Promise<void>;
}

export async function startTossMock(options: TossMockOptions = {}): Promise<TossMock> {
  const host = options.host ?? '127.0.0.1';
  const catalogPath = options.catalogPath ?? defaultCatalogPath;
  const certs = await ensureDevCerts(options.certDir ?? defaultCertDir);
  const clock = createMockClock(options.now);
  const state = createLedger({
    clock,
    catalog: await loadCatalogFile(catalogPath),
    options: {
      statusReading: options.statusReading ?? defaultStatusReading,
      grantDeadlineMs: options.grantDeadlineMs ?? 30_000,
      revealSku: options.revealSku ?? false,
      pageSize: 20,
      historyReading: options.historyReading ?? defaultUndocumentedReadings.historyReading,
      statusAfterComplete: options.statusAfterComplete ?? defaultUndocumentedReadings.statusAfterComplete,
      wrongKindPurchase: options.wrongKindPurchase ?? defaultUndocumentedReadings.wrongKindPurchase,
    },
  });
  const partner = createPartnerServer({
    state,
    certs,
    ...(options.random ? { random: options.random } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  const control = createControlServer({
    state,
    reloadCatalog: async () => {
      const catalog = await loadCatalogFile(catalogPath);
      state.setCatalog(catalog);
      return { products: catalog.products.length };
    },
    // Icons: the catalog's own images, relative to the folder that holds `catalog/` (like the seed script reads them).
    iconFile: (sku) => iconFileFor(state.catalog, sku, resolve(dirname(catalogPath), '..')),
    ...(options.log ? { log: options.log } : {}),
  });

  const listen = async (server: Server | import('node:https').Server, port: number) => {
    server.listen(port, host);
    await once(server, 'listening');
    return (server.address() as AddressInfo).port;
  };
  let partnerPort: number;
  let controlPort: number;
  try {
    partnerPort = await listen(partner, options.port ?? 3100);
    controlPort = await listen(control, options.controlPort ?? 3101);
  } catch (error) {
    partner.close();
    control.close();
    throw error;
  }

  const partnerHost = host === '127.0.0.1' || host === '0.0.0.0' || host === 'localhost' ? 'localhost' : host;
  const controlHost = host === '0.0.0.0' || host === 'localhost' ? '127.0.0.1' : host;
  state.setIconBaseUrl(`http://${controlHost}:${controlPort}`);
  let closing: Promise<void> | undefined;
  return {
    partnerUrl: `https://${partnerHost}:${partnerPort}`,
    controlUrl: `http://${controlHost}:${controlPort}`,
    certs,
    state,
    close() {
      closing ??= Promise.all(
        [partner, control].map(
          (server) =>
            new Promise<void>((done) => {
              server.close(() => done());
              server.closeAllConnections();
            }),
        ),
      ).then(() => undefined);
      return closing;
    },
  };
}
