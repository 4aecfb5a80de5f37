/**
 * Dev certificates for the partner API's mTLS: a local CA, a server certificate for localhost/127.0.0.1/::1 and a
 * client certificate (clientAuth) for our fulfillment server, made with @peculiar/x509 on Node's WebCrypto. Created once under `.dev/certs/` (gitignored), reused after.
 * Race-safe: several processes (dev, tests) may call `ensureDevCerts` on the same folder at once; one generates
 * under a lock folder, the others wait for it. You probably don't need to edit this file.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
// @peculiar/x509 resolves its ASN.1 serializers through tsyringe, which needs the Reflect metadata API loaded first
// (the library's README: "Reflect Polyfill Required").
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

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

// X.509 through @peculiar/x509 (its public API) on Node's WebCrypto (`globalThis.crypto`, Node ≥ 19): keys,
// signatures and hashes are native.
const webcrypto = globalThis.crypto;
const subtle = webcrypto.subtle;
const rsa = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
} as const;
const organization = 'ait-iap toss-mock (dev only)';
const DAY_MS = 24 * 3600 * 1000;

function newKeyPair() {
  return subtle.generateKey(rsa, true, ['sign', 'verify']);
}
/** Inferred, not the DOM's `CryptoKeyPair`: packages that typecheck this file without the DOM lib see Node's type. */
type KeyPair = Awaited<ReturnType<typeof newKeyPair>>;

async function privateKeyPem(keys: KeyPair): Promise<string> {
  return x509.PemConverter.encode(await subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
}

/** Validity from a day ago (clock skew) for `years`, and a positive random serial (a leading 0x01 byte). */
function lifetime(years: number) {
  const now = Date.now();
  return {
    serialNumber: `01${randomBytes(15).toString('hex')}`,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + years * 365 * DAY_MS),
    signingAlgorithm: rsa,
  };
}

function name(commonName: string): x509.JsonName {
  return [{ CN: [commonName] }, { O: [organization] }];
}

/** The dev CA: self-signed, may sign certificates (and nothing else of ours). */
async function createCa(keys: KeyPair): Promise<x509.X509Certificate> {
  const flags = x509.KeyUsageFlags;
  return x509.X509CertificateGenerator.createSelfSigned(
    {
      ...lifetime(10),
      name: name('toss-mock dev CA'),
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(flags.keyCertSign | flags.cRLSign | flags.digitalSignature, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
      ],
    },
    webcrypto,
  );
}

/** A leaf the CA signs: the partner API's server certificate (`serverAuth`) or our client certificate (`clientAuth`). */
async function createLeaf(
  ca: { cert: x509.X509Certificate; keys: KeyPair },
  keys: KeyPair,
  commonName: string,
  usage: 'serverAuth' | 'clientAuth',
  altNames: x509.JsonGeneralName[] = [],
): Promise<x509.X509Certificate> {
  const flags = x509.KeyUsageFlags;
  return x509.X509CertificateGenerator.create(
    {
      ...lifetime(5),
      subject: name(commonName),
      issuer: ca.cert.subject,
      publicKey: keys.publicKey,
      signingKey: ca.keys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false),
        new x509.KeyUsagesExtension(flags.digitalSignature | flags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage[usage]]),
        await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey, false, webcrypto),
        ...(altNames.length > 0 ? [new x509.SubjectAlternativeNameExtension(altNames)] : []),
      ],
    },
    webcrypto,
  );
}

async function generate(dir: string): Promise<void> {
  const [caKeys, serverKeys, clientKeys] = await Promise.all([newKeyPair(), newKeyPair(), newKeyPair()]);
  const ca = { cert: await createCa(caKeys), keys: caKeys };
  const server = await createLeaf(ca, serverKeys, 'localhost', 'serverAuth', [
    { type: 'dns', value: 'localhost' },
    { type: 'ip', value: '127.0.0.1' },
    { type: 'ip', value: '::1' },
  ]);
  const client = await createLeaf(ca, clientKeys, 'ait-iap fulfillment server', 'clientAuth');
  const contents: Record<keyof typeof files, string> = {
    ca: ca.cert.toString('pem'),
    caKey: await privateKeyPem(caKeys),
    server: server.toString('pem'),
    serverKey: await privateKeyPem(serverKeys),
    client: client.toString('pem'),
    clientKey: await privateKeyPem(clientKeys),
  };
  // The CA goes last: `allPresent` only sees a complete set once every file is in place.
  const order: (keyof typeof files)[] = ['caKey', 'server', 'serverKey', 'client', 'clientKey', 'ca'];
  for (const fileName of order) {
    const target = join(dir, files[fileName]);
    const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temp, `${contents[fileName].trimEnd()}\n`, { mode: 0o600 });
    await rename(temp, target);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
