/**
 * The fulfillment server for the bench, in its own process: the real `createServer(loadConfig())`, with the
 * partner API answered in-process (fake-partner.ts, through the server's public `tossTransport` seam) so the
 * measurement is the server's own overhead. BENCH_PARTNER=https keeps the real mTLS client instead (a stand-in
 * for apps/server/src/main.ts when that entry is unavailable). SIGTERM closes gracefully; the bench may SIGKILL.
 * BENCH_CPU_PROFILE=<file>: SIGUSR2 starts the V8 CPU profiler, the next SIGUSR2 writes the profile to <file>
 * (so the bench profiles the steady state only, not startup), and `<file>.sqlite.json` with the time spent in SQLite
 * COMMITs and other statements over the same window (profile-hooks.ts routes JSON and SQLite through named frames).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { loadConfig } from '../../apps/server/src/config';
import { createServer } from '../../apps/server/src/server';
import { createFakePartnerTransport } from './fake-partner';

const profilePath = process.env.BENCH_CPU_PROFILE;
const profileHooks = profilePath ? (await import('./profile-hooks')).installProfileHooks() : null;

const config = loadConfig(process.env);
const server = await createServer(
  config,
  process.env.BENCH_PARTNER === 'https' ? {} : { tossTransport: createFakePartnerTransport() },
);
const { url } = await server.listen(config.port, config.host);
console.log(JSON.stringify({ event: 'bench.server_listening', url }));

if (profilePath && profileHooks) {
  const session = new Session();
  session.connect();
  let profiling = false;
  process.on('SIGUSR2', () => {
    if (!profiling) {
      profiling = true;
      session.post('Profiler.enable', () => session.post('Profiler.start', () => profileHooks.start()));
      return;
    }
    profiling = false;
    const sqlite = profileHooks.stop();
    session.post('Profiler.stop', (error, result) => {
      if (!error) {
        writeFileSync(profilePath, JSON.stringify(result.profile));
        writeFileSync(`${profilePath}.sqlite.json`, JSON.stringify(sqlite));
      }
      console.log(JSON.stringify({ event: 'bench.profile_written', ok: !error }));
    });
  });
}

const stop = () => {
  void server.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
