/**
 * Azure AI Face failures -> facegraph's stable error codes. Pure functions.
 *
 * Every FaceError made here carries `upstreamCode` (Azure's error code, the transport error's
 * code, or null) and `upstreamStatus` (the HTTP status, or null when no response arrived) in
 * its details: they become GraphQL `extensions`, so an operator can see what Azure said without
 * facegraph inventing codes of its own.
 */
import { FaceError, INFRASTRUCTURE_CODES, isErrorCode, type ErrorCode } from '../../domain/errors.js';
import type { WireFaceError, WireInnerError } from '../../contracts/azure-face-v1.2.js';
import { fromAzureCollectionCode } from '../../contracts/azure-collection-errors.js';

/**
 * The `error` member of Azure's error body `{error:{code, message, innererror?:{code, message}}}`
 * (reference §5), or null when the body is not Azure's envelope.
 */
export function parseAzureErrorBody(text: string): WireFaceError | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(parsed) || !isRecord(parsed.error)) return null;
  const e = parsed.error;
  // Azure's 401/429 bodies carry the status as a string code ("401"); some gateways send numbers.
  const code = typeof e.code === 'string' ? e.code : typeof e.code === 'number' ? String(e.code) : null;
  if (code === null) return null;
  const out: WireFaceError = { code, message: typeof e.message === 'string' ? e.message : '' };
  if (isRecord(e.innererror)) {
    const inner: WireInnerError = {};
    if (typeof e.innererror.code === 'string') inner.code = e.innererror.code;
    if (typeof e.innererror.message === 'string') inner.message = e.innererror.message;
    out.innererror = inner;
  }
  return out;
}

/**
 * facegraph codes an upstream facegraph may pass through in `innererror.code`: the caller's own
 * mistakes only. Infrastructure and authentication codes are about the upstream (its queue, its
 * keys), so they are mapped from the HTTP status like any Azure failure instead: passing
 * UNAUTHENTICATED through would tell our caller that *its* credentials are wrong.
 */
const NEVER_PASSED_THROUGH: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ...INFRASTRUCTURE_CODES,
  'UNAUTHENTICATED',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
]);

const isFacegraphCode = (code: string | undefined): code is ErrorCode => isErrorCode(code);

const INVALID_ARGUMENT_CODES: ReadonlySet<string> = new Set([
  'BadArgument',
  'InvalidRequestBody',
  'InvalidTokenLifetime',
  'InvalidDeviceCorrelationId',
  'InvalidLivenessOperationMode',
]);

export interface UpstreamErrorContext {
  status: number;
  /** The parsed error envelope, or null when the body was not one. */
  body: WireFaceError | null;
  /** `x-ms-error-code`, which Azure declares on every error response. */
  headerCode?: string | null;
  /** Seconds the upstream asked us to wait (429/503), when it said. */
  retryAfterSeconds?: number | null;
  /** `apim-request-id`: what Microsoft support asks for. */
  requestId?: string | null;
  /**
   * What a 404 whose code is not in the table means for this operation (e.g. SESSION_NOT_FOUND
   * for a session GET). Without it such a 404 is UPSTREAM_BAD_RESPONSE: facegraph only calls
   * documented routes, so a bare 404 means the endpoint or API version is wrong.
   */
  notFound?: ErrorCode;
}

