/**
 * The Azure-compatible REST surface: `/face/{apiVersion}/...` over the active provider, with
 * Azure AI Face v1.2's routes, parameter names, status codes and error bodies, so an Azure
 * client pointed at facegraph keeps working. Handlers are thin (src/api/rest/detect.ts,
 * recognition.ts, collections.ts, liveness.ts); errors are answered in one place, in Azure's envelope.
 *
 * Every response carries `apim-request-id` (facegraph's request id). With FACEGRAPH_API_KEYS set,
 * every route needs `Ocp-Apim-Subscription-Key` (Azure's 401 otherwise); keys are never logged.
 * With FACEGRAPH_RATE_LIMIT_RPS set, every route spends one request of the key's budget (429).
 */
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response, type Router } from 'express';
import type { AppServices } from '../../app/services.js';
import { collectionRoutes } from './collections.js';
import { detect } from './detect.js';
import { resourceNotFound, sendError, unauthorized } from './errors.js';
import { createLivenessSession, createLivenessWithVerifySession, deleteSession, getSession, sessionImage } from './liveness.js';
import { findSimilar, group, identify, verify } from './recognition.js';

/** The API versions served (the path segment). v1.2 GA is the contract implemented here. */
export const SUPPORTED_API_VERSIONS: ReadonlySet<string> = new Set(['v1.2']);

type Handler<T> = (req: Request, res: Response, services: AppServices) => Promise<T>;

export function faceRestRouter(services: AppServices): Router {
  const { apiKeys, requestBudget, logger } = services;
  const router = express.Router();

  router.use(async (req, res, next) => {
    res.setHeader('apim-request-id', String(res.locals.requestId ?? ''));
    if (!apiKeys.allowsRest(req.headers)) return next(unauthorized());
    // The key's request budget, before the body is read: RATE_LIMITED is Azure's 429 + Retry-After.
    const subject = apiKeys.subjectFor('rest', req.headers, req.socket.remoteAddress);
    await requestBudget.charge(subject);
    res.locals.budgetSubject = subject; // the pixel budget's subject (images.ts: budgetSubject)
    next();
  });

  /** A JSON operation: 200 with the handler's value. Express 5 forwards rejections to onError. */
  const json =
    <T>(handler: Handler<T>): RequestHandler =>
    async (req, res) => {
      res.status(200).json(await handler(req, res, services));
    };

  const api = express.Router();
  api.post('/detect', json(detect));
  api.post('/verify', json(verify));
  api.post('/findsimilars', json(findSimilar));
  api.post('/identify', json(identify));
  api.post('/group', json(group));
  // FaceList, LargeFaceList, (Large)PersonGroup, their persons, faces and training; /operations.
  api.use(collectionRoutes(services));

  api.post('/detectLiveness-sessions', json(createLivenessSession));
  for (const kind of ['detectLiveness', 'detectLivenessWithVerify'] as const) {
    api.get(`/${kind}-sessions/:sessionId`, async (req, res) => {
      res.json(await getSession(services, String(req.params.sessionId), kind));
    });
    api.delete(`/${kind}-sessions/:sessionId`, async (req, res) => {
      await deleteSession(services, String(req.params.sessionId), kind);
      res.status(204).end();
    });
  }
  api.post('/detectLivenessWithVerify-sessions', json(createLivenessWithVerifySession));
  api.get('/sessionImages/:sessionImageId', async (req, res) => {
    const id = String(req.params.sessionImageId);
    const image = await sessionImage(services, id);
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Disposition', `attachment; filename=${id}.jpg`);
    res.setHeader('Cache-Control', 'private, no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.end(image.bytes);
  });

  router.use(
    '/:apiVersion',
    (req, _res, next) => (SUPPORTED_API_VERSIONS.has(String(req.params.apiVersion)) ? next() : next(resourceNotFound())),
    api,
  );
  // Unknown route, unknown method on a known route, or an unsupported version: Azure's 404.
  router.use((_req, _res, next) => next(resourceNotFound()));

  const onError: ErrorRequestHandler = (err: unknown, req, res, _next) => sendError(res, err, logger, req.path);
  router.use(onError);
  return router;
}
