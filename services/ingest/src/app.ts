import type { RequestListener } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { HttpError, type Logger } from '@callpipe/runtime';
import { createPushHandler, errorBody, JSON_UTF8, type PushHandlerDeps } from './push-handler.ts';

/** Users may point statusUrl and feeUrl at the same URL; all three accept both kinds. */
export const PUSH_ROUTES = ['/voicecall/events', '/voicecall/status', '/voicecall/fee'];

/** With a path secret, the routes live under `/<secret>/…` and the bare ones answer 404. */
export function pushRoutes(pathSecret: string): string[] {
  return pathSecret ? PUSH_ROUTES.map((route) => `/${pathSecret}${route}`) : PUSH_ROUTES;
}

/**
 * The request listener. POSTs to a push route go straight to the push handler — it reads raw
 * bytes and writes its own answers, so Express would only add per-request cost on the hot path —
 * and everything else (wrong method, unknown path, errors) goes through Express.
 */
export function createIngestListener(deps: PushHandlerDeps & { logger: Logger; pathSecret?: string }): RequestListener {
  const app = createFallbackApp(deps);
  const handler = createPushHandler(deps);
  const routes = new Set(pushRoutes(deps.pathSecret ?? ''));
  return (request, response) => {
    const path = (request.url ?? '').split('?', 1)[0] ?? '';
    if (request.method === 'POST' && routes.has(path)) {
      handler(request, response).catch((error: unknown) => {
        deps.logger.error('unhandled ingest error', { error });
        if (!response.headersSent) {
          response.statusCode = 500;
          response.setHeader('Content-Type', JSON_UTF8);
          response.end(errorBody({ code: 'internal_error', message: 'internal error' }));
        }
      });
      return;
    }
    app(request, response);
  };
}

/** Everything that is not a push POST: wrong methods, unknown paths, and the error rendering. */
function createFallbackApp(deps: { logger: Logger; pathSecret?: string }): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  const routes = pushRoutes(deps.pathSecret ?? '');
  app.all(routes, (request, _response, next) => {
    next(new HttpError(405, 'method_not_allowed', `${request.method} is not allowed here; the platform pushes with POST`));
  });
  app.use((request, _response, next) => {
    // The path is not echoed: with a path secret, it may be a guess at the secret.
    next(new HttpError(404, 'not_found', `no route for ${request.method} here`));
  });
  app.use((error: unknown, _request: Request, response: Response, _next: NextFunction) => {
    const known = error instanceof HttpError ? error : null;
    if (!known) deps.logger.error('unhandled ingest error', { error });
    if (known?.status === 405) response.set('Allow', 'POST');
    response.statusCode = known?.status ?? 500;
    response.setHeader('Content-Type', JSON_UTF8);
    response.end(errorBody(known ?? { code: 'internal_error', message: 'internal error' }));
  });
  return app;
}
