import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ensureDevCerts } from '../src/index';
import { tempDir } from './helpers';

const run = promisify(execFile);

const serverAuth = '1.3.6.1.5.5.7.3.1';
const clientAuth = '1.3.6.1.5.5.7.3.2';

describe('ensureDevCerts', () => {
  it('issues the server certificate for TLS servers only and the client certificate for TLS clients only', async () => {
    const tmp = await tempDir();
    try {
      const certs = await ensureDevCerts(join(tmp.dir, 'certs'));
      const ca = new X509Certificate(certs.caCert);
      const server = new X509Certificate(certs.serverCert);
      const client = new X509Certificate(certs.clientCert);
      expect(server.keyUsage).toEqual([serverAuth]);
      expect(client.keyUsage).toEqual([clientAuth]);
      expect([server.ca, client.ca]).toEqual([false, false]);
      expect([server.issuer, client.issuer]).toEqual([ca.subject, ca.subject]);
      expect(server.checkPrivateKey(createPrivateKey(certs.serverKey))).toBe(true);
      expect(client.checkPrivateKey(createPrivateKey(certs.clientKey))).toBe(true);
      expect(server.checkPrivateKey(createPrivateKey(certs.clientKey))).toBe(false);
    } finally {
      await tmp.remove();
    }
  });

  it('creates a CA, a localhost server cert and a client cert the CA signed', async () => {
    const tmp = await tempDir();
    try {
      const certs = await ensureDevCerts(join(tmp.dir, 'certs'));
      const ca = new X509Certificate(certs.caCert);
      const server = new X509Certificate(await readFile(certs.serverCertPath));
      const client = new X509Certificate(certs.clientCert);
      expect(ca.ca).toBe(true);
      expect(server.verify(ca.publicKey)).toBe(true);
      expect(client.verify(ca.publicKey)).toBe(true);
      expect(server.checkHost('localhost')).toBe('localhost');
      expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(server.checkIP('::1')).toBe('::1');
      expect(client.checkHost('localhost')).toBeUndefined();
      expect(await readFile(certs.clientKeyPath, 'utf8')).toBe(certs.clientKey);
      expect(certs.clientKey).toContain('PRIVATE KEY');
    } finally {
      await tmp.remove();
    }
  });

  it('reuses what exists instead of generating again, and several processes starting at once agree', async () => {
    const tmp = await tempDir();
    try {
      const script = join(tmp.dir, 'ensure.mts');
      const certDir = join(tmp.dir, 'certs');
      await writeFile(
        script,
        `import { createPrivateKey, X509Certificate } from 'node:crypto';
        import { ensureDevCerts } from ${JSON.stringify(join(import.meta.dirname, '../src/certs.ts'))};
        const c = await ensureDevCerts(${JSON.stringify(certDir)});
        console.log(new X509Certificate(c.caCert).fingerprint256);`,
      );
      const tsx = join(import.meta.dirname, '../node_modules/.bin/tsx');
      const ca = async () =>
        (await run(tsx, [script], { cwd: join(import.meta.dirname, '..') })).stdout.trim();
      const concurrent = await Promise.all([ca(), ca(), ca()]);
      expect(new Set(concurrent).size).toBe(1);
      const before = await readFile(join(certDir, 'client.pem'), 'utf8');
      const inProcess = await ensureDevCerts(certDir);
      expect(new X509Certificate(inProcess.caCert).fingerprint256).toBe(concurrent[0]);
      expect(inProcess.clientCert).toBe(before);
    } finally {
      await tmp.remove();
    }
  });
});
