// `prepack` (runs on `pnpm pack` / `pnpm publish` / `npm publish`): copy the starter's files into template/ so the
// published package scaffolds without a checkout. Same selection as a run from a checkout (`git ls-files`, minus this
// package and its release workflow). The starter's commit goes beside it, in starter-build.json (new projects record
// it in starter.json). `node scripts/prepack.mjs <dir>` writes somewhere else (tests use that; the commit file then
// lands beside <dir>).
import path from 'node:path';
import { findStarterCheckout, packageRoot, packTemplate } from '../src/source.mjs';
import { checkoutCommit, writeBuildInfo } from '../src/starter-info.mjs';

const checkout = findStarterCheckout();
if (!checkout) {
  console.error(
    'prepack: run this from a git checkout of the starter (it copies `git ls-files` into template/).',
  );
  process.exit(1);
}
const templateDir = path.resolve(process.argv[2] ?? path.join(packageRoot, 'template'));
const count = packTemplate(checkout, templateDir);
console.log(`prepack: copied ${count} starter files into ${templateDir}`);
// The commit these files are from, published beside template/: new projects record it in starter.json.
const commit = checkoutCommit(checkout);
console.log(`prepack: starter commit ${commit ?? 'unknown'} → ${writeBuildInfo(templateDir, commit)}`);
