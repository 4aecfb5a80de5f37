/**
 * The fulfillment server for the bench, in its own process: the real `createServer(loadConfig())`, with the
 * partner API answered in-process (fake-partner.ts, through the server's public `tossTransport` seam) so the
 * measurement is the server's own overhead. BENCH_PARTNER=https keeps the real mTLS client instead (a stand-in
 * for apps/server/src/main.ts when that entry is unavailable). SIGTERM closes gracefully; the bench may SIGKILL.
 */
import { loadConfig } from '../../apps/server/src/config';
import { createServer } from '../../apps/server/src/server';
import { createFakePartnerTransport } from './fake-partner';

const config = loadConfig(process.env);
const server = await createServer(
  config,
  process.env.BENCH_PARTNER === 'https' ? {} : { tossTransport: createFakePartnerTransport() },
);
const { url } = await server.listen(config.port, config.host);
console.log(JSON.stringify({ event: 'bench.server_listening', url }));
const stop = () => {
  void server.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
