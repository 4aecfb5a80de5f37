/**
 * The control API (plain HTTP on loopback, JSON, under /__mock/*): tests, the seed script, the dev panel and the
 * browser host drive the shared ledger through it. Bad input → 400 `{ error: { code, message } }`; unknown route →
 * 404; nothing here may crash the process.
 * Who may call it: only loopback pages (an `Origin` of http(s)://localhost|127.0.0.1|[::1] with any port) or callers
 * that send no `Origin` (Node, curl) — else 403; and every POST/DELETE must be `Content-Type: application/json` — else
 * 415. So a web page open in the developer's browser can neither call it cross-origin nor slip a "simple" text/plain
 * POST past CORS to refund orders or reset the mock. CORS answers (and preflights) loopback origins only.
 * This file is the gate (hosts, origins, content types, CORS) and the icons; the routes are in
 * `control-api/routes.ts` and `control-api/host-routes.ts`, their input schemas in `control-api/schemas.ts`.
 * Add a route there when you add a scenario; keep the README's table in step.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:http';
import { createRouter } from './control-api/routes';
import { decodeSegment, HttpError } from './control-api/schemas';
import { readJsonBody, sendJson } from './http';
import type { MockState } from './ledger';

export interface ControlApiDeps {
  state: MockState;
  /** Re-read the catalog file (`POST /__mock/catalog`). */
  reloadCatalog: () => Promise<{ products: number }>;
  /** The image file of a product's icon (`GET /__mock/icons/<sku>.png`), or null. */
  iconFile?: (sku: string) => string | null;
  log?: (line: string) => void;
}

/** Loopback page origins (any port): the mini-app in dev, the panel, test pages. */
export const loopbackOrigin = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;
export const loopbackHost = /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i;

/** `application/json`, with or without parameters (`; charset=utf-8`). */
function isJson(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === 'application/json';
}

/** CORS headers for a loopback page's request (none for any other caller). */
function cors(req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  if (typeof origin !== 'string' || !loopbackOrigin.test(origin)) return {};
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
    'access-control-allow-headers': 'content-type',
    'access-control-max-age': '600',
    vary: 'Origin',
  };
}

/** The gate: a foreign host (DNS rebinding), a foreign page's origin, or a non-JSON write is refused. */
function refuseForeign(req: IncomingMessage, method: string): void {
  const origin = req.headers.origin;
  // DNS rebinding: a page on evil.example resolved to 127.0.0.1 is same-origin to itself and sends no Origin on a
  // GET, but its Host header still names its own domain.
  const host = req.headers.host ?? '';
  if (!loopbackHost.test(host)) {
    req.resume();
    throw new HttpError(
      403,
      'FORBIDDEN_HOST',
      `the control API answers only loopback hosts, not ${host || 'none'}`,
    );
  }
  if (origin !== undefined && !loopbackOrigin.test(origin)) {
    req.resume();
    throw new HttpError(
      403,
      'FORBIDDEN_ORIGIN',
      `the control API answers only loopback pages (http(s)://localhost, 127.0.0.1 or [::1]), not ${origin}`,
    );
  }
  if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS' && !isJson(req.headers['content-type'])) {
    req.resume();
    throw new HttpError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `${method} needs Content-Type: application/json (got ${req.headers['content-type'] ?? 'none'})`,
    );
  }
}

/** A product's icon: the catalog's own PNG, so a client shows real images without leaving the machine. */
async function sendIcon(
  res: ServerResponse,
  file: string,
  iconFile: ControlApiDeps['iconFile'],
): Promise<void> {
  const sku = /^(.+)\.png$/i.exec(file)?.[1];
  const path = sku ? iconFile?.(sku) : null;
  if (!path) throw new HttpError(404, 'NOT_FOUND', `no icon ${file}`);
  let png: Buffer;
  try {
    png = await readFile(path);
  } catch {
    throw new HttpError(404, 'NOT_FOUND', `the catalog image for ${sku} is missing`);
  }
  res.writeHead(200, {
    'content-type': 'image/png',
    'content-length': png.length,
    'cache-control': 'no-cache',
    // An <img> on the mini-app's page (another loopback port) may show it.
    'cross-origin-resource-policy': 'cross-origin',
  });
  res.end(png);
}

/** The request's JSON body (POST), or `{}` with the body drained (every other method). */
async function bodyOf(req: IncomingMessage, method: string): Promise<unknown> {
  if (method !== 'POST') {
    req.resume();
    return {};
  }
  const read = await readJsonBody(req);
  if (!read.ok) throw new HttpError(400, 'INVALID_JSON', read.message);
  return read.value;
}

export function createControlServer(deps: ControlApiDeps): Server {
  const log = deps.log ?? (() => {});
  const route = createRouter(deps);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname.replace(/\/+$/, '') || '/';
    refuseForeign(req, method);
    if (method === 'OPTIONS') {
      req.resume();
      res.writeHead(204, { ...cors(req), 'access-control-allow-private-network': 'true' });
      res.end();
      return;
    }
    if (method === 'GET' && path.startsWith('/__mock/icons/')) {
      req.resume();
      await sendIcon(res, decodeSegment(path.slice('/__mock/icons/'.length)), deps.iconFile);
      return;
    }
    const result = await route(method, path, await bodyOf(req, method));
    if (method !== 'GET' && !path.startsWith('/__mock/host/')) log(`control: ${method} ${path}`);
    sendJson(res, 200, result, cors(req));
  }

  return createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) {
        sendJson(res, error.status, { error: { code: error.code, message: error.message } }, cors(req));
        return;
      }
      log(`control: internal error ${(error as Error).stack ?? error}`);
      sendJson(res, 500, { error: { code: 'INTERNAL', message: (error as Error).message } }, cors(req));
    });
  });
}
