/**
 * The HTTP server: Express 5 with Apollo Server 5 at /graphql, health and readiness probes,
 * request logging, and draining on shutdown.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { context as otelContext, SpanStatusCode, trace } from '@opentelemetry/api';
import type { AppServices } from '../app/services.js';
import type { Metrics, Surface } from '../platform/metrics.js';
import { runInRequest } from '../platform/request-context.js';
import { SpanKind, tracer, type Span } from '../platform/tracing.js';
import { createContext, type GraphQLContext } from './graphql/context.js';
import { makeFormatError } from './graphql/errors.js';
import { metricsPlugin } from './graphql/metrics-plugin.js';
import { multipartRequests } from './graphql/multipart.js';
import { buildSchema } from './graphql/schema.js';
import { attachGraphQLWebSocket } from './graphql/websocket.js';
import { SANDBOX_DOCUMENT, SANDBOX_VARIABLES } from './sandbox-example.js';
import { faceRestRouter } from './rest/router.js';
import { livenessRouter } from './liveness-client/routes.js';
import { answeredError, noteAnsweredError } from './shared/observe.js';
import { HTTP_STATUS } from './shared/http-status.js';
import { FaceError } from '../domain/errors.js';

export interface RunningServer {
  url: string;
  port: number;
  httpServer: http.Server;
  /** Stops accepting connections, lets in-flight requests finish, then stops Apollo. */
  stop(): Promise<void>;
}

const PUBLIC_LIVENESS = fileURLToPath(new URL('../../public/liveness/', import.meta.url));
const PUBLIC_DEMO = fileURLToPath(new URL('../../public/demo/', import.meta.url));

/** A 6 MB image is 8 MB in base64; leave room for the rest of the JSON document. */
const JSON_BODY_LIMIT = '9mb';

/**
 * The surface and route template of a finished request, for metric labels and span names: never
 * the raw path (ids in it would make label values unbounded).
 */
function routeOf(req: Request): { surface: Surface; route: string } {
  const path = req.originalUrl.split('?', 1)[0] ?? '';
  const template = (prefix: string): string => {
    const matched: unknown = (req.route as { path?: unknown } | undefined)?.path;
    if (typeof matched === 'string') return `${prefix}${matched}`;
    if (Array.isArray(matched)) return `${prefix}${matched.join('|')}`;
    return 'unmatched';
  };
  if (path === '/graphql' || path.startsWith('/graphql/')) return { surface: 'graphql', route: '/graphql' };
  if (path.startsWith('/face/')) return { surface: 'rest', route: template('/face/:apiVersion') };
  if (path.startsWith('/liveness/api/') || path.startsWith('/liveness/session-images/')) {
    return { surface: 'liveness', route: template('/liveness') };
  }
  if (path === '/liveness' || path.startsWith('/liveness/')) return { surface: 'static', route: '/liveness/' };
  if (path === '/demo' || path.startsWith('/demo/')) return { surface: 'static', route: '/demo/' };
  if (path === '/healthz' || path === '/readyz') return { surface: 'probe', route: path };
  if (path === '/metrics') return { surface: 'metrics', route: path };
  return { surface: 'other', route: 'unmatched' };
}

/**
 * Every request: its id (the client's x-request-id, up to 128 characters, or a new UUID) in the
 * response and in every log line written while serving it, an OpenTelemetry server span, the
 * request log line, and the HTTP metrics (count, latency, answered error codes).
 */
function observeRequests(services: AppServices): RequestHandler {
  const { logger, metrics } = services;
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const requestId = (req.headers['x-request-id'] as string | undefined)?.slice(0, 128) || randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('x-request-id', requestId);
    const span = tracer.startSpan(req.method, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': req.method, 'url.path': req.path, 'facegraph.request_id': requestId },
    });
    res.locals.span = span;
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const { surface, route } = routeOf(req);
      const status = String(res.statusCode);
      metrics.httpRequests.inc({ surface, method: req.method, route, status });
      metrics.httpDuration.observe({ surface, method: req.method, route }, seconds);
      const error = answeredError(res);
      if (error) metrics.errors.inc({ surface, kind: 'error', code: error.code, inner_code: error.innerCode });
      // GraphQL names its span after the operation (graphql/metrics-plugin.ts).
      if (surface !== 'graphql') span.updateName(`${req.method} ${route}`);
      span.setAttributes({ 'http.route': route, 'http.response.status_code': res.statusCode });
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      runInRequest({ requestId }, () =>
        logger.info({ method: req.method, path: req.path, route, status: res.statusCode, ms: seconds * 1000 }, 'request'),
      );
    });
    enterRequest(req, res, next);
  };
}

