/**
 * The error registry: every error a client can see has a stable code declared here, once, with
 * its kind. The edges derive everything else from the code and kind — GraphQL's shape
 * (api/graphql/errors.ts: userError or coded GraphQL error), Azure's REST status and code
 * (api/rest/errors.ts) and the liveness client API's HTTP status (api/liveness-client) — each
 * with an exhaustive table, so a new code cannot reach a client unmapped. docs/errors.md lists
 * exactly these codes (test/unit/error-docs.test.ts keeps it so).
 */

/**
 * What kind of failure a code is. `unavailable`, `bad-gateway` and `gateway-timeout` are the
 * service's (infrastructure) failures: never the caller's input, and the only retryable ones.
 */
export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'not-found'
  | 'conflict'
  | 'gone'
  | 'too-large'
  | 'quota-exceeded'
  | 'rate-limited'
  | 'unsupported-media-type'
  | 'unavailable'
  | 'bad-gateway'
  | 'gateway-timeout';

export const ERRORS = {
  /** ImageInput had not exactly one of `url`, `base64` and `file`. */
  INVALID_IMAGE_INPUT: 'invalid',
  /** `base64` was not valid base64. */
  INVALID_BASE64: 'invalid',
  /** The image is under 1 KB (Azure: InvalidImageSize "Image size is too small."). */
  IMAGE_TOO_SMALL: 'invalid',
  /** The image is over 6 MB, or a URL or an uploaded file streamed more than that (Azure: InvalidImageSize). */
  IMAGE_TOO_LARGE: 'invalid',
  /** The bytes are not a supported image format (JPEG, PNG, GIF, WebP; BMP is not, yet). */
  UNSUPPORTED_IMAGE_FORMAT: 'invalid',
  /** The image is a supported format but could not be decoded (truncated, corrupt). */
  CORRUPT_IMAGE: 'invalid',
  /** The image declares more pixels than allowed (decompression-bomb guard). */
  IMAGE_DIMENSIONS_TOO_LARGE: 'invalid',
  /** The URL is malformed or uses a scheme other than http/https. */
  INVALID_URL: 'invalid',
  /** The URL resolves to a loopback, private, link-local or metadata address. */
  URL_FORBIDDEN: 'invalid',
  /** The URL could not be fetched (DNS failure, refused, non-2xx status, too many redirects). */
  URL_FETCH_FAILED: 'invalid',
  /** The URL did not answer in time. */
  URL_TIMEOUT: 'invalid',
  /** An argument is out of its documented range (the `argument` extension names it). */
  INVALID_ARGUMENT: 'invalid',
  /** The faceId is unknown or expired (the message and `faceId` name it). */
  FACE_NOT_FOUND: 'not-found',
  /** Faces detected with different recognition models cannot be compared (as in Azure). */
  RECOGNITION_MODEL_MISMATCH: 'invalid',
  /** An image reference holds no detectable face. */
  NO_FACE_IN_IMAGE: 'invalid',
  /** A FaceRefInput had neither or both of `faceId` and `image`. */
  INVALID_FACE_REF: 'invalid',
  /** The same faceId appears more than once in a list. */
  DUPLICATE_FACE_ID: 'invalid',
  /** A requested face attribute is not supported by the active provider. */
  UNSUPPORTED_ATTRIBUTE: 'invalid',
  /** The engine queue is full; retry after `retryAfterSeconds`. */
  OVERLOADED: 'unavailable',
  /** The engine is not ready (still loading models or shutting down). */
  ENGINE_UNAVAILABLE: 'unavailable',
  /** A shared store the request needs (the Redis faceId registry) cannot be reached now; retry after `retryAfterSeconds`. */
  STORE_UNAVAILABLE: 'unavailable',
  /** FACEGRAPH_API_KEYS is set and the request carries no valid key. */
  UNAUTHENTICATED: 'unauthenticated',
  /** The API key (or, with no keys configured, the client address) is over FACEGRAPH_RATE_LIMIT_RPS; retry after `retryAfterSeconds`. */
  RATE_LIMITED: 'rate-limited',
  // Azure provider (docs/azure-compatibility.md): the upstream's failures. Azure's own
  // code and HTTP status travel in `extensions.upstreamCode` / `extensions.upstreamStatus`.
  /** The upstream refused facegraph's credentials (401/403): a configuration problem, not the caller's. */
  UPSTREAM_UNAUTHORIZED: 'bad-gateway',
  /** The upstream kept answering 429 after the retries; retry after `retryAfterSeconds`. */
  UPSTREAM_RATE_LIMITED: 'unavailable',
  /** The upstream answered 5xx, reset the connection or could not be reached. */
  UPSTREAM_UNAVAILABLE: 'bad-gateway',
  /** The upstream did not answer within the configured timeouts. */
  UPSTREAM_TIMEOUT: 'gateway-timeout',
  /** The upstream's answer was not the JSON its contract promises. */
  UPSTREAM_BAD_RESPONSE: 'bad-gateway',
  // Liveness (docs/liveness.md). The client API answers `{ error: { code, message } }` with
  // these HTTP statuses; GraphQL callers see SESSION_NOT_FOUND as a userError.
  /** No liveness session has this id (never existed, deleted or purged). */
  SESSION_NOT_FOUND: 'not-found',
  /** No stored session image has this id. */
  SESSION_IMAGE_NOT_FOUND: 'not-found',
  /** Missing or malformed `Authorization: Bearer`, or a token no session has. */
  TOKEN_INVALID: 'unauthenticated',
  /** The session's authTokenTimeToLiveInSeconds has passed. */
  TOKEN_EXPIRED: 'unauthenticated',
  /** The token belonged to a session that has been deleted (its token is revoked). */
  SESSION_DELETED: 'gone',
  /** The session already has its 3 attempts. */
  ATTEMPTS_EXHAUSTED: 'conflict',
  /** Another attempt upload for the same session is in progress. */
  ATTEMPT_IN_PROGRESS: 'conflict',
  /** The nonce is not this session's current, unused, unexpired challenge. */
  INVALID_NONCE: 'invalid',
  /** The attempt upload is malformed: not multipart, wrong frame count, non-JPEG, bad timestamps... */
  INVALID_FRAMES: 'invalid',
  /** A frame is over 2 MB, or the whole upload is over its limit. */
  FRAMES_TOO_LARGE: 'too-large',
  /** Stored as an attempt's error: a frame of the attempt could not be decoded. */
  FRAME_UNREADABLE: 'invalid',
  /** Stored as an attempt's error: the process stopped while the attempt was being analysed. */
  INTERRUPTED: 'unavailable',
  // Persistent collections (FaceList, LargeFaceList, PersonGroup, LargePersonGroup). Each code
  // serves every kind: `details.collectionKind` names the kind and the REST edge turns it into
  // Azure's per-kind code (PersonGroupNotFound, LargeFaceListNotTrained, ...).
  /** No collection of this kind has this id. */
  COLLECTION_NOT_FOUND: 'not-found',
  /** A collection of this kind already has this id (create). */
  COLLECTION_EXISTS: 'conflict',
  /** The (Large)PersonGroup has no person with this personId. */
  PERSON_NOT_FOUND: 'not-found',
  /** No persisted face with this id in the collection (or person); or the person has no face to verify against. */
  PERSISTED_FACE_NOT_FOUND: 'not-found',
  /** The collection has never been trained successfully and no training is running (identify, LargeFaceList findSimilar, training status). */
  COLLECTION_NOT_TRAINED: 'invalid',
  /** The collection's first training is still running. */
  TRAINING_NOT_FINISHED: 'conflict',
  /** A count limit would be exceeded: collections per kind, faces per list, persons per group, faces per person. */
  QUOTA_EXCEEDED: 'quota-exceeded',
  /** findSimilar in a FaceList that holds no face (Azure: FaceListNotReady). */
  COLLECTION_EMPTY: 'invalid',
  /** Add-face without targetFace on an image with more than one face (Azure: InvalidImage). */
  MULTIPLE_FACES_IN_IMAGE: 'invalid',
  /** No training operation has this operationId (operations are kept in memory: unknown after a restart). */
  OPERATION_NOT_FOUND: 'not-found',
  // facegraph's own HTTP routes.
  /** The request body is over its limit (GraphQL JSON: 9 MB, enough for a 6 MB image as base64; multipart: 10 files). */
  REQUEST_TOO_LARGE: 'too-large',
  /** The request's Content-Type is not one the operation takes. */
  UNSUPPORTED_MEDIA_TYPE: 'unsupported-media-type',
  /** No such route (liveness client API), or the route is off with an upstream provider. */
  NOT_FOUND: 'not-found',
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof ERRORS;

const INFRASTRUCTURE_KINDS: ReadonlySet<ErrorKind> = new Set<ErrorKind>(['unavailable', 'bad-gateway', 'gateway-timeout']);

/** Failures that are the service's, not the input's: GraphQL errors, never userErrors, and the only ones worth retrying. */
export const INFRASTRUCTURE_CODES: ReadonlySet<ErrorCode> = new Set(
  (Object.keys(ERRORS) as ErrorCode[]).filter((code) => INFRASTRUCTURE_KINDS.has(ERRORS[code])),
);

export const isErrorCode = (code: unknown): code is ErrorCode => typeof code === 'string' && Object.hasOwn(ERRORS, code);

export class FaceError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'FaceError';
    this.code = code;
    this.details = details;
  }

  get kind(): ErrorKind {
    return ERRORS[this.code];
  }

  /** The service's failure (retryable), not the caller's input. */
  get isInfrastructure(): boolean {
    return INFRASTRUCTURE_KINDS.has(this.kind);
  }
}

export function isFaceError(value: unknown): value is FaceError {
  return value instanceof FaceError;
}
