/**
 * The Toss partner API as the mock serves it: HTTPS that REQUIRES a client certificate signed by the dev CA (a
 * handshake without one fails), the real `{ resultType, success | error }` envelopes, user-key scoping, and the
 * faults the control API switches on (latency, 5xx, timeouts, malformed bodies).
 * FAIL envelopes come with a 4xx status (400 bad input, 401 bad code/token, 404 unknown path, 405 wrong method).
 * This file is the TLS server and the faults; the endpoints are in `partner-api/endpoints.ts`.
 * You probably don't need to edit these files unless Toss adds an endpoint your server calls.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { partnerErrorCodes } from '@ait-iap/iap-contract';
import type { DevCerts } from './certs';
import { readJsonBody, sendJson } from './http';
import type { Fault, MockState } from './ledger';
import { createEndpoints, type Endpoint, failure, type Reply } from './partner-api/endpoints';

export interface PartnerApiDeps {
  state: MockState;
  certs: DevCerts;
  random?: () => number;
  log?: (line: string) => void;
}

/** The endpoint's reply: 404 unknown path, 405 wrong method, 400 unreadable body. */
async function route(
  endpoints: Record<string, Endpoint>,
  req: IncomingMessage,
  path: string,
): Promise<Reply> {
  const method = req.method ?? 'GET';
  const endpoint = endpoints[path];
  if (!endpoint) {
    req.resume();
    return failure(404, 'NOT_FOUND', `no endpoint ${path}`);
  }
  if (endpoint.method !== method) {
    req.resume();
    return failure(405, 'METHOD_NOT_ALLOWED', `${path} expects ${endpoint.method}`);
  }
  let body: unknown = {};
  if (method !== 'GET') {
    const read = await readJsonBody(req);
    if (!read.ok) return failure(400, partnerErrorCodes.invalidRequest, read.message);
    body = read.value;
  } else {
    req.resume();
  }
  return endpoint.run(req, body);
}

/** Half of the reply's JSON with a 200: what a client sees when a body is cut off. */
function sendMalformed(res: ServerResponse, reply: Reply): void {
  const text = JSON.stringify(reply.body);
  const broken = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  res.end(broken);
}

export function createPartnerServer(deps: PartnerApiDeps): Server {
  const { state, certs } = deps;
  const random = deps.random ?? Math.random;
  const log = deps.log ?? (() => {});
  const endpoints = createEndpoints(state, log);
  const timers = new Set<NodeJS.Timeout>();
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  /** The faults that hit this path apply first: latency adds up; then a timeout, a 5xx or a malformed body. */
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'https://localhost').pathname;
    const hits = state.faultsFor(path, random);
    const latency = hits.filter((f) => f.kind === 'latency').reduce((sum, f) => sum + f.ms, 0);
    if (latency > 0) await wait(latency);
    const blocking: Fault | undefined = hits.find((f) => f.kind !== 'latency');
    if (blocking?.kind === 'timeout') {
      log(`partner: ${req.method} ${path} → held open (timeout fault)`);
      req.resume();
      return; // never answered; the socket is destroyed when the mock closes
    }
    if (blocking?.kind === 'error5xx') {
      req.resume();
      log(`partner: ${req.method} ${path} → 503 (fault)`);
      sendJson(res, 503, failure(503, 'INTERNAL_SERVER_ERROR', '일시적인 오류가 발생했어요').body);
      return;
    }
    const reply = await route(endpoints, req, path);
    log(`partner: ${req.method} ${path} → ${reply.status}`);
    if (blocking?.kind === 'malformed') sendMalformed(res, reply);
    else sendJson(res, reply.status, reply.body);
  }

  const tls = {
    key: certs.serverKey,
    cert: certs.serverCert,
    ca: certs.caCert,
    requestCert: true,
    rejectUnauthorized: true,
  };
  const server = createServer(tls, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`partner: internal error ${(error as Error).message}`);
      sendJson(res, 500, failure(500, 'INTERNAL_SERVER_ERROR', 'toss-mock internal error').body);
    });
  });
  server.on('close', () => {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  });
  server.on('tlsClientError', (error) => log(`partner: TLS handshake refused (${error.message})`));
  return server;
}
