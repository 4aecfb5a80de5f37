/**
 * Write placeholder art for every catalog product whose image file is missing (`--force`: rewrite them all).
 *   pnpm --filter @ait-iap/scripts make-images [-- --force]
 * Image paths in the catalog are relative to the repo root; CATALOG_PATH overrides the catalog file.
 */
import { readFile } from 'node:fs/promises';
import { parseCatalog } from '@ait-iap/iap-contract';
import { writeProductImages } from './images';
import { defaultCatalogPath, repoRoot } from './paths';

const catalogPath = process.env.CATALOG_PATH ?? defaultCatalogPath;
const parsed = parseCatalog(JSON.parse(await readFile(catalogPath, 'utf8')));
if (!parsed.ok) {
  console.error(`${catalogPath} is not a valid catalog; run \`pnpm seed\` to see every problem.`);
  process.exit(1);
}
const written = await writeProductImages(parsed.catalog.products, {
  root: repoRoot,
  force: process.argv.includes('--force'),
});
for (const { image, bytes } of written) {
  console.log(bytes === null ? `kept   ${image}` : `wrote  ${image} (${(bytes / 1024).toFixed(1)} KB)`);
}
