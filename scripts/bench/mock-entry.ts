/**
 * toss-mock for the bench, in its own process: free ports, a throwaway cert dir (BENCH_CERT_DIR), no request log
 * (the CLI logs every request, which would cost the mock CPU under load). Prints `{"event":"mock.ready", …}`.
 */
import { startTossMock } from '../../packages/toss-mock/src/index';

const mock = await startTossMock({ port: 0, controlPort: 0, certDir: process.env.BENCH_CERT_DIR ?? '' });
const { partnerUrl, controlUrl, certs } = mock;
console.log(JSON.stringify({ event: 'mock.ready', partnerUrl, controlUrl, certs }));
const stop = () => void mock.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
