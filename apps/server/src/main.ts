/**
 * The server process: read config, build the server, listen on PORT (and METRICS_PORT), run the reconcile job every
 * RECONCILE_INTERVAL_SECONDS, and shut down gracefully on SIGTERM/SIGINT: `/readyz` turns 503 at once (draining,
 * SHUTDOWN_DRAIN_MS, still serving), then the listener closes and in-flight grants finish.
 * Runs as TypeScript in development (`tsx`) and as the bundle `dist/main.js` in production (`pnpm build`).
 * You probably don't need to edit this file.
 */
import { type Config, ConfigError } from './config';
import { describePostgresUrl } from './db/database';
import { createServer } from './server';
import { loadSettingsConfig } from './settings-files';

async function main() {
  // The environment, then apps/server/.env, the root .env and `pnpm dev`'s .dev/stack.env: the same settings the ops
  // CLI and the reconcile job read (settings-files.ts).
  let config: Config;
  try {
    const loaded = loadSettingsConfig();
    config = loaded.config;
    for (const note of loaded.settings.notes) console.error(note);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const server = await createServer(config);
  const { url, port, metricsUrl, adminUrl } = await server.listen(config.port, config.host);
  const { log } = server.deps;
  log.info('server.listening', {
    url,
    port,
    metrics: metricsUrl,
    console: adminUrl,
    environment: config.environment,
    database: config.databaseUrl
      ? `postgres (${describePostgresUrl(config.databaseUrl)})`
      : config.databasePath,
    toss: config.toss.baseUrl,
  });

  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  const shutdown = new AbortController();
  if (config.reconcile.intervalSeconds > 0) {
    timer = setInterval(() => {
      if (running) return; // never overlap runs
      running = server
        .reconcileOnce({ signal: shutdown.signal })
        .catch((error: unknown) => {
          if (!shutdown.signal.aborted) log.error('reconcile.failed', { err: error });
        })
        .finally(() => {
          running = null;
        });
    }, config.reconcile.intervalSeconds * 1000);
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('server.stopping', { signal });
    server.drain();
    if (timer) clearInterval(timer);
    // Bounded: drain, then SHUTDOWN_GRACE_MS for in-flight work (a reconcile run stops starting orders at once; an
    // order it is in the middle of is safe to cut off: each grant is one transaction, the next run retries).
    const deadline = setTimeout(() => {
      log.warn('server.grace_expired', {
        graceMs: config.shutdownGraceMs,
        message: 'in-flight work did not finish within SHUTDOWN_GRACE_MS: exiting anyway',
      });
      process.exit(1);
    }, config.shutdownDrainMs + config.shutdownGraceMs);
    deadline.unref();
    shutdown.abort(new Error('server shutting down'));
    await running;
    await server.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
