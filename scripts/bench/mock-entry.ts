/**
 * toss-mock for the bench, in its own process: `startTossMock` on free ports with a throwaway cert dir
 * (BENCH_CERT_DIR) and no request log (the CLI logs every request, which would cost the mock CPU under load).
 * Prints one JSON line `{"event":"mock.ready", partnerUrl, controlUrl, certs}` when it listens.
 */
import { startTossMock } from '../../packages/toss-mock/src/index';

const certDir = process.env.BENCH_CERT_DIR;
if (!certDir) {
  console.error('mock-entry: BENCH_CERT_DIR is required');
  process.exit(1);
}
const mock = await startTossMock({ port: 0, controlPort: 0, certDir });
console.log(
  JSON.stringify({
    event: 'mock.ready',
    partnerUrl: mock.partnerUrl,
    controlUrl: mock.controlUrl,
    certs: mock.certs,
  }),
);
const stop = () => {
  void mock.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
