/**
 * Run the reconcile job once and print its report as JSON (`pnpm --filter @ait-iap/server reconcile`).
 * Exit code 0 when nothing needs an operator; 2 when paid-but-ungranted orders older than the threshold remain, or
 * HELD orders wait for a decision (`ops review`).
 */
import { reconcile } from '../fulfillment/reconcile';
import { createServer } from '../server';
import { describeSettings, loadSettingsConfig } from '../settings-files';

// The same settings as the server and the ops CLI (settings-files.ts); one line on stderr says which.
const { config, settings } = loadSettingsConfig();
for (const note of settings.notes) console.error(note);
console.error(describeSettings('reconcile', config, settings));
const server = await createServer(config);
try {
  const report = await reconcile(server.deps, config.reconcile);
  console.log(JSON.stringify(report, null, 2));
  process.exitCode = report.stuck.length > 0 || report.held.length > 0 ? 2 : 0;
} finally {
  await server.close();
}
