/**
 * A request id for every request: the caller's `x-request-id` when it is well-formed (so a load balancer's or the
 * mini-app's id follows the request through our logs), else a new UUID. It is echoed in the `x-request-id`
 * response header and is on every log line written while the request is handled (`runWithLogFields`).
 * You probably don't need to edit this file.
 */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { runWithLogFields } from '../log';

/** What we accept from a caller: short, and safe to put in a log line or a header as is. */
export const requestIdPattern = /^[A-Za-z0-9._-]{1,64}$/;

export function requestIdOf(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && requestIdPattern.test(value) ? value : randomUUID();
}

export function requestId() {
  return (req: Request, res: Response, next: NextFunction) => {
    const id = requestIdOf(req.headers['x-request-id']);
    res.locals.requestId = id;
    res.setHeader('x-request-id', id);
    runWithLogFields({ requestId: id }, next);
  };
}
