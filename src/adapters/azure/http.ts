/**
 * The transport to Azure AI Face: one keep-alive undici Pool for the endpoint's origin,
 * authentication, an overall deadline per call, the retry policy, and bodies read in full.
 *
 * Timeouts, from the inside out:
 * - connect: `connectTimeoutMs` (TCP + TLS);
 * - headers: `requestTimeoutMs` from the request being sent to the response headers;
 * - body: `requestTimeoutMs` of silence between body chunks (undici's bodyTimeout is an idle
 *   timeout, so a slow trickle would never trip it);
 * - deadline: the whole call, retries and waits included, never lasts longer than
 *   `deadlineMs` (default connect + headers + body time), so a hanging or trickling upstream
 *   cannot hang a GraphQL request.
 *
 * Retries (idempotent calls only: detect, verify, findsimilars, group, GETs): on 429 and 503,
 * and on connection resets/refusals, up to `maxRetries` times, waiting what the upstream asked
 * (`retry-after-ms`, `x-ms-retry-after-ms`, `Retry-After`) or an exponential backoff with
 * jitter. An asked-for wait longer than `maxRetryAfterMs`, or one that would overrun the
 * deadline, is not waited for: the caller gets the error at once, with `retryAfterSeconds`.
 * Creates and deletes are never retried: a lost answer may mean the upstream acted. A 401 with
 * a token is different: the token is re-fetched and the request sent once more, since the
 * upstream refused it before acting.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, type Dispatcher } from 'undici';
import type { AzureConfig } from '../../platform/config.js';
import { FaceError, INFRASTRUCTURE_CODES, type ErrorCode } from '../../domain/errors.js';
import type { Logger } from '../../platform/logger.js';
import { secondsSince, type Metrics } from '../../platform/metrics.js';
import { SpanKind, withSpan } from '../../platform/tracing.js';
import { type Credentials, KeyCredentials, TokenCommandCredentials } from './auth.js';
import { badResponse, isRetryableTransport, mapAzureError, mapTransportError, parseAzureErrorBody } from './errors.js';
import { check, type Guard, WireShapeError } from './guard.js';
import { backoffMs, retryAfterMs, toRetryAfterSeconds } from './retry.js';

export interface AzureRequest {
  /** Names the call in logs and counters: 'detect', 'verify', 'createLivenessSession'... */
  operation: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Route under `/face/{apiVersion}`, e.g. `/detect`; ids already URL-encoded. */
  route: string;
  query?: URLSearchParams;
  body?: { contentType: string; data: Buffer | string };
  /** Safe to send again after a 429/503/reset: compute calls and GETs, never creates or deletes. */
  idempotent: boolean;
  /** Most bytes of a successful body accepted (default 8 MiB). */
  maxBodyBytes?: number;
  /**
   * What a 404 with an unknown code means for this operation (see mapAzureError). Only for reads
   * whose "not found" leads to nothing destructive: a bare 404 is more often a wrong endpoint or
   * API version than a missing resource, so sessions and faces rely on Azure's explicit codes
   * (SessionNotFound, FaceNotFound) — a misconfigured endpoint must not read as "gone".
   */
  notFound?: ErrorCode;
}

export interface AzureResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface AzureHttpOptions {
  /** Overall time one call may take, retries included. Default: connect + 2 × request timeout. */
  deadlineMs?: number;
  /** Override the credentials (tests); default from config.key / config.tokenCommand. */
  credentials?: Credentials;
  /** Randomness of the backoff jitter (tests). */
  random?: () => number;
  /** Upstream call latency by operation and outcome. */
  metrics?: Metrics;
}

const DEFAULT_MAX_BODY = 8 * 1024 * 1024;
/** Error bodies are small JSON; beyond this they are cut (and the connection dropped). */
const MAX_ERROR_BODY = 64 * 1024;

class DeadlineExceeded extends Error {
  readonly code = 'DEADLINE_EXCEEDED';
}

export class AzureHttpClient {
  readonly deadlineMs: number;
  readonly origin: string;
  private readonly basePath: string;
  private readonly pool: Pool;
  private readonly credentials: Credentials;
  private readonly random: () => number;
  private readonly metrics: Metrics | undefined;
  private closed = false;
  /** HTTP requests sent per operation, retries included: for tests and metrics. */
  readonly sent = new Map<string, number>();

