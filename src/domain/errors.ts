/**
 * Every error a client can see has a stable code from this list (documented in README.md).
 * `src/face`, `src/engine` and `src/http` throw FaceError; the GraphQL layer maps it onto
 * `extensions.code` (and HTTP status for REST routes) without inspecting messages.
 */
export const ErrorCodes = {
  /** ImageInput had neither or both of `url` and `base64`. */
  INVALID_IMAGE_INPUT: 400,
  /** `base64` was not valid base64. */
  INVALID_BASE64: 400,
  /** The image is under 1 KB (Azure: InvalidImageSize "Image size is too small."). */
  IMAGE_TOO_SMALL: 400,
  /** The image is over 6 MB, or a URL streamed more than that (Azure: InvalidImageSize). */
  IMAGE_TOO_LARGE: 400,
  /** The bytes are not a supported image format (JPEG, PNG, GIF, WebP; BMP is not, yet). */
  UNSUPPORTED_IMAGE_FORMAT: 400,
  /** The image is a supported format but could not be decoded (truncated, corrupt). */
  CORRUPT_IMAGE: 400,
  /** The image declares more pixels than allowed (decompression-bomb guard). */
  IMAGE_DIMENSIONS_TOO_LARGE: 400,
  /** The URL is malformed or uses a scheme other than http/https. */
  INVALID_URL: 400,
  /** The URL resolves to a loopback, private, link-local or metadata address. */
  URL_FORBIDDEN: 400,
  /** The URL could not be fetched (DNS failure, refused, non-2xx status, too many redirects). */
  URL_FETCH_FAILED: 400,
  /** The URL did not answer in time. */
  URL_TIMEOUT: 400,
  /** An argument is out of its documented range (the `argument` extension names it). */
  INVALID_ARGUMENT: 400,
  /** The faceId is unknown or expired (the message and `faceId` name it). */
  FACE_NOT_FOUND: 404,
  /** Faces detected with different recognition models cannot be compared (as in Azure). */
  RECOGNITION_MODEL_MISMATCH: 400,
  /** An image reference holds no detectable face. */
  NO_FACE_IN_IMAGE: 400,
  /** A FaceRefInput had neither or both of `faceId` and `image`. */
  INVALID_FACE_REF: 400,
  /** The same faceId appears more than once in a list. */
  DUPLICATE_FACE_ID: 400,
  /** A requested face attribute is not supported by the active provider. */
  UNSUPPORTED_ATTRIBUTE: 400,
  /** The engine queue is full; retry after `retryAfterSeconds`. */
  OVERLOADED: 503,
  /** The engine is not ready (still loading models or shutting down). */
  ENGINE_UNAVAILABLE: 503,
  /** FACEGRAPH_API_KEYS is set and the request carries no valid key. */
  UNAUTHENTICATED: 401,
  // Azure provider (README "Azure AI Face as the provider"): the upstream's failures. Azure's own
  // code and HTTP status travel in `extensions.upstreamCode` / `extensions.upstreamStatus`.
  /** The upstream refused facegraph's credentials (401/403): a configuration problem, not the caller's. */
  UPSTREAM_UNAUTHORIZED: 502,
  /** The upstream kept answering 429 after the retries; retry after `retryAfterSeconds`. */
  UPSTREAM_RATE_LIMITED: 503,
  /** The upstream answered 5xx, reset the connection or could not be reached. */
  UPSTREAM_UNAVAILABLE: 502,
  /** The upstream did not answer within the configured timeouts. */
  UPSTREAM_TIMEOUT: 504,
  /** The upstream's answer was not the JSON its contract promises. */
  UPSTREAM_BAD_RESPONSE: 502,
  // Liveness (README "Liveness"). The client API answers `{ error: { code, message } }` with
  // these HTTP statuses; GraphQL callers see SESSION_NOT_FOUND as a userError.
  /** No liveness session has this id (never existed, deleted or purged). */
  SESSION_NOT_FOUND: 404,
  /** No stored session image has this id. */
  SESSION_IMAGE_NOT_FOUND: 404,
  /** Missing or malformed `Authorization: Bearer`, or a token no session has. */
  TOKEN_INVALID: 401,
  /** The session's authTokenTimeToLiveInSeconds has passed. */
  TOKEN_EXPIRED: 401,
  /** The token belonged to a session that has been deleted (its token is revoked). */
  SESSION_DELETED: 410,
  /** The session already has its 3 attempts. */
  ATTEMPTS_EXHAUSTED: 409,
  /** Another attempt upload for the same session is in progress. */
  ATTEMPT_IN_PROGRESS: 409,
  /** The nonce is not this session's current, unused, unexpired challenge. */
  INVALID_NONCE: 400,
  /** The attempt upload is malformed: not multipart, wrong frame count, non-JPEG, bad timestamps... */
  INVALID_FRAMES: 400,
  /** A frame is over 2 MB, or the whole upload is over its limit. */
  FRAMES_TOO_LARGE: 413,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

/**
 * Failures that are the service's, not the input's: GraphQL errors, never userErrors, and the
 * only ones worth retrying.
 */
export const INFRASTRUCTURE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'OVERLOADED',
  'ENGINE_UNAVAILABLE',
  'UPSTREAM_UNAUTHORIZED',
  'UPSTREAM_RATE_LIMITED',
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_TIMEOUT',
  'UPSTREAM_BAD_RESPONSE',
]);

export class FaceError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'FaceError';
    this.code = code;
    this.details = details;
  }

  get httpStatus(): number {
    return ErrorCodes[this.code];
  }
}

export function isFaceError(value: unknown): value is FaceError {
  return value instanceof FaceError;
}
