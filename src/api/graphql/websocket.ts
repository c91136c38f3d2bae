/**
 * GraphQL subscriptions over a WebSocket at /graphql, on the same HTTP server and schema as the
 * HTTP endpoint: the graphql-ws protocol (subprotocol `graphql-transport-ws`, which Apollo
 * Client's GraphQLWsLink and urql's subscriptionExchange speak) on `ws`.
 *
 * Authorised like an HTTP operation: with API keys configured, the key comes in the
 * ConnectionInit message's `connectionParams` (`Ocp-Apim-Subscription-Key`, or `Authorization:
 * Bearer <key>`; any letter case), or in the upgrade request's headers (clients that can set
 * them); without a valid key the socket is closed with 4403 Forbidden. The key is checked again
 * on every subscribe, so a key rotated out (SIGHUP) closes its sockets at their next subscribe.
 * Each subscribe spends one request of the caller's budget (FACEGRAPH_RATE_LIMIT_RPS) and passes
 * the same document limits as HTTP (tokens, depth, aliases, directives, cost). Only subscription
 * operations are served here: queries and mutations stay on HTTP, with their multipart uploads,
 * pixel budgets and CSRF rules.
 *
 * Limits: WS_LIMITS.maxConnections sockets per process (more are refused with HTTP 503 before
 * the upgrade), WS_LIMITS.maxSubscriptionsPerSocket operations at once per socket (more are
 * refused with QUOTA_EXCEEDED), WS_LIMITS.maxPayloadBytes per message. A socket's subscriptions
 * end with it (their bus listeners are removed); `dispose()` closes every socket with 1001
 * Going Away (the server's shutdown, before the HTTP server drains).
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { createRequire } from 'node:module';
import type {
  DocumentNode,
  ExecutionArgs,
  GraphQLError as GraphQLErrorType,
  GraphQLFormattedError,
  GraphQLSchema,
  ValidationRule,
} from 'graphql';
import type { Context } from 'graphql-ws';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { AppServices } from '../../app/services.js';
import { FaceError } from '../../domain/errors.js';
import { createContext } from './context.js';

/**
 * The one `graphql` module @apollo/subgraph built the schema with and graphql-ws checks errors
 * against: graphql 16's CommonJS copy, which is also what Node gives an `import` of it (the
 * package has no "exports"). Under vitest an `import` would be its ESM copy, another realm that
 * refuses the schema ("Cannot use GraphQLSchema from another module"); requiring it is the same
 * instance everywhere.
 */
const { execute, getOperationAST, GraphQLError, OperationTypeNode, parse, specifiedRules, subscribe, validate } = createRequire(
  import.meta.url,
)('graphql') as typeof import('graphql');
type GraphQLError = GraphQLErrorType;

/** A FaceError as the GraphQL error (code and details in extensions) graphql-ws sends. */
const faceError = (err: FaceError): GraphQLError => new GraphQLError(err.message, { extensions: { code: err.code, ...err.details } });

export const WS_LIMITS = {
  /** Open WebSockets per process. */
  maxConnections: 1000,
  /** Operations at once per socket (a page multiplexes its subscriptions on one socket). */
  maxSubscriptionsPerSocket: 20,
  /** Largest message a client may send (a subscribe document with its variables). */
  maxPayloadBytes: 64 * 1024,
} as const;

/** What a connection carries from its ConnectionInit to each of its subscriptions. */
type Connection = {
  /** The key headers the connection was authorised with (connectionParams over upgrade headers). */
  headers?: http.IncomingHttpHeaders;
  /** Whose request budget its subscribes spend. */
  subject?: string;
};

type WsContext = Context<Record<string, unknown> | undefined, Extra & Partial<Connection>>;

export interface GraphQLWebSocketOptions {
  httpServer: http.Server;
  schema: GraphQLSchema;
  services: AppServices;
  /** The HTTP endpoint's extra validation rules (graphql-armor: depth, aliases, directives, cost). */
  validationRules: readonly ValidationRule[];
  /** The HTTP endpoint's error formatter (coded errors kept, the rest masked and logged). */
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** The path of the GraphQL endpoint. */
  path?: string;
}

export interface GraphQLWebSocket {
  /** Open sockets now. */
  readonly connections: number;
  /** Refuses new sockets and closes the open ones with 1001 Going Away. */
  dispose(): Promise<void>;
}

/** The key headers of a connection: the upgrade request's, overridden by connectionParams (any letter case). */
function keyHeaders(request: http.IncomingMessage, params: Record<string, unknown> | undefined): http.IncomingHttpHeaders {
  const headers: http.IncomingHttpHeaders = {
    'ocp-apim-subscription-key': request.headers['ocp-apim-subscription-key'],
    authorization: request.headers.authorization,
  };
  for (const [name, value] of Object.entries(params ?? {})) {
    const lower = name.toLowerCase();
    if (typeof value !== 'string') continue;
    if (lower === 'ocp-apim-subscription-key') headers['ocp-apim-subscription-key'] = value;
    if (lower === 'authorization') headers.authorization = value;
  }
  return headers;
}