/** An error response of the upstream as a FaceError. */
export function mapAzureError(ctx: UpstreamErrorContext): FaceError {
  const { status, body } = ctx;
  const upstreamCode = body?.code ?? ctx.headerCode ?? String(status);
  const upstreamMessage = body?.innererror?.message || body?.message || '';
  const details: Record<string, unknown> = { upstreamCode, upstreamStatus: status };
  if (ctx.requestId) details.upstreamRequestId = ctx.requestId;
  const innerCode = body?.innererror?.code;
  if (innerCode !== undefined && innerCode !== upstreamCode) details.upstreamInnerCode = innerCode;
  const said = upstreamMessage ? `: ${upstreamMessage}` : '';
  const make = (code: ErrorCode, message: string): FaceError => new FaceError(code, message, details);
  // Azure's collection codes name the kind ({Kind}NotFound...): the kind travels as facegraph's
  // own collection errors carry it.
  const collection = body ? fromAzureCollectionCode(body.code) : null;
  if (collection?.kind) details.collectionKind = collection.kind;

  // Transport-level statuses first: whatever the body says, these are about the upstream. One
  // 403 is the caller's: a collection's count limit (QuotaExceeded).
  if (status === 403 && collection?.code === 'QUOTA_EXCEEDED') {
    return make('QUOTA_EXCEEDED', body?.innererror?.message || body?.message || 'Quota exceeded.');
  }
  if (status === 401 || status === 403) {
    return make('UPSTREAM_UNAUTHORIZED', `Azure AI Face refused facegraph's credentials (HTTP ${status} ${upstreamCode})${said}`);
  }
  if (status === 429) {
    details.retryAfterSeconds = ctx.retryAfterSeconds ?? 1;
    return make(
      'UPSTREAM_RATE_LIMITED',
      `Azure AI Face is rate limiting facegraph (HTTP 429); retry after ${String(details.retryAfterSeconds)} s.`,
    );
  }
  if (status >= 500) {
    if (ctx.retryAfterSeconds != null) details.retryAfterSeconds = ctx.retryAfterSeconds;
    return make('UPSTREAM_UNAVAILABLE', `Azure AI Face is unavailable (HTTP ${status} ${upstreamCode})${said}`);
  }
  if (status === 408) return make('UPSTREAM_TIMEOUT', `Azure AI Face timed out (HTTP 408)${said}`);

  // An upstream facegraph puts its precise code in innererror (facegraph's REST surface).
  if (isFacegraphCode(innerCode) && !NEVER_PASSED_THROUGH.has(innerCode)) {
    return make(innerCode, body?.innererror?.message || body?.message || innerCode);
  }

  const message = upstreamMessage || `Azure AI Face rejected the request (HTTP ${status} ${upstreamCode}).`;
  const m = upstreamMessage.toLowerCase();
  switch (body?.code) {
    case 'InvalidImageSize':
      return make(/small/.test(m) ? 'IMAGE_TOO_SMALL' : 'IMAGE_TOO_LARGE', message);
    case 'InvalidImage':
      if (/no face/.test(m)) return make('NO_FACE_IN_IMAGE', message);
      // Add-face without targetFace on a photo of several people.
      if (/more than (1|one) face/.test(m)) return make('MULTIPLE_FACES_IN_IMAGE', message);
      return make(/unsupported/.test(m) ? 'UNSUPPORTED_IMAGE_FORMAT' : 'CORRUPT_IMAGE', message);
    case 'InvalidURL':
      return make('URL_FETCH_FAILED', message);
    case 'FaceNotFound':
      return make('FACE_NOT_FOUND', message);
    case 'SessionNotFound':
      return make('SESSION_NOT_FOUND', message);
    case 'SessionImageNotFound':
      return make('SESSION_IMAGE_NOT_FOUND', message);
    default:
      break;
  }
  if (collection) return make(collection.code, message);
  if (body?.code === 'BadArgument' && /'recognitionmodel' is incompatible/.test(m)) return make('RECOGNITION_MODEL_MISMATCH', message);
  if (body && INVALID_ARGUMENT_CODES.has(body.code)) {
    // Azure names the argument in quotes ("'faceIdTimeToLive' is invalid."): keep it, as
    // facegraph's own INVALID_ARGUMENT does.
    const argument = /'([A-Za-z][A-Za-z0-9]*)'/.exec(upstreamMessage)?.[1];
    if (argument) details.argument = argument;
    return make('INVALID_ARGUMENT', message);
  }
  if (status === 404) {
    return ctx.notFound
      ? make(ctx.notFound, message)
      : make(
          'UPSTREAM_BAD_RESPONSE',
          `Azure AI Face has no such route (HTTP 404 ${upstreamCode}): check AZURE_FACE_ENDPOINT and AZURE_FACE_API_VERSION${said}`,
        );
  }
  if (status === 413) return make('IMAGE_TOO_LARGE', message);
  // Any other 4xx: the upstream judged the request itself wrong, which is the caller's input.
  if (status >= 400) return make('INVALID_ARGUMENT', message);
  return make('UPSTREAM_BAD_RESPONSE', `Azure AI Face answered an unexpected HTTP ${status}.`);
}

/** A 2xx whose body is not what the contract promises. */
export function badResponse(status: number, what: string, requestId?: string | null): FaceError {
  const details: Record<string, unknown> = { upstreamCode: null, upstreamStatus: status };
  if (requestId) details.upstreamRequestId = requestId;
  return new FaceError('UPSTREAM_BAD_RESPONSE', `Azure AI Face answered HTTP ${status} with an unexpected body: ${what}`, details);
}

const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
  'DEADLINE_EXCEEDED',
]);

/** The code of a transport error: undici's `UND_ERR_*`, or the socket's `E*` (possibly as the cause). */
export function transportCode(err: unknown): string | null {
  for (let e: unknown = err, depth = 0; isRecord(e) && depth < 4; e = e.cause, depth++) {
    if (typeof e.code === 'string') {
      // undici wraps a peer reset as UND_ERR_SOCKET with the socket error as its cause; the
      // socket's own code is the more telling one.
      if (e.code === 'UND_ERR_SOCKET' && isRecord(e.cause) && typeof e.cause.code === 'string') return e.cause.code;
      return e.code;
    }
  }
  return null;
}

/** A request that got no (complete) response: timeouts, resets, refusals, DNS failures. */
export function mapTransportError(err: unknown, deadlineMs?: number): FaceError {
  const code = transportCode(err) ?? 'UNKNOWN';
  const details = { upstreamCode: code, upstreamStatus: null };
  if (TIMEOUT_CODES.has(code)) {
    const what = code === 'DEADLINE_EXCEEDED' && deadlineMs ? `within the ${deadlineMs} ms deadline` : `in time (${code})`;
    return new FaceError('UPSTREAM_TIMEOUT', `Azure AI Face did not answer ${what}.`, details);
  }
  return new FaceError('UPSTREAM_UNAVAILABLE', `Azure AI Face could not be reached (${code}).`, details);
}

/** Resets and refusals: the request never reached a handler, or the answer was lost; an idempotent call may be repeated. */
const RETRYABLE_TRANSPORT: ReadonlySet<string> = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'UND_ERR_SOCKET']);

export const isRetryableTransport = (err: unknown): boolean => RETRYABLE_TRANSPORT.has(transportCode(err) ?? '');

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}
