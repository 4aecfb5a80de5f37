/**
 * One configuration, and a CLI for people: the settings loader (environment, apps/server/.env, .env, pnpm dev's
 * .dev/stack.env, relative paths against the file that named them), the server and the CLI reading apps/server/.env
 * alike from any working directory, `--help` exiting 0, `--json` shapes, tables, operator accounts from the CLI and the
 * audit rows of CLI changes (`--as` an account, or the OS user). Runs on SQLite and PostgreSQL.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { orderReference } from '@ait-iap/iap-contract';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createOperator, verifyOperatorLogin } from '../src/auth/operators';
import { repoRoot } from '../src/config';
import { loadSettings, loadSettingsConfig } from '../src/settings-files';
import {
  loginUser,
  type MockHarness,
  type ServerHarness,
  startMock,
  startServer,
  type TestDatabase,
  tempDir,
  testBackend,
  testConfig,
  testDatabase,
} from './helpers';

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cliEntry = path.join(serverDir, 'src', 'ops', 'cli.ts');
// By URL: `--import tsx` would be looked up from the working directory, which these tests move on purpose.
const tsxLoader = pathToFileURL(path.join(serverDir, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

let tmp: Awaited<ReturnType<typeof tempDir>>;
let mock: MockHarness;
let server: ServerHarness;
let database: TestDatabase;

beforeAll(async () => {
  tmp = await tempDir();
  mock = await startMock(`${tmp.dir}/certs`);
  database = await testDatabase(tmp.dir, 'opscli');
  server = await startServer(testConfig(mock.mock, database));
});
afterAll(async () => {
  await server?.close();
  await mock?.close();
  await tmp?.remove();
});

const deps = () => server.server.deps;

/** Run the CLI (tsx source) with exactly `env` (plus PATH), from `cwd` — a folder that is NOT apps/server by default. */
async function runCli(args: string[], env: Record<string, string>, cwd = os.tmpdir()) {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', tsxLoader, cliEntry, ...args],
      { cwd, env: { PATH: process.env.PATH ?? '', USER: 'cli-tester', LOG_LEVEL: 'silent', ...env } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** The CLI against this file's database and mock, reading no settings file. */
const ops = (...args: string[]) =>
  runCli(args, {
    AIT_IAP_SETTINGS_ROOT: 'none',
    ...database.env,
    TOSS_API_BASE_URL: mock.mock.partnerUrl,
    TOSS_MTLS_CERT: mock.mock.certs.clientCertPath,
    TOSS_MTLS_KEY: mock.mock.certs.clientKeyPath,
    TOSS_MTLS_CA: mock.mock.certs.caPath,
  });

async function heldOrder() {
  const user = await loginUser(server.api, mock.control);
  const { orderId } = await mock.control.order(user.userKey, 'coin_100', 'FAILED');
  const claim = await server.api.mutation<{ reason: string }>(
    'iap.fulfill',
    { orderId, sku: 'coin_100' },
    user.token,
  );
  expect(claim.data?.reason).toBe('UNDER_REVIEW');
  return { user, orderId };
}

const auditRows = (orderId: string) =>
  deps().database.db.selectFrom('audit_log').selectAll().where('order_id', '=', orderId).execute();

/** A folder laid out like the repository, with the given settings files. */
function settingsRoot(files: Record<string, string>): string {
  const root = path.join(tmp.dir, `root-${Math.random().toString(36).slice(2, 8)}`);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}

// Each CLI run is a fresh Node + tsx start (seconds on a busy 2-core machine).
describe('one configuration', { timeout: 120_000 }, () => {
  test('the environment wins, then apps/server/.env, then .env, then a live pnpm dev stack file', () => {
    const root = settingsRoot({
      'apps/server/.env': 'LOG_LEVEL=warn\nTOSS_TIMEOUT_MS=111\n',
      '.env': 'TOSS_TIMEOUT_MS=222\nTOSS_RETRIES=3\n',
      '.dev/stack.env': `DEV_STACK_PID=${process.pid}\nTOSS_RETRIES=9\nTOSS_API_BASE_URL=https://localhost:4100\n`,
    });
    const { env, sourceOf } = loadSettings({ env: { LOG_LEVEL: 'error' }, root });
    expect([env.LOG_LEVEL, env.TOSS_TIMEOUT_MS, env.TOSS_RETRIES, env.TOSS_API_BASE_URL]).toEqual([
      'error',
      '111',
      '3',
      'https://localhost:4100',
    ]);
    expect(sourceOf).toMatchObject({ TOSS_TIMEOUT_MS: 'apps/server/.env', TOSS_RETRIES: '.env' });
    expect(env.DEV_STACK_PID).toBeUndefined();
  });

  test('relative paths resolve against the folder of the file that named them, never the working directory', () => {
    const root = settingsRoot({
      'apps/server/.env': 'DATABASE_PATH=data/app.db\n',
      '.env': 'CATALOG_PATH=catalog/products.json\nTOSS_MTLS_CERT=.dev/certs/client.pem\n',
      '.dev/stack.env': `DEV_STACK_PID=${process.pid}\nTOSS_MTLS_KEY=certs/client-key.pem\n`,
    });
    const { env } = loadSettings({ env: { TOSS_MTLS_CA: 'ca/ca.pem' }, root });
    expect(env.DATABASE_PATH).toBe(path.join(root, 'apps/server/data/app.db'));
    expect(env.CATALOG_PATH).toBe(path.join(root, 'catalog/products.json'));
    expect(env.TOSS_MTLS_CERT).toBe(path.join(root, '.dev/certs/client.pem'));
    expect(env.TOSS_MTLS_KEY).toBe(path.join(root, '.dev/certs/client-key.pem'));
    // Set in the environment: against the repository root.
    expect(env.TOSS_MTLS_CA).toBe(path.join(repoRoot, 'ca/ca.pem'));
  });

  test('a DATABASE_URL the server refuses is refused from a settings file too, never taken as a relative path', () => {
    const root = settingsRoot({ 'apps/server/.env': 'DATABASE_URL=mysql:shop\n' });
    const loaded = loadSettings({ env: {}, root });
    expect(loaded.env.DATABASE_URL).toBe('mysql:shop');
    expect(() => loadSettingsConfig({ env: {}, root })).toThrow(/DATABASE_URL: "mysql:" is not supported/);
    // A SQLite file named by DATABASE_URL is still a path against the file's folder.
    const file = settingsRoot({ 'apps/server/.env': 'DATABASE_URL=file:data/app.db\n' });
    expect(loadSettings({ env: {}, root: file }).env.DATABASE_URL).toBe(
      `file:${path.join(file, 'apps/server/data/app.db')}`,
    );
  });

  test('a stack file left by a pnpm dev that is gone is ignored, and said so', () => {
    const root = settingsRoot({ '.dev/stack.env': 'DEV_STACK_PID=4242\nDATABASE_PATH=/tmp/stale.db\n' });
    const loaded = loadSettings({ env: {}, root, isAlive: () => false });
    expect(loaded.env.DATABASE_PATH).toBeUndefined();
    expect(loaded.notes).toEqual([expect.stringContaining('ignoring .dev/stack.env')]);
  });

  test('the server and the CLI both read the database named in apps/server/.env, from any working directory', async () => {
    const dbLine =
      testBackend === 'sqlite' ? 'DATABASE_PATH=data/app.db' : `DATABASE_URL=${database.env.DATABASE_URL}`;
    const root = settingsRoot({ 'apps/server/.env': `${dbLine}\n` });
    // The server's entry (main.ts) loads exactly this way.
    const { config } = loadSettingsConfig({ env: { AIT_IAP_SETTINGS_ROOT: root } });
    if (testBackend === 'sqlite')
      expect(config.databasePath).toBe(path.join(root, 'apps/server/data/app.db'));
    else expect(config.databaseUrl).toBe(database.env.DATABASE_URL);

    // An operator created in that database; the CLI, run from elsewhere with nothing but the settings root, lists it.
    const created = await runCli(['operator', 'add', 'from-dotenv', '--role', 'viewer', '--json'], {
      AIT_IAP_SETTINGS_ROOT: root,
    });
    expect(created.code).toBe(0);
    expect(created.stderr).toMatch(
      /^ops: environment sandbox .* · database .* \(from apps\/server\/\.env\) · Toss /m,
    );
    const listed = await runCli(['operator', 'list', '--json'], { AIT_IAP_SETTINGS_ROOT: root }, serverDir);
    expect((JSON.parse(listed.stdout) as Array<{ name: string }>).map((o) => o.name)).toContain(
      'from-dotenv',
    );
  });
});

describe('the ops CLI', { timeout: 120_000 }, () => {
  test('--help answers with exit 0, for the CLI and each command; an unknown command fails', async () => {
    const help = await ops('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('approve <orderId> --reason');
    const approveHelp = await ops('approve', '--help');
    expect([approveHelp.code, approveHelp.stdout]).toEqual([
      0,
      expect.stringContaining('usage: ops approve'),
    ]);
    const unknown = await ops('approve-all');
    expect([unknown.code, unknown.stderr]).toEqual([
      1,
      expect.stringContaining('unknown command approve-all'),
    ]);
  });

  test('review: the JSON array scripts read (--json), a table on a terminal (--table); an empty list is not a failure', async () => {
    const { orderId } = await heldOrder();
    const json = await ops('review', '--json');
    expect(json.code).toBe(0);
    expect(json.stderr.split('\n')[0]).toMatch(
      /^ops: environment sandbox .*database .*Toss https:\/\/localhost:/,
    );
    const rows = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(rows.find((r) => r.orderId === orderId)).toEqual({
      orderId,
      userId: expect.any(String),
      sku: 'coin_100',
      salePrice: expect.any(Number),
      holdReason: 'FAILED_NOT_SEEN_PAID',
      tossStatus: 'FAILED',
      heldAt: expect.any(String),
      environment: 'sandbox',
      claims: 1,
    });
    const shown = await ops('review', '--table');
    expect(shown.stdout.split('\n')[0]).toMatch(/^heldAt\s+reference\s+orderId\s+sku\s+salePrice/);
    expect(shown.stdout).toContain(orderReference(orderId));
    expect(shown.stdout).toContain(orderId);
    const conflicts = await ops('conflicts', '--table');
    expect(conflicts.code).toBe(0);
  });

  test('operator add prints { name, role, password } once; the password signs in; --as a viewer or a stranger cannot decide', async () => {
    const added = await ops('operator', 'add', 'cli-kim', '--role', 'approver', '--json');
    const shown = JSON.parse(added.stdout) as { name: string; role: string; password: string };
    expect(shown).toEqual({ name: 'cli-kim', role: 'approver', password: expect.stringMatching(/^\S{24}$/) });
    expect(await verifyOperatorLogin(deps(), 'cli-kim', shown.password)).toMatchObject({ name: 'cli-kim' });
    const accountAudit = await deps()
      .database.db.selectFrom('audit_log')
      .selectAll()
      .where('reason', '=', 'operator cli-kim')
      .execute();
    expect(accountAudit).toEqual([
      expect.objectContaining({
        action: 'operator_add',
        detail: 'role approver',
        actor_kind: 'cli',
        os_user: 'cli-tester',
      }),
    ]);
    await createOperator(deps(), { name: 'cli-viewer', role: 'viewer' });

    const { orderId } = await heldOrder();
    const asViewer = await ops('approve', orderId, '--reason', 'paid', '--as', 'cli-viewer', '--json');
    expect([asViewer.code, asViewer.stderr]).toEqual([1, expect.stringContaining('only an approver')]);
    const asStranger = await ops('approve', orderId, '--reason', 'paid', '--as', 'nobody', '--json');
    expect([asStranger.code, asStranger.stderr]).toEqual([
      1,
      expect.stringContaining('no operator account named nobody'),
    ]);
    expect(await auditRows(orderId)).toEqual([]);

    const approved = await ops(
      'approve',
      orderId,
      '--reason',
      'settlement shows it paid',
      '--as',
      'cli-kim',
      '--json',
    );
    expect(approved.code).toBe(0);
    expect(JSON.parse(approved.stdout)).toEqual({
      ok: true,
      auditId: expect.any(String),
      from: 'HELD',
      to: 'GRANTED',
    });
    expect(await auditRows(orderId)).toEqual([
      expect.objectContaining({
        action: 'approve',
        operator: 'cli-kim',
        actor_kind: 'cli',
        actor_id: expect.any(String),
        os_user: 'cli-tester',
      }),
    ]);

    const again = await ops('approve', orderId, '--reason', 'again', '--json');
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({
      ok: false,
      code: 'ALREADY_DECIDED',
      state: 'GRANTED',
      movedBy: 'cli-kim',
    });

    const disabled = await ops('operator', 'disable', 'cli-kim', '--json');
    expect(disabled.code).toBe(0);
    expect(
      (
        await deps()
          .database.db.selectFrom('audit_log')
          .select('action')
          .where('reason', '=', 'operator cli-kim')
          .orderBy('created_at')
          .execute()
      ).map((r) => r.action),
    ).toEqual(['operator_add', 'operator_disable']);
    expect(await verifyOperatorLogin(deps(), 'cli-kim', shown.password)).toBeNull();
  });

  test('deny, credit and recheck --apply from the CLI as the OS user are audited as such', async () => {
    const denied = await heldOrder();
    const deny = await ops('deny', denied.orderId, '--reason', 'no settlement row', '--json');
    expect([deny.code, JSON.parse(deny.stdout).to]).toEqual([0, 'REFUSED']);
    expect(await auditRows(denied.orderId)).toEqual([
      expect.objectContaining({
        action: 'deny',
        operator: 'cli-tester',
        actor_kind: 'cli',
        actor_id: null,
        os_user: 'cli-tester',
      }),
    ]);

    const credited = await ops(
      'credit',
      denied.user.userId,
      'COIN',
      '30',
      '--reason',
      'sorry for the wait',
      '--json',
    );
    expect([credited.code, JSON.parse(credited.stdout)]).toEqual([
      0,
      expect.objectContaining({ ok: true, balance: 30 }),
    ]);
    const badCredit = await ops('credit', denied.user.userId, 'COIN', 'lots', '--reason', 'x', '--json');
    expect([badCredit.code, JSON.parse(badCredit.stdout).code]).toEqual([1, 'INVALID_AMOUNT']);

    const { orderId } = await heldOrder();
    const order = mock.mock.state.orders.get(orderId);
    if (!order) throw new Error('mock order missing');
    order.payment = 'paid';
    const rechecked = await ops('recheck', orderId, '--apply', '--json');
    expect(rechecked.code).toBe(0);
    expect(await auditRows(orderId)).toEqual([
      expect.objectContaining({
        action: 'recheck',
        actor_kind: 'cli',
        os_user: 'cli-tester',
        reason: 'recheck --apply',
      }),
    ]);
  });

  test('order finds an order by the reference the app shows; an unknown one is "not found" with exit 1', async () => {
    const { orderId } = await heldOrder();
    const byReference = await ops('order', orderReference(orderId).toLowerCase(), '--json');
    expect(byReference.code).toBe(0);
    expect(JSON.parse(byReference.stdout)).toMatchObject({ order: { order_id: orderId, state: 'HELD' } });
    const table = await ops('order', orderReference(orderId), '--table');
    expect(table.stdout).toMatch(/^Order\n/);
    const missing = await ops('order', 'no-such-order', '--json');
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringContaining('no order no-such-order')]);
  });
});
