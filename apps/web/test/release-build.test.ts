// @vitest-environment node
/**
 * The release build contains no mock code: the toss-mock host and dev panel are compiled in only for `vite` (dev)
 * and for builds with VITE_TOSS_MOCK=1. Builds both ways into temp folders and greps the output, so the check can
 * fail in either direction.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterAll, expect, test } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Strings only the mock host / dev panel contain. */
const mockMarkers = ['toss-mock', '__mock/host', 'installTossMockHost', 'data-toss-mock'];

async function buildText(env: Record<string, string | undefined>): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'ait-iap-web-build-'));
  dirs.push(outDir);
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    await build({ root, mode: 'production', logLevel: 'silent', build: { outDir, emptyOutDir: true } });
  } finally {
    for (const key of Object.keys(env)) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  }
  const files = await readdir(join(outDir, 'assets'));
  const texts = await Promise.all(files.map((f) => readFile(join(outDir, 'assets', f), 'utf8')));
  return texts.join('\n');
}

test('a release build has no toss-mock host or dev panel in it; a VITE_TOSS_MOCK=1 build does', async () => {
  // NODE_ENV as a plain `vite build` has it (vitest sets 'test', which Vite would read as a dev build).
  const release = await buildText({
    NODE_ENV: 'production',
    VITE_TOSS_MOCK: undefined,
    VITE_API_URL: 'https://api.example.com',
  });
  for (const marker of mockMarkers)
    expect({ marker, found: release.includes(marker) }).toEqual({ marker, found: false });
  const mock = await buildText({ NODE_ENV: 'production', VITE_TOSS_MOCK: '1' });
  expect(mockMarkers.filter((marker) => mock.includes(marker)).length).toBeGreaterThan(0);
}, 120_000);
