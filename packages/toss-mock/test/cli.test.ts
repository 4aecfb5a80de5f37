import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers';

const packageDir = join(import.meta.dirname, '..');
const tsx = join(packageDir, 'node_modules/.bin/tsx');

function runCli(
  env: Record<string, string>,
  args: string[] = [],
): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number>;
} {
  const child = spawn(tsx, ['src/cli.ts', ...args], { cwd: packageDir, env: { ...process.env, ...env } });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  return { child, output: () => output, exited };
}

describe('pnpm toss:mock (src/cli.ts)', () => {
  it('--help lists every variable and reading and starts nothing; an argument it does not take is refused', async () => {
    const help = runCli({ MOCK_TOSS_PORT: 'not-a-port' }, ['--help']);
    expect(await help.exited).toBe(0);
    for (const name of ['MOCK_TOSS_PORT', 'MOCK_TOSS_STATUS_READING', 'MOCK_TOSS_GRANT_DEADLINE_MS'])
      expect(help.output()).toContain(name);
    expect(help.output()).toContain('grant-failed | payment-completed | purchased');
    expect(help.output()).not.toContain('partner API (mTLS)');
    const wrong = runCli({}, ['--port', '3100']);
    expect(await wrong.exited).toBe(2);
    expect(wrong.output()).toContain('unknown argument --port');
  });

  it('starts both APIs from the environment (grant-failed reading by default), creates the certs, stops on SIGTERM', async () => {
    const tmp = await tempDir();
    const cli = runCli({
      MOCK_TOSS_PORT: '0',
      MOCK_TOSS_CONTROL_PORT: '0',
      MOCK_TOSS_CERT_DIR: join(tmp.dir, 'certs'),
      MOCK_TOSS_REVEAL_SKU: '1',
    });
    try {
      const controlUrl = await new Promise<string>((resolve, reject) => {
        const timer = setInterval(() => {
          const match = /control API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(cli.output());
          // The banner arrives in chunks: wait for its last line (the CA path) before reading the rest.
          if (match && /CA\s+\S*ca\.pem/.test(cli.output())) {
            clearInterval(timer);
            resolve(match[1]!);
          }
        }, 20);
        cli.exited.then(() => {
          clearInterval(timer);
          reject(new Error(`cli exited: ${cli.output()}`));
        });
      });
      expect(cli.output()).toMatch(/partner API \(mTLS\) https:\/\/localhost:\d+/);
      expect(cli.output()).toContain(join(tmp.dir, 'certs', 'client.pem'));
      const health = await fetch(`${controlUrl}/__mock/health`);
      expect(await health.json()).toEqual({ ok: true });
      const state = await (await fetch(`${controlUrl}/__mock/state`)).json();
      expect(state.reading).toBe('grant-failed');
      expect(state.options.revealSku).toBe(true);
      expect(cli.output()).toContain('status reading    grant-failed · sku revealed');
      cli.child.kill('SIGTERM');
      expect(await cli.exited).toBe(0);
    } finally {
      cli.child.kill('SIGKILL');
      await tmp.remove();
    }
  });

  it('refuses a bad environment with a message naming the variable', async () => {
    const cli = runCli({
      MOCK_TOSS_PORT: 'eighty',
      MOCK_TOSS_STATUS_READING: 'sometimes',
      MOCK_TOSS_REVEAL_SKU: 'yes',
    });
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toContain('MOCK_TOSS_PORT');
    expect(cli.output()).toContain('MOCK_TOSS_STATUS_READING');
    expect(cli.output()).toContain('MOCK_TOSS_REVEAL_SKU');
  });
});