/**
 * Runs the rest of the chain inside the request's log context and span. Called first, and again
 * after a body parser: its stream callbacks do not carry AsyncLocalStorage contexts along.
 */
function enterRequest(_req: Request, res: Response, next: () => void): void {
  const span = res.locals.span as Span | undefined;
  const run = (): void => runInRequest({ requestId: String(res.locals.requestId) }, next);
  if (span) otelContext.with(trace.setSpan(otelContext.active(), span), run);
  else run();
}

/** GET /metrics: the Prometheus text format; with FACEGRAPH_API_KEYS set, it needs a key like GraphQL. */
function metricsRoute(services: AppServices, metrics: Metrics): RequestHandler {
  return async (req, res) => {
    if (!services.apiKeys.allowsGraphQL(req.headers)) {
      noteAnsweredError(res, 'UNAUTHENTICATED');
      res
        .status(401)
        .setHeader('WWW-Authenticate', 'Bearer')
        .type('text/plain')
        .send('An API key is required: send Authorization: Bearer <key> or Ocp-Apim-Subscription-Key.\n');
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.type(metrics.contentType).send(await metrics.render());
  };
}

/** RATE_LIMITED on /graphql: HTTP 429 with Retry-After and the coded error (nothing ran). */
function rateLimited(res: Response, err: FaceError): void {
  noteAnsweredError(res, err.code);
  const retryAfterSeconds = Number(err.details.retryAfterSeconds ?? 1);
  res
    .status(HTTP_STATUS[err.kind])
    .setHeader('Retry-After', String(retryAfterSeconds))
    .json({ errors: [{ message: err.message, extensions: { code: err.code, ...err.details } }] });
}

export async function startServer(services: AppServices): Promise<RunningServer> {
  const { config, logger } = services;
  const app = express();
  app.disable('x-powered-by');
  // Bodies are read whole before any engine work is queued (express.json, the REST body readers),
  // so a client trickling its upload holds a connection, never an engine worker. These cut such
  // a client off: headers within headersTimeout, the whole request within requestTimeout
  // (checked every 2 s instead of node's 30 s, so the limits hold roughly as configured).
  const httpServer = http.createServer(
    {
      requestTimeout: config.http.requestTimeoutMs,
      headersTimeout: config.http.headersTimeoutMs,
      connectionsCheckingInterval: 2000,
      // Node closes an idle keep-alive socket after 5 s; a client reusing it at that moment gets
      // "socket hang up" (seen once in CI with Microsoft's client). Load balancers and clients keep
      // idle sockets ~60 s, so the server keeps them longer than that.
      keepAliveTimeout: 65_000,
    },
    app,
  );
  let stopping = false;

  const armor = new ApolloArmor({
    maxDepth: { n: config.limits.maxDepth },
    maxAliases: { n: config.limits.maxAliases },
    maxTokens: { n: config.limits.maxTokens },
    maxDirectives: { n: 50 },
    costLimit: { maxCost: 50_000 },
    blockFieldSuggestion: { enabled: config.production },
  });
  const protection = armor.protect();
  // One schema for HTTP and the WebSocket (subscriptions), built on the project's one graphql module.
  const schema = buildSchema();
  const formatError = makeFormatError(logger);

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    ...protection,
    csrfPrevention: true,
    // main.ts owns SIGTERM/SIGINT: it stops the HTTP server, the liveness timer, the workers
    // and the database in order, then exits. Apollo's own handler would stop Apollo first and
    // re-raise the signal, which main.ts (already stopping) ignores.
    stopOnTerminationSignals: false,
    logger,
    introspection: true,
    formatError,
    // The plugin subpaths resolve to Apollo's CJS typings under NodeNext; same runtime objects.
    plugins: [
      metricsPlugin(services.metrics),
      ...protection.plugins,
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // No field has a cache hint: every answer is for one caller (their faceIds, their
      // collections). Apollo's default cache-control plugin would still hook every resolved field.
      ApolloServerPluginCacheControlDisabled(),
      // In development, Sandbox opens with a ready detect query and verify mutation (sandbox-example.ts).
      config.production
        ? ApolloServerPluginLandingPageProductionDefault({ footer: false })
        : ApolloServerPluginLandingPageLocalDefault({
            embed: true,
            footer: false,
            document: SANDBOX_DOCUMENT,
            variables: SANDBOX_VARIABLES,
          }),
    ] as unknown as ApolloServerPlugin<GraphQLContext>[],
  });
  await apollo.start();

  // Subscriptions: graphql-ws on the upgrade requests to /graphql (same key check, limits and errors).
  const websocket = attachGraphQLWebSocket({
    httpServer,
    schema,
    services,
    validationRules: protection.validationRules,
    formatError,
  });

  app.use(observeRequests(services));
  app.use((req, _res, next) => {
    logger.debug({ method: req.method, path: req.path }, 'request started');
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    const ready = !stopping && services.provider.isReady();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : stopping ? 'stopping' : 'starting' });
  });
  if (config.metrics) app.get('/metrics', metricsRoute(services, services.metrics));

  // The liveness client API and session images; then the capture page (plain HTML/JS/CSS, no
  // external assets; token in the URL fragment).
  app.use('/liveness', livenessRouter(services));
  app.use(
    '/liveness',
    (_req, res, next) => {
      // The page holds a session token: it must not be framed by another site (a <meta> CSP
      // cannot say frame-ancestors), and never cached by shared caches.
      res.setHeader('Content-Security-Policy', "frame-ancestors 'none'");
      res.setHeader('X-Frame-Options', 'DENY');
      res.setHeader('Referrer-Policy', 'no-referrer');
      next();
    },
    express.static(PUBLIC_LIVENESS, { index: 'index.html', fallthrough: true }),
  );

  // The demo page (FACEGRAPH_DEMO): plain HTML/JS/CSS that calls the public GraphQL API only.
  if (config.demo) app.use('/demo', express.static(PUBLIC_DEMO, { index: 'index.html', fallthrough: true }));

  // Azure AI Face's REST contract over the active provider (Ocp-Apim-Subscription-Key auth).
  app.use('/face', faceRestRouter(services));

  app.use(
    '/graphql',
    (req, res, next) => {
      // The Sandbox landing page (a browser's GET for HTML, with neither a query nor a
      // persisted-query hash) stays open; every operation needs a key — GET ones included.
      const landingPage =
        req.method === 'GET' &&
        req.query.query === undefined &&
        req.query.extensions === undefined &&
        (req.headers.accept ?? '').includes('text/html');
      if (landingPage) return next();
      if (services.apiKeys.allowsGraphQL(req.headers)) {
        // One request of the key's budget per HTTP request (a batch or many aliases are one).
        const subject = services.apiKeys.subjectFor('graphql', req.headers, req.socket.remoteAddress);
        services.requestBudget.charge(subject).then(
          () => {
            res.locals.budgetSubject = subject;
            next();
          },
          (err: unknown) => (err instanceof FaceError ? rateLimited(res, err) : next(err)),
        );
        return;
      }
      noteAnsweredError(res, 'UNAUTHENTICATED');
      res
        .status(401)
        .setHeader('WWW-Authenticate', 'Bearer')
        .json({
          errors: [
            {
              message: 'An API key is required: send Ocp-Apim-Subscription-Key or Authorization: Bearer <key>.',
              extensions: { code: 'UNAUTHENTICATED' },
            },
          ],
        });
    },
    express.json({ limit: JSON_BODY_LIMIT }),
    // Binary uploads (the GraphQL multipart request spec), each file under the image limit.
    multipartRequests(services.images.limits.maxBytes),
    enterRequest,
    expressMiddleware(apollo, {
      context: async ({ res }) =>
        createContext(
          services,
          String(res.locals.requestId),
          typeof res.locals.budgetSubject === 'string' ? res.locals.budgetSubject : undefined,
        ),
    }),
  );

  // Body-parser failures (oversized or malformed JSON) answer in GraphQL's error shape.
  const onError: ErrorRequestHandler = (err: { type?: string; status?: number }, _req, res, _next) => {
    noteAnsweredError(
      res,
      err.type === 'entity.too.large' ? 'REQUEST_TOO_LARGE' : err.type === 'entity.parse.failed' ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR',
    );
    if (err.type === 'entity.too.large') {
      res.status(413).json({
        errors: [
          {
            message: `Request body over ${JSON_BODY_LIMIT}: images are limited to 6 MB (8 MB as base64).`,
            extensions: { code: 'REQUEST_TOO_LARGE' },
          },
        ],
      });
    } else if (err.type === 'entity.parse.failed') {
      res.status(400).json({ errors: [{ message: 'The request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } }] });
    } else {
      logger.error({ err }, 'unhandled HTTP error');
      res.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    }
  };
  app.use(onError);

  await new Promise<void>((resolve) => httpServer.listen(config.port, config.host, resolve));
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}/graphql`;

  return {
    url,
    port,
    httpServer,
    async stop() {
      stopping = true;
      // First the WebSockets (1001 Going Away: clients reconnect to another replica), then HTTP.
      await websocket.dispose();
      await apollo.stop(); // drains the HTTP server: in-flight requests finish first
    },
  };
}
