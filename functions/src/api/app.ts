/**
 * The HTTPS API as an express app, separate from the Cloud Function that serves it (`function.ts`)
 * so tests drive it in-process with supertest.
 *
 * Order of middleware: request id and logging first (so every line, even of a rejected request,
 * carries the id), the body size limit (before anything else is done for a request), then per
 * route: authentication, JSON body (POST only, parsed by the app itself after authentication, see
 * body.ts), the handler; unmatched requests get 404; the error handler writes every failure in
 * the one error shape.
 */

import express, { type NextFunction, type Request, type Response } from 'express';
import { authLookup, type LookupUser } from '../access/caller.js';
import { mountDashboardPage } from '../dashboard/page.js';
import { auth } from '../firebase.js';
import { sendIdKey } from '../secrets.js';
import { authenticate, type VerifyIdToken } from './auth.js';
import { jsonBody, limitBody } from './body.js';
import { context, type RequestContext } from './context.js';
import { errorHandler, noRoute } from './errors.js';
import { cloudLogSink, type LogSink, loggedIds, requestIdOf, requestLogger } from './log.js';
import { openApiDocument } from './openapi.js';
import { API_BASE, ROUTES } from './routes.js';

export interface AppOptions {
  /** Defaults to firebase-admin's `verifyIdToken` of the default app. */
  verifyIdToken?: VerifyIdToken;
  /** Confirms operators; defaults to firebase-admin's `getUser` of the default app. */
  lookupUser?: LookupUser;
  /** Defaults to Cloud Logging (the firebase-functions logger). */
  logSink?: LogSink;
}

export function createApp(options: AppOptions = {}): express.Express {
  const sink = options.logSink ?? cloudLogSink;
  const verifyIdToken = options.verifyIdToken ?? ((token: string) => auth().verifyIdToken(token));
  const lookupUser = options.lookupUser ?? authLookup((uid) => auth().getUser(uid));
  const app = express();
  app.disable('x-powered-by');
  // Lists change between requests; conditional GETs would only add 304s nobody asked for.
  app.set('etag', false);

  app.use(requestContext(sink));
  app.use(limitBody);
  app.use(functionPrefix);
  app.get(`${API_BASE}/openapi.json`, (_req, res) => {
    res.json(openApiDocument());
  });
  mountDashboardPage(app, API_BASE, { noteRoute });

  const authenticated = authenticate(verifyIdToken, lookupUser);
  for (const route of ROUTES) {
    const body = route.jsonBody ? jsonBody() : [];
    app[route.method](
      route.path,
      noteRoute(route.path),
      authenticated,
      ...body,
      async (req: Request, res: Response) => {
        const reply = await route.handle(req, res);
        if (reply.status === 'sent') return;
        if (reply.headers) res.set(reply.headers);
        res.status(reply.status).json(reply.body);
      },
    );
  }
  app.use(noRoute);
  app.use(errorHandler);
  return app;
}

function requestContext(sink: LogSink) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const requestId = requestIdOf((name) => req.get(name));
    const log = requestLogger(sink, requestId);
    Object.assign(res.locals, { requestId, log } satisfies RequestContext);
    res.set('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      log.info('request', {
        method: req.method,
        // The matched route's template, never the path itself (it carries JIDs); null: no route.
        route: context(res).route ?? null,
        ids: context(res).ids ?? {},
        status: res.statusCode,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
        uid: context(res).caller?.uid,
      });
    });
    next();
  };
}

/** Remembers which route matched, and its ids hashed, for the request's log line. */
function noteRoute(template: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    Object.assign(context(res), { route: template, ids: loggedIds(req.params, req.query, sendIdKey) });
    next();
  };
}

/**
 * Cloud Functions strip the function's name from the path: a request to
 * `…cloudfunctions.net/api/whatsapp/accounts` arrives as `/whatsapp/accounts`, while a Hosting
 * rewrite or the Cloud Run URL keeps `/api/whatsapp/accounts`. Both reach the same routes.
 */
function functionPrefix(req: Request, _res: Response, next: NextFunction): void {
  if (req.url === '/whatsapp' || req.url.startsWith('/whatsapp/') || req.url.startsWith('/whatsapp?')) {
    req.url = `/api${req.url}`;
  }
  next();
}