  constructor(
    private readonly config: AzureConfig,
    private readonly logger: Logger,
    options: AzureHttpOptions = {},
  ) {
    const url = new URL(config.endpoint);
    this.origin = url.origin;
    // The endpoint may sit under a path prefix (a gateway); the API version is a path segment.
    this.basePath = `${url.pathname.replace(/\/+$/, '')}/face/${encodeURIComponent(config.apiVersion)}`;
    this.deadlineMs = options.deadlineMs ?? config.connectTimeoutMs + 2 * config.requestTimeoutMs;
    this.random = options.random ?? Math.random;
    this.metrics = options.metrics;
    this.credentials = options.credentials ?? defaultCredentials(config, logger);
    // One origin, so one Pool: keep-alive connections are reused across calls.
    this.pool = new Pool(this.origin, {
      connections: config.connections,
      connect: { timeout: config.connectTimeoutMs },
      headersTimeout: config.requestTimeoutMs,
      bodyTimeout: config.requestTimeoutMs,
      // Short enough that the upstream's load balancer rarely closes an idle socket first
      // (a reset on reuse would fail a create, which is not retried).
      keepAliveTimeout: 10_000,
    });
  }

  /** Fetches a token now (token auth), so a broken AZURE_FACE_TOKEN_COMMAND shows at start. */
  async warmUp(): Promise<void> {
    await this.credentials.headers(AbortSignal.timeout(this.deadlineMs));
  }

