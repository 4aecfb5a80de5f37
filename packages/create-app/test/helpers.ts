import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'create-ait-iap-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Every file under `root` (skipping node_modules and .git), relative. */
export function filesUnder(root: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const rel = path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/');
    if (/(^|\/)(node_modules|\.git|\.turbo|\.test-results)\//.test(rel)) continue;
    out.push(rel);
  }
  return out.sort();
}

/** Lines anywhere in the tree that still carry a template name (scope, root name, appName or the short name). */
export function leftoverTemplateNames(root: string): string[] {
  const hits: string[] = [];
  for (const file of filesUnder(root)) {
    if (file === 'starter.json') continue; // records the starter's names on purpose (docs/upgrading.md)
    const full = path.join(root, file);
    if (statSync(full).size > 5_000_000) continue;
    const bytes = readFileSync(full);
    if (bytes.subarray(0, 8000).includes(0)) continue;
    bytes
      .toString('utf8')
      .split('\n')
      .forEach((line, i) => {
        if (/ait-iap/.test(line)) hits.push(`${file}:${i + 1}: ${line.trim()}`);
      });
  }
  return hits;
}

export const creditLine = 'README.md: Scaffolded with create-ait-iap, from the Apps in Toss IAP starter.';