const coded = (err: GraphQLError, code: string): GraphQLError =>
  new GraphQLError(err.message, { nodes: err.nodes, source: err.source, positions: err.positions, path: err.path, extensions: { code } });

export function attachGraphQLWebSocket(options: GraphQLWebSocketOptions): GraphQLWebSocket {
  const { httpServer, schema, services, formatError } = options;
  const { logger } = services;
  const rules = [...specifiedRules, ...options.validationRules];
  let disposed = false;
  const wss = new WebSocketServer({
    server: httpServer,
    path: options.path ?? '/graphql',
    maxPayload: WS_LIMITS.maxPayloadBytes,
    verifyClient: (_info, callback) => {
      if (disposed) return callback(false, 503, 'The server is shutting down.');
      if (wss.clients.size >= WS_LIMITS.maxConnections) return callback(false, 503, 'Too many WebSocket connections; retry later.');
      callback(true);
    },
  });

  const format = (errors: readonly GraphQLError[]): GraphQLFormattedError[] => errors.map((e) => formatError(e.toJSON(), e));

  const server = useServer<Record<string, unknown> | undefined, Connection>(
    {
      schema,
      execute,
      subscribe,
      isProd: services.config.production,
      onConnect: (ctx: WsContext) => {
        const headers = keyHeaders(ctx.extra.request, ctx.connectionParams);
        if (!services.apiKeys.allowsGraphQL(headers)) {
          logger.info({ remoteAddress: ctx.extra.request.socket.remoteAddress }, 'graphql-ws: connection refused (no valid API key)');
          return false; // graphql-ws closes the socket with 4403 Forbidden
        }
        ctx.extra.headers = headers;
        ctx.extra.subject = services.apiKeys.subjectFor('graphql', headers, ctx.extra.request.socket.remoteAddress);
        return true;
      },
      onSubscribe: async (ctx: WsContext, id, payload): Promise<ExecutionArgs | readonly GraphQLError[]> => {
        // The key may have been rotated out since the connection was authorised.
        if (!services.apiKeys.allowsGraphQL(ctx.extra.headers ?? {})) {
          ctx.extra.socket.close(4403, 'Forbidden');
          return [faceError(new FaceError('UNAUTHENTICATED', 'The API key of this connection is no longer valid.'))];
        }
        // The subscription being made is counted already.
        if (Object.keys(ctx.subscriptions).length > WS_LIMITS.maxSubscriptionsPerSocket) {
          return [
            faceError(
              new FaceError(
                'QUOTA_EXCEEDED',
                `At most ${WS_LIMITS.maxSubscriptionsPerSocket} subscriptions at once per WebSocket; complete one first.`,
                { limit: WS_LIMITS.maxSubscriptionsPerSocket },
              ),
            ),
          ];
        }
        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxTokens: services.config.limits.maxTokens });
        } catch (err) {
          if (err instanceof GraphQLError) return [coded(err, 'GRAPHQL_PARSE_FAILED')];
          throw err;
        }
        const invalid = validate(schema, document, rules);
        if (invalid.length > 0) return invalid.map((e) => coded(e, 'GRAPHQL_VALIDATION_FAILED'));
        const operation = getOperationAST(document, payload.operationName);
        if (operation?.operation !== OperationTypeNode.SUBSCRIPTION) {
          return [
            new GraphQLError(
              operation
                ? 'Only subscriptions are served over the WebSocket: send queries and mutations with HTTP POST /graphql.'
                : 'The document has no operation of that name (or several operations and no operationName).',
              { extensions: { code: 'BAD_REQUEST' } },
            ),
          ];
        }
        const subject = ctx.extra.subject ?? 'ip:unknown';
        try {
          await services.requestBudget.charge(subject);
        } catch (err) {
          if (err instanceof FaceError) return [faceError(err)];
          throw err;
        }
        const requestId = randomUUID();
        logger.info({ requestId, subscriptionId: id, operation: operation.name?.value ?? null }, 'graphql-ws: subscription started');
        return {
          schema,
          document,
          operationName: payload.operationName ?? null,
          variableValues: payload.variables ?? null,
          contextValue: createContext(services, requestId, subject),
        };
      },
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: format(result.errors) } : undefined),
      onError: (_ctx, _id, _payload, errors) => format(errors),
    },
    wss,
  );

  return {
    get connections() {
      return wss.clients.size;
    },
    async dispose() {
      disposed = true;
      await server.dispose();
    },
  };
}
