/**
 * The liveness HTTP routes.
 *
 * Client API, authenticated only by the session's bearer token (no API key; same origin as the
 * capture page, so no CORS):
 *   GET  /liveness/api/session    the session and a fresh single-use challenge
 *   POST /liveness/api/attempts   multipart upload of one attempt's frames
 * Errors answer `{ error: { code, message } }` with the code's HTTP status (src/face/errors.ts).
 *
 * Server-side callers:
 *   GET  /liveness/session-images/:sessionImageId   the stored best frame (JPEG)
 */
import { HTTP_STATUS } from '../shared/http-status.js';
import express, { type Request, type Response, type Router } from 'express';
import { FaceError } from '../../domain/errors.js';
import type { AppServices } from '../../app/services.js';
import { checkDeclaredLength, readAttemptUpload, validateAttemptUpload } from '../../app/liveness/upload.js';
import { drainBody, MAX_DRAIN_BYTES, SESSION_IMAGE_ID } from '../shared/request-body.js';
import { noteAnsweredError } from '../shared/observe.js';

export function livenessRouter(services: AppServices): Router {
  const { liveness, logger } = services;
  const router = express.Router();
  // On an upstream provider the device talks to the upstream's own liveness client endpoint
  // with the token the upstream issued: facegraph holds no such session to serve.
  const clientApi = services.config.provider === 'embedded';

  const sendError = (req: Request, res: Response, err: unknown): void => {
    if (res.headersSent) return;
    if (err instanceof FaceError) {
      if (err.code === 'TOKEN_INVALID' || err.code === 'TOKEN_EXPIRED') {
        res.setHeader('WWW-Authenticate', `Bearer error="invalid_token", error_description="${err.code}"`);
      }
      const retryAfter = err.details.retryAfterSeconds;
      if (typeof retryAfter === 'number') res.setHeader('Retry-After', String(Math.max(1, Math.ceil(retryAfter))));
      noteAnsweredError(res, err.code);
      res.status(HTTP_STATUS[err.kind]).json({ error: { code: err.code, message: err.message } });
      return;
    }
    logger.error({ err, requestId: res.locals.requestId, path: req.path }, 'liveness route failed');
    noteAnsweredError(res, 'INTERNAL_SERVER_ERROR');
    res.status(500).json({ error: { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' } });
  };

  router.use('/api', (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  if (!clientApi) {
    router.all('/api/{*rest}', (_req, res) => {
      noteAnsweredError(res, 'NOT_FOUND');
      res.status(404).json({
        error: {
          code: 'NOT_FOUND',
          message:
            "This facegraph runs on an upstream provider (FACE_PROVIDER=azure): the device uses the upstream's liveness client endpoint with the session token.",
        },
      });
    });
  }

  router.get('/api/session', async (req, res) => {
    try {
      const session = await liveness.authenticate(req.get('authorization'));
      res.json(await liveness.clientSession(session));
    } catch (err) {
      sendError(req, res, err);
    }
  });

  router.post('/api/attempts', async (req, res) => {
    let release: (() => void) | null = null;
    try {
      let session;
      try {
        session = await liveness.authenticate(req.get('authorization'));
        release = await liveness.beginUpload(session);
        checkDeclaredLength(req.headers);
      } catch (err) {
        // Refused before the body was read. Drop a body of reasonable size so the client sees
        // the answer; one declared too big to be worth reading gets the answer and a closed connection.
        if (Number(req.headers['content-length']) > MAX_DRAIN_BYTES) res.setHeader('Connection', 'close');
        else await drainBody(req);
        throw err;
      }
      const upload = await validateAttemptUpload(await readAttemptUpload(req, req.headers));
      const answer = await liveness.submitAttempt(session, upload, {
        clientIp: req.ip ?? req.socket.remoteAddress ?? '',
        requestId: typeof res.locals.requestId === 'string' ? res.locals.requestId : null,
      });
      res.json(answer);
    } catch (err) {
      sendError(req, res, err);
    } finally {
      release?.();
    }
  });

  router.all('/api/{*rest}', (_req, res) => {
    noteAnsweredError(res, 'NOT_FOUND');
    res.status(404).json({
      error: { code: 'NOT_FOUND', message: 'No such liveness API route: GET /liveness/api/session, POST /liveness/api/attempts.' },
    });
  });

  router.get('/session-images/:sessionImageId', async (req, res) => {
    // Server-side route: with FACEGRAPH_API_KEYS set it needs a key, like GraphQL.
    if (!services.apiKeys.allowsGraphQL(req.headers)) {
      noteAnsweredError(res, 'UNAUTHENTICATED');
      res
        .status(401)
        .setHeader('WWW-Authenticate', 'Bearer')
        .json({
          error: {
            code: 'UNAUTHENTICATED',
            message: 'An API key is required: send Ocp-Apim-Subscription-Key or Authorization: Bearer <key>.',
          },
        });
      return;
    }
    const id = req.params.sessionImageId;
    let image: { bytes: Buffer; contentType: string } | null;
    try {
      await services.requestBudget.charge(services.apiKeys.subjectFor('graphql', req.headers, req.socket.remoteAddress));
      // The embedded engine's stored frame, or the upstream's (Azure GET /sessionImages/{id}).
      image = SESSION_IMAGE_ID.test(id) ? await services.livenessSessions.sessionImage(id) : null;
    } catch (err) {
      sendError(req, res, err);
      return;
    }
    if (!image) {
      noteAnsweredError(res, 'SESSION_IMAGE_NOT_FOUND');
      res.status(404).json({
        error: {
          code: 'SESSION_IMAGE_NOT_FOUND',
          message: 'No session image has this id (its session may have been deleted or purged).',
        },
      });
      return;
    }
    res.setHeader('Content-Type', image.contentType);
    res.setHeader('Content-Disposition', `attachment; filename="${id}.jpg"`);
    res.setHeader('Cache-Control', 'private, no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.end(image.bytes);
  });

  return router;
}