  /** A JSON call whose 2xx body must pass `guard`. */
  async json<T>(req: AzureRequest, guard: Guard<T>): Promise<T> {
    const res = await this.call(req);
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.body.toString('utf8'));
    } catch {
      throw badResponse(res.status, 'not JSON', requestIdOf(res.headers));
    }
    try {
      return check(guard, parsed);
    } catch (err) {
      if (err instanceof WireShapeError) throw badResponse(res.status, err.message, requestIdOf(res.headers));
      throw err;
    }
  }

  /** A call answering raw bytes (a session image). */
  async bytes(req: AzureRequest): Promise<Buffer> {
    return (await this.call(req)).body;
  }

  /** A call answering no body (DELETE: 204). */
  async noContent(req: AzureRequest): Promise<void> {
    await this.call(req);
  }

  isClosed(): boolean {
    return this.closed;
  }

  /** Stops new calls; in-flight ones finish (each bounded by its deadline). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.close();
  }

  /** Sends the request with auth, deadline and retries; resolves with a 2xx, throws FaceError otherwise. */
  call(req: AzureRequest): Promise<AzureResponse> {
    const attributes = { 'http.request.method': req.method, 'server.address': this.origin, 'facegraph.azure.operation': req.operation };
    return withSpan(
      `azure.${req.operation}`,
      attributes,
      async (span) => {
        const started = performance.now();
        let outcome = 'ok';
        try {
          const res = await this.callWithRetries(req);
          span.setAttribute('http.response.status_code', res.status);
          return res;
        } catch (err) {
          outcome = err instanceof FaceError ? err.code : 'error';
          throw err;
        } finally {
          this.metrics?.upstreamDuration.observe({ operation: req.operation, outcome }, secondsSince(started));
        }
      },
      SpanKind.CLIENT,
    );
  }

  private async callWithRetries(req: AzureRequest): Promise<AzureResponse> {
    if (this.closed)
      throw new FaceError('UPSTREAM_UNAVAILABLE', 'The Azure provider is closed.', { upstreamCode: null, upstreamStatus: null });
    const controller = new AbortController();
    const deadlineAt = Date.now() + this.deadlineMs;
    const timer = setTimeout(() => controller.abort(new DeadlineExceeded(`deadline of ${this.deadlineMs} ms exceeded`)), this.deadlineMs);
    timer.unref();
    const signal = controller.signal;
    // One id for the logical call, across retries, as the Azure SDKs do: what support asks for.
    const clientRequestId = randomUUID();
    const log = this.logger.child({ op: req.operation, clientRequestId });
    let attempt = 0;
    let reauthenticated = false;
    try {
      for (;;) {
        let failure: FaceError;
        let retryable: boolean;
        let askedWaitMs: number | null = null;
        try {
          const auth = await this.credentials.headers(signal);
          const res = await this.send(req, auth, clientRequestId, signal, attempt, log);
          if (res.status >= 200 && res.status < 300) return res;
          if (res.status === 401 && !reauthenticated && this.credentials.invalidate(auth)) {
            // A token may have been revoked or expired early: fetch a new one, once. This is
            // not a retry of a processed request (a 401 is refused before anything happens).
            reauthenticated = true;
            log.info('upstream answered 401; fetching a new token and trying once more');
            continue;
          }
          askedWaitMs = retryAfterMs(res.headers);
          const waitForDetail = askedWaitMs ?? backoffMs(attempt, this.config.retryBaseMs, this.random);
          failure = mapAzureError({
            status: res.status,
            body: parseAzureErrorBody(res.body.toString('utf8')),
            headerCode: headerOf(res.headers, 'x-ms-error-code'),
            retryAfterSeconds: res.status === 429 || askedWaitMs !== null ? toRetryAfterSeconds(waitForDetail) : null,
            requestId: requestIdOf(res.headers),
            notFound: req.notFound,
          });
          retryable = req.idempotent && (res.status === 429 || res.status === 503);
        } catch (err) {
          if (err instanceof FaceError) throw this.logged(log, err, attempt);
          if (signal.aborted) throw this.logged(log, mapTransportError(signal.reason, this.deadlineMs), attempt);
          failure = mapTransportError(err);
          retryable = req.idempotent && isRetryableTransport(err);
        }
        if (!retryable || attempt >= this.config.maxRetries) throw this.logged(log, failure, attempt);
        if (askedWaitMs !== null && askedWaitMs > this.config.maxRetryAfterMs) {
          log.warn(
            { retryAfterMs: askedWaitMs, maxRetryAfterMs: this.config.maxRetryAfterMs },
            'upstream asked for a longer wait than allowed; not retrying',
          );
          throw this.logged(log, failure, attempt);
        }
        const delay = askedWaitMs ?? backoffMs(attempt, this.config.retryBaseMs, this.random);
        if (Date.now() + delay >= deadlineAt) throw this.logged(log, failure, attempt);
        log.warn(
          {
            attempt,
            code: failure.code,
            upstreamCode: failure.details.upstreamCode,
            upstreamStatus: failure.details.upstreamStatus,
            delayMs: delay,
          },
          'retrying upstream call',
        );
        try {
          await sleep(delay, undefined, { signal });
        } catch {
          throw this.logged(log, failure, attempt);
        }
        attempt++;
      }
    } finally {
      clearTimeout(timer);
    }
  }

  private async send(
    req: AzureRequest,
    auth: Record<string, string>,
    clientRequestId: string,
    signal: AbortSignal,
    attempt: number,
    log: Logger,
  ): Promise<AzureResponse> {
    const headers: Record<string, string> = {
      ...auth,
      accept: req.method === 'GET' && req.route.startsWith('/sessionImages/') ? 'application/octet-stream' : 'application/json',
      'user-agent': 'facegraph-azure-provider',
      'x-ms-client-request-id': clientRequestId,
    };
    if (req.body) headers['content-type'] = req.body.contentType;
    const query = req.query?.toString();
    const path = `${this.basePath}${req.route}${query ? `?${query}` : ''}`;
    this.sent.set(req.operation, (this.sent.get(req.operation) ?? 0) + 1);
    const started = Date.now();
    const res: Dispatcher.ResponseData = await this.pool.request({ method: req.method, path, headers, body: req.body?.data, signal });
    const ok = res.statusCode >= 200 && res.statusCode < 300;
    // Every body is read to its end (or the stream destroyed): undici reuses a connection only
    // once its response has been consumed.
    const { data, truncated } = await readBody(res.body, ok ? (req.maxBodyBytes ?? DEFAULT_MAX_BODY) : MAX_ERROR_BODY);
    log.debug(
      {
        method: req.method,
        route: req.route,
        status: res.statusCode,
        attempt,
        ms: Date.now() - started,
        upstreamRequestId: requestIdOf(res.headers),
      },
      'upstream call',
    );
    if (ok && truncated)
      throw badResponse(res.statusCode, `body larger than ${req.maxBodyBytes ?? DEFAULT_MAX_BODY} bytes`, requestIdOf(res.headers));
    return { status: res.statusCode, headers: res.headers, body: data };
  }

  private logged(log: Logger, err: FaceError, attempt: number): FaceError {
    const fields = {
      attempts: attempt + 1,
      code: err.code,
      upstreamCode: err.details.upstreamCode,
      upstreamStatus: err.details.upstreamStatus,
    };
    // The upstream failing is the operator's business; the caller's own mistakes are not.
    if (INFRASTRUCTURE_CODES.has(err.code)) log.warn(fields, err.message);
    else log.debug(fields, err.message);
    return err;
  }
}

function defaultCredentials(config: AzureConfig, logger: Logger): Credentials {
  if (config.key) return new KeyCredentials(config.key);
  if (config.tokenCommand) return new TokenCommandCredentials(config.tokenCommand, logger.child({ component: 'azure-token' }));
  throw new Error('AzureConfig needs a key or a tokenCommand');
}

async function readBody(body: Dispatcher.ResponseData['body'], limit: number): Promise<{ data: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    if (size + buf.length > limit) {
      chunks.push(buf.subarray(0, limit - size));
      body.destroy();
      return { data: Buffer.concat(chunks), truncated: true };
    }
    chunks.push(buf);
    size += buf.length;
  }
  return { data: Buffer.concat(chunks), truncated: false };
}

function headerOf(headers: IncomingHttpHeaders, name: string): string | null {
  const v = headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? null;
}

const requestIdOf = (headers: IncomingHttpHeaders): string | null => headerOf(headers, 'apim-request-id');
