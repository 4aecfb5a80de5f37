/**
 * Dev certificates for the partner API's mTLS: a local CA, a server certificate for localhost/127.0.0.1 and a client
 * certificate for our fulfillment server. Created once under `.dev/certs/` (gitignored), reused after.
 * Race-safe: several processes (dev, tests) may call `ensureDevCerts` on the same folder at once; one generates
 * under a lock folder, the others wait for it. You probably don't need to edit this file.
 */
import { generateKeyPair, randomBytes, sign } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';

export interface DevCerts {
  dir: string;
  caPath: string;
  caCert: string;
  serverCertPath: string;
  serverKeyPath: string;
  clientCertPath: string;
  clientKeyPath: string;
  clientCert: string;
  clientKey: string;
  /** PEM of the server certificate and key (what the partner API serves). */
  serverCert: string;
  serverKey: string;
}

const files = {
  ca: 'ca.pem',
  caKey: 'ca-key.pem',
  server: 'server.pem',
  serverKey: 'server-key.pem',
  client: 'client.pem',
  clientKey: 'client-key.pem',
} as const;

const LOCK_STALE_MS = 30_000;
const inProcess = new Map<string, Promise<DevCerts>>();

/** Create the CA, server and client certificates in `dir` if they are missing; return their paths and PEMs. */
export function ensureDevCerts(dir: string): Promise<DevCerts> {
  const existing = inProcess.get(dir);
  if (existing) return existing;
  const pending = ensure(dir).catch((error: unknown) => {
    inProcess.delete(dir);
    throw error;
  });
  inProcess.set(dir, pending);
  return pending;
}

async function ensure(dir: string): Promise<DevCerts> {
  await mkdir(dir, { recursive: true });
  const lock = join(dir, '.lock');
  for (;;) {
    if (allPresent(dir)) return read(dir);
    try {
      await mkdir(lock);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      await removeIfStale(lock);
      await sleep(50);
      continue;
    }
    try {
      if (!allPresent(dir)) await generate(dir);
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
  }
}

function allPresent(dir: string): boolean {
  return Object.values(files).every((name) => existsSync(join(dir, name)));
}

async function removeIfStale(lock: string): Promise<void> {
  try {
    const info = await stat(lock);
    if (Date.now() - info.mtimeMs > LOCK_STALE_MS) await rm(lock, { recursive: true, force: true });
  } catch {
    // gone already
  }
}

async function read(dir: string): Promise<DevCerts> {
  const path = (name: keyof typeof files) => join(dir, files[name]);
  const [caCert, serverCert, serverKey, clientCert, clientKey] = await Promise.all(
    (['ca', 'server', 'serverKey', 'client', 'clientKey'] as const).map((name) =>
      readFile(path(name), 'utf8'),
    ),
  );
  return {
    dir,
    caPath: path('ca'),
    caCert: caCert!,
    serverCertPath: path('server'),
    serverKeyPath: path('serverKey'),
    serverCert: serverCert!,
    serverKey: serverKey!,
    clientCertPath: path('client'),
    clientKeyPath: path('clientKey'),
    clientCert: clientCert!,
    clientKey: clientKey!,
  };
}

interface KeyPair {
  privatePem: string;
  publicKey: forge.pki.PublicKey;
}

const generateRsa = promisify(generateKeyPair);

async function newKeyPair(): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateRsa('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privatePem: privateKey, publicKey: forge.pki.publicKeyFromPem(publicKey) };
}

function newCert(
  subjectCn: string,
  keys: KeyPair,
  issuer: { cn: string; keyPem: string },
  extensions: object[],
  years: number,
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  // Positive serial: a leading 0x01 byte keeps the DER integer non-negative.
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 24 * 3600 * 1000);
  cert.validity.notAfter = new Date(now.getTime() + years * 365 * 24 * 3600 * 1000);
  cert.setSubject([
    { name: 'commonName', value: subjectCn },
    { name: 'organizationName', value: 'ait-iap toss-mock (dev only)' },
  ]);
  cert.setIssuer([
    { name: 'commonName', value: issuer.cn },
    { name: 'organizationName', value: 'ait-iap toss-mock (dev only)' },
  ]);
  cert.setExtensions(extensions);
  // Sign with node:crypto (native) rather than forge's pure-JS RSA, which is ~10x slower.
  const oid = forge.pki.oids.sha256WithRSAEncryption!;
  cert.signatureOid = oid;
  cert.siginfo.algorithmOid = oid;
  const tbs = (
    forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }
  ).getTBSCertificate(cert);
  (cert as unknown as { tbsCertificate: forge.asn1.Asn1 }).tbsCertificate = tbs;
  const der = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  cert.signature = sign('sha256', der, issuer.keyPem).toString('binary');
  return cert;
}

async function generate(dir: string): Promise<void> {
  const caCn = 'toss-mock dev CA';
  const [caKeys, serverKeys, clientKeys] = await Promise.all([newKeyPair(), newKeyPair(), newKeyPair()]);
  const ca = newCert(
    caCn,
    caKeys,
    { cn: caCn, keyPem: caKeys.privatePem },
    [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ],
    10,
  );
  const issuer = { cn: caCn, keyPem: caKeys.privatePem };
  const server = newCert(
    'localhost',
    serverKeys,
    issuer,
    [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
    5,
  );
  const client = newCert(
    'ait-iap fulfillment server',
    clientKeys,
    issuer,
    [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
    5,
  );
  const pem = (cert: forge.pki.Certificate) => forge.pki.certificateToPem(cert);
  const contents: Record<keyof typeof files, string> = {
    ca: pem(ca),
    caKey: caKeys.privatePem,
    server: pem(server),
    serverKey: serverKeys.privatePem,
    client: pem(client),
    clientKey: clientKeys.privatePem,
  };
  // The CA goes last: `allPresent` only sees a complete set once every file is in place.
  const order: (keyof typeof files)[] = ['caKey', 'server', 'serverKey', 'client', 'clientKey', 'ca'];
  for (const name of order) {
    const target = join(dir, files[name]);
    const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temp, contents[name], { mode: 0o600 });
    await rename(temp, target);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
