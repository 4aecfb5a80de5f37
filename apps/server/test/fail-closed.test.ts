/**
 * Configuration fails closed: a malformed, inconsistent or unsafe setting stops the server at start with one line
 * naming the setting — never its secret — instead of running on a guess (a mistyped DATABASE_URL ran production on an
 * empty SQLite file; TRUST_PROXY_SUBNETS=0.0.0.0/0 crashed with a raw TypeError; mismatched mTLS files were found only
 * when every login failed).
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../src/config';
import { type MockHarness, startMock, tempDir } from './helpers';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let mock: MockHarness;

beforeAll(async () => {
  tmp = await tempDir();
  mock = await startMock(`${tmp.dir}/certs`);
});
afterAll(async () => {
  await mock?.close();
  await tmp?.remove();
});

/** The problems `loadConfig` refuses `env` with ([] when it is accepted). */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

const mtls = () => ({
  TOSS_MTLS_CERT: mock.mock.certs.clientCertPath,
  TOSS_MTLS_KEY: mock.mock.certs.clientKeyPath,
});
const production = () => ({ NODE_ENV: 'production', TOSS_ENVIRONMENT: 'production', ...mtls() });

describe('DATABASE_URL', () => {
  const secret = 's3cret-Pa55';
  test.each([
    ['a libpq key=value string', `host=db.internal port=5432 dbname=app user=app password=${secret}`],
    ['postgres:/x (one slash)', `postgres:/app:${secret}@db/app`],
    ['postgres//x (no colon)', `postgres//app:${secret}@db/app`],
    ['a JDBC URL', `jdbc:postgresql://db.internal:5432/app?user=app&password=${secret}`],
    ['a URL with no host', `postgres://:${secret}@/app`],
    ['another scheme', `mysql://app:${secret}@db/app`],
  ])('%s is refused in one line naming DATABASE_URL, without the password', (_name, value) => {
    const problems = problemsOf({ DATABASE_URL: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^DATABASE_URL: /);
    expect(problems[0]).not.toContain(secret);
    expect(problems[0]).not.toContain('\n');
  });

  test('a postgres:// URL selects PostgreSQL; file: and plain paths are SQLite files', () => {
    expect(loadConfig({ DATABASE_URL: `postgres://app:pw@db.internal:5432/app` }).databaseUrl).toBe(
      'postgres://app:pw@db.internal:5432/app',
    );
    expect(
      loadConfig({ DATABASE_URL: 'postgresql:///app?host=/var/run/postgresql' }).databaseUrl,
    ).not.toBeNull();
    const file = loadConfig({ DATABASE_URL: `file:${tmp.dir}/a.db` });
    expect([file.databaseUrl, file.databasePath]).toEqual([null, `${tmp.dir}/a.db`]);
    expect(loadConfig({ DATABASE_URL: `${tmp.dir}/b.db` }).databasePath).toBe(`${tmp.dir}/b.db`);
  });

  test('PostgreSQL waits are bounded by default and configurable', () => {
    const defaults = loadConfig({});
    expect([defaults.databaseAcquireTimeoutMs, defaults.databaseStatementTimeoutMs]).toEqual([5_000, 10_000]);
    const set = loadConfig({ DATABASE_ACQUIRE_TIMEOUT_MS: '800', DATABASE_STATEMENT_TIMEOUT_MS: '1500' });
    expect([set.databaseAcquireTimeoutMs, set.databaseStatementTimeoutMs]).toEqual([800, 1_500]);
    expect(problemsOf({ DATABASE_STATEMENT_TIMEOUT_MS: '0' })).toEqual([
      expect.stringMatching(/^DATABASE_STATEMENT_TIMEOUT_MS: /),
    ]);
  });
});

describe('proxy trust', () => {
  test.each(['0.0.0.0/0', '::/0', '10.0.0.0/8, 0.0.0.0/0'])(
    'TRUST_PROXY_SUBNETS=%s (every address) is refused with a clear line, not a TypeError',
    (value) => {
      const problems = problemsOf({ TRUST_PROXY_SUBNETS: value });
      expect(problems).toEqual([expect.stringMatching(/^TRUST_PROXY_SUBNETS: ".*\/0" trusts every address/)]);
    },
  );

  test('a hop count beyond any real deployment is refused; a plausible one is taken', () => {
    expect(problemsOf({ TRUST_PROXY_HOPS: '40' })).toEqual([expect.stringMatching(/^TRUST_PROXY_HOPS: /)]);
    expect(loadConfig({ TRUST_PROXY_HOPS: '2' }).trustProxy).toBe(2);
  });
});

describe('mTLS material, loaded and matched at start', () => {
  function otherKeyFile(): string {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const file = `${tmp.dir}/other-key.pem`;
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    return file;
  }

  test('production refuses to start without a certificate and key', () => {
    const { TOSS_MTLS_CERT: _c, TOSS_MTLS_KEY: _k, ...noMtls } = production();
    expect(problemsOf(noMtls)).toEqual([expect.stringMatching(/^TOSS_MTLS_CERT\/TOSS_MTLS_KEY: not set/)]);
  });

  test('production refuses a key that does not belong to the certificate, and unreadable files', () => {
    expect(problemsOf({ ...production(), TOSS_MTLS_KEY: otherKeyFile() })).toEqual([
      'TOSS_MTLS_CERT and TOSS_MTLS_KEY: the key does not belong to the certificate',
    ]);
    expect(problemsOf({ ...production(), TOSS_MTLS_CERT: `${tmp.dir}/missing.pem` })).toEqual([
      expect.stringMatching(/^TOSS_MTLS_CERT: cannot read ".*missing.pem" \(ENOENT\)$/),
    ]);
    expect(problemsOf({ ...production(), TOSS_MTLS_CERT: otherKeyFile() })).toEqual([
      'TOSS_MTLS_CERT: not a PEM certificate',
    ]);
    expect(problemsOf(production())).toEqual([]);
  });

  test('outside production the same findings are warnings: a dev server still starts', () => {
    const config = loadConfig({ ...mtls(), TOSS_MTLS_KEY: otherKeyFile() });
    expect(config.warnings).toEqual([
      'TOSS_MTLS_CERT and TOSS_MTLS_KEY: the key does not belong to the certificate',
    ]);
    expect(loadConfig({}).warnings).toEqual([
      expect.stringMatching(/^TOSS_MTLS_CERT\/TOSS_MTLS_KEY: not set/),
    ]);
    expect(loadConfig(mtls()).warnings).toEqual([]);
  });
});

describe('TOSS_ENVIRONMENT', () => {
  test('ALLOW_SANDBOX_IN_PRODUCTION on a sandbox server is inconsistent, and refused', () => {
    expect(problemsOf({ TOSS_ENVIRONMENT: 'sandbox', ALLOW_SANDBOX_IN_PRODUCTION: 'true' })).toEqual([
      expect.stringMatching(/^ALLOW_SANDBOX_IN_PRODUCTION: only meaningful with TOSS_ENVIRONMENT=production/),
    ]);
    expect(problemsOf({ ...production(), ALLOW_SANDBOX_IN_PRODUCTION: 'true' })).toEqual([]);
  });

  test('production without TOSS_ENVIRONMENT, or with a misspelled one, is refused', () => {
    const { TOSS_ENVIRONMENT: _e, ...unnamed } = production();
    expect(problemsOf(unnamed)).toEqual([expect.stringMatching(/^TOSS_ENVIRONMENT: required/)]);
    expect(problemsOf({ ...production(), TOSS_ENVIRONMENT: 'prod' })).toEqual([
      'TOSS_ENVIRONMENT: TOSS_ENVIRONMENT must be production or sandbox',
    ]);
  });
});
