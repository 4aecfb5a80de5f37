/**
 * The URLs and paths the global setup hands to the tests. Playwright workers inherit the environment the global
 * setup leaves behind, so the setup writes these variables and the tests read them back here.
 */
export interface HarnessEnv {
  /** The production build of the mini-app, served by `vite preview` on localhost (TDS needs that host). */
  webUrl: string;
  /** The fulfillment server (tRPC at `${serverUrl}/trpc`). */
  serverUrl: string;
  /** The support console and its API (tRPC at `${adminUrl}/trpc`), on the server's admin port (ADMIN_PORT). */
  adminUrl: string;
  /** toss-mock's scenario control API (`/__mock/*`, plain HTTP). */
  controlUrl: string;
  /** toss-mock's partner API (HTTPS, client certificate required). */
  partnerUrl: string;
  /** The server's SQLite file. */
  databasePath: string;
  /** The mock's dev CA and the server's mTLS client certificate (`ca.pem`, `client.pem`, `client-key.pem`). */
  certDir: string;
  /** Where the children's logs are: `<logDir>/{toss-mock,server,web-build,console-build,web-preview}.log`. */
  logDir: string;
}

const names = {
  webUrl: 'E2E_WEB_URL',
  serverUrl: 'E2E_SERVER_URL',
  adminUrl: 'E2E_ADMIN_URL',
  controlUrl: 'E2E_CONTROL_URL',
  partnerUrl: 'E2E_PARTNER_URL',
  databasePath: 'E2E_DATABASE_PATH',
  certDir: 'E2E_CERT_DIR',
  logDir: 'E2E_LOG_DIR',
} as const satisfies Record<keyof HarnessEnv, string>;

export function writeHarnessEnv(values: HarnessEnv): void {
  for (const key of Object.keys(names) as (keyof HarnessEnv)[]) process.env[names[key]] = values[key];
}

export function readHarnessEnv(): HarnessEnv {
  const read = (key: keyof HarnessEnv): string => {
    const value = process.env[names[key]];
    if (!value)
      throw new Error(`${names[key]} is not set: run the suite with \`pnpm test:e2e\` (global setup)`);
    return value;
  };
  return {
    webUrl: read('webUrl'),
    serverUrl: read('serverUrl'),
    adminUrl: read('adminUrl'),
    controlUrl: read('controlUrl'),
    partnerUrl: read('partnerUrl'),
    databasePath: read('databasePath'),
    certDir: read('certDir'),
    logDir: read('logDir'),
  };
}

export const childLogNames = ['toss-mock', 'server', 'web-build', 'console-build', 'web-preview'] as const;
