/**
 * `pnpm seed`: validate the console mirror (catalog/products.json) and sync it into the server database and the
 * Toss mock; `--sheet` prints what to register in the console; `--check <dump.json>` reports drift from what Toss
 * lists. Everything lives in seed/ (cli.ts is the entry); see scripts/README.md.
 */
import { runSeed } from './seed/cli';

process.exitCode = await runSeed(process.argv.slice(2), {
  env: process.env,
  cwd: process.env.INIT_CWD ?? process.cwd(),
  log: (line) => console.log(line),
  error: (line) => console.error(line),
});
