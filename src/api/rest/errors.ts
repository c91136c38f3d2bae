/**
 * Azure AI Face's error envelope for the REST surface: `{"error":{"code","message"}}` with
 * Azure's HTTP statuses and codes, plus `innererror: {code, message}` carrying facegraph's own
 * FaceError code when there is one (Azure's envelope allows `innererror`; facegraph's Azure
 * provider reads it back to round-trip exact codes). Every error also gets `x-ms-error-code`.
 */
import type { Response } from 'express';
import type { CollectionKind } from '../../domain/collections.js';
import { FaceError, type ErrorCode } from '../../domain/errors.js';
import type { Logger } from '../../platform/logger.js';
import { noteAnsweredError } from '../shared/observe.js';
import type { WireFaceErrorResponse, WireInnerError } from '../../contracts/azure-face-v1.2.js';
import { AZURE_COLLECTION_ERRORS, azureCodesByKind, type CollectionErrorCode } from '../../contracts/azure-collection-errors.js';

/** What facegraph puts in `innererror`: always both members. */
export type InnerError = Required<WireInnerError>;

/** An error already in Azure's vocabulary: status, code, message, optional inner error and headers. */
export class AzureError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly inner: InnerError | null = null,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'AzureError';
  }
}

// ---- the errors the REST layer raises itself ----------------------------------------------

/** 400 BadArgument; `inner` is facegraph's precise reason when one applies. */
export const badArgument = (message: string, inner: InnerError | null = null): AzureError =>
  new AzureError(400, 'BadArgument', message, inner);

/** 400 BadArgument naming an out-of-range or malformed argument (innererror INVALID_ARGUMENT). */
export const invalidArgument = (message: string, precise: string = message): AzureError =>
  badArgument(message, { code: 'INVALID_ARGUMENT', message: precise });

export const invalidRequestBody = (message = 'Request body is invalid.'): AzureError => new AzureError(400, 'InvalidRequestBody', message);

export const jsonParsingError = (): AzureError => badArgument('JSON parsing error.');

/** What Azure's front end answers for a Content-Type the operation does not take. */
export const invalidMediaType = (expected: string): AzureError =>
  new AzureError(415, 'BadArgument', 'Invalid Media Type.', {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: `This operation takes ${expected}.`,
  });

export const resourceNotFound = (): AzureError => new AzureError(404, '404', 'Resource not found');

/** Azure's exact 401 body (reference §5). */
export const UNAUTHORIZED_MESSAGE =
  'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.';
export const unauthorized = (): AzureError => new AzureError(401, '401', UNAUTHORIZED_MESSAGE);

export const SESSION_NOT_FOUND_MESSAGE = 'Session ID is not found. The session ID is expired or does not exist.';
export const sessionNotFound = (): AzureError => new AzureError(404, 'SessionNotFound', SESSION_NOT_FOUND_MESSAGE);

// ---- FaceError -> Azure --------------------------------------------------------------------

interface Mapping {
  status: number;
  /** Azure's code; the one of the FaceError's `details.collectionKind` when `byKind` has it. */
  code: string;
  /** Azure's canonical message; null keeps facegraph's own (more precise) message outside too. */
  message: string | null;
  /** Per-kind Azure codes of the collection codes (PersonGroupNotFound, LargeFaceListNotFound, ...). */
  byKind?: Partial<Record<CollectionKind, string>>;
}

const m = (status: number, code: string, message: string | null = null): Mapping => ({ status, code, message });

/** A collection code's Azure code(s) and status: the shared table (contracts/azure-collection-errors.ts). */
function collection(code: CollectionErrorCode): Mapping {
  const row = AZURE_COLLECTION_ERRORS[code];
  const byKind = azureCodesByKind(code);
  const first = Object.values(byKind)[0];
  // A per-kind code answers its first kind's code when the FaceError has no kind, which the use cases never raise.
  return { status: row.status, code: first ?? row.azure, message: null, byKind };
}
const DECODING = 'Decoding error, image format unsupported.';
const TOO_BIG = 'Image size is too big.';
const DOWNLOAD = 'Invalid image URL or error downloading from target server.';
const RATE_LIMITED = 'Rate limit is exceeded. Try again later.';

/**
 * Every FaceError code, so a new code cannot reach a REST client unmapped (tsc fails first).
 * Codes the REST routes never produce (the liveness client API's) still get a sensible answer.
 */
const MAPPINGS: Record<ErrorCode, Mapping> = {
  INVALID_IMAGE_INPUT: m(400, 'BadArgument', 'Request body is invalid.'),
  INVALID_BASE64: m(400, 'BadArgument', 'Request body is invalid.'),
  IMAGE_TOO_SMALL: m(400, 'InvalidImageSize', 'Image size is too small.'),
  IMAGE_TOO_LARGE: m(400, 'InvalidImageSize', TOO_BIG),
  // Azure accepts BMP; libvips cannot read it, so facegraph reports it as an undecodable format.
  UNSUPPORTED_IMAGE_FORMAT: m(400, 'InvalidImage', DECODING),
  CORRUPT_IMAGE: m(400, 'InvalidImage', DECODING),
  IMAGE_DIMENSIONS_TOO_LARGE: m(400, 'InvalidImageSize', TOO_BIG),
  INVALID_URL: m(400, 'InvalidURL', 'Invalid image URL.'),
  URL_FORBIDDEN: m(400, 'InvalidURL', 'Invalid image URL.'),
  URL_FETCH_FAILED: m(400, 'InvalidURL', DOWNLOAD),
  URL_TIMEOUT: m(400, 'InvalidURL', DOWNLOAD),
  INVALID_ARGUMENT: m(400, 'BadArgument'),
  // 404 in verify; findsimilars and group pass `faceNotFoundStatus: 400` (reference §5).
  FACE_NOT_FOUND: m(404, 'FaceNotFound', 'Face is not found.'),
  RECOGNITION_MODEL_MISMATCH: m(400, 'BadArgument', "'recognitionModel' is incompatible."),
  NO_FACE_IN_IMAGE: m(400, 'InvalidImage', 'No face detected in the image.'),
  INVALID_FACE_REF: m(400, 'BadArgument', 'Request body is invalid.'),
  DUPLICATE_FACE_ID: m(400, 'BadArgument'),
  UNSUPPORTED_ATTRIBUTE: m(400, 'BadArgument'),
  OVERLOADED: m(429, '429', RATE_LIMITED),
  ENGINE_UNAVAILABLE: m(503, 'ServiceUnavailable', 'The service is temporarily unavailable. Try again later.'),
  STORE_UNAVAILABLE: m(503, 'ServiceUnavailable', 'The service is temporarily unavailable. Try again later.'),
  UNAUTHENTICATED: m(401, '401', UNAUTHORIZED_MESSAGE),
  RATE_LIMITED: m(429, '429', RATE_LIMITED),
  // The upstream's failures (Azure provider): facegraph is the gateway that failed.
  UPSTREAM_UNAUTHORIZED: m(502, 'BadGateway', "The upstream face service refused facegraph's credentials."),
  UPSTREAM_RATE_LIMITED: m(429, '429', RATE_LIMITED),
  UPSTREAM_UNAVAILABLE: m(502, 'BadGateway', 'The upstream face service is unavailable. Try again later.'),
  UPSTREAM_TIMEOUT: m(504, 'GatewayTimeout', 'The upstream face service did not answer in time.'),
  UPSTREAM_BAD_RESPONSE: m(502, 'BadGateway', 'The upstream face service sent an invalid response.'),
  SESSION_NOT_FOUND: m(404, 'SessionNotFound', SESSION_NOT_FOUND_MESSAGE),
  SESSION_IMAGE_NOT_FOUND: m(404, 'SessionImageNotFound', 'Session image ID is not found. The session image is expired or does not exist.'),
  TOKEN_INVALID: m(401, '401', UNAUTHORIZED_MESSAGE),
  TOKEN_EXPIRED: m(401, '401', UNAUTHORIZED_MESSAGE),
  SESSION_DELETED: m(404, 'SessionNotFound', SESSION_NOT_FOUND_MESSAGE),
  ATTEMPTS_EXHAUSTED: m(409, 'Conflict'),
  ATTEMPT_IN_PROGRESS: m(409, 'Conflict'),
  INVALID_NONCE: m(400, 'BadArgument'),
  INVALID_FRAMES: m(400, 'BadArgument'),
  FRAMES_TOO_LARGE: m(400, 'InvalidImageSize', TOO_BIG),
  FRAME_UNREADABLE: m(400, 'InvalidImage', DECODING),
  INTERRUPTED: m(503, 'ServiceUnavailable', 'The service is temporarily unavailable. Try again later.'),
  // Collections (reference §3 and §5). NotFound is 404 on the management routes and 400 in
  // identify / verify / findsimilars (`collectionNotFoundStatus`); NotTrained is 400 in identify
  // and findsimilars and 404 on GET .../training (`notTrainedStatus`).
  COLLECTION_NOT_FOUND: collection('COLLECTION_NOT_FOUND'),
  COLLECTION_EXISTS: collection('COLLECTION_EXISTS'),
  PERSON_NOT_FOUND: collection('PERSON_NOT_FOUND'),
  PERSISTED_FACE_NOT_FOUND: collection('PERSISTED_FACE_NOT_FOUND'),
  COLLECTION_NOT_TRAINED: collection('COLLECTION_NOT_TRAINED'),
  TRAINING_NOT_FINISHED: collection('TRAINING_NOT_FINISHED'),
  QUOTA_EXCEEDED: collection('QUOTA_EXCEEDED'),
  COLLECTION_EMPTY: collection('COLLECTION_EMPTY'),
  MULTIPLE_FACES_IN_IMAGE: m(400, 'InvalidImage', 'There is more than 1 face in the image.'),
  OPERATION_NOT_FOUND: collection('OPERATION_NOT_FOUND'),
  REQUEST_TOO_LARGE: m(400, 'InvalidImageSize', TOO_BIG),
  UNSUPPORTED_MEDIA_TYPE: m(415, 'BadArgument', 'Invalid Media Type.'),
  NOT_FOUND: m(404, '404', 'Resource not found'),
};

export interface MappingContext {
  /** FaceNotFound is 404 in verify and 400 in identify / findSimilar / group. */
  faceNotFoundStatus?: 400 | 404;
  /** {Kind}NotFound of a collection is 404 on its own routes and 400 in identify / verify / findsimilars. */
  collectionNotFoundStatus?: 400 | 404;
  /** {Kind}NotTrained is 400 in identify / findsimilars and 404 on GET .../training. */
  notTrainedStatus?: 400 | 404;
}

function statusIn(code: ErrorCode, status: number, context: MappingContext): number {
  if (code === 'FACE_NOT_FOUND') return context.faceNotFoundStatus ?? status;
  if (code === 'COLLECTION_NOT_FOUND') return context.collectionNotFoundStatus ?? status;
  if (code === 'COLLECTION_NOT_TRAINED') return context.notTrainedStatus ?? status;
  return status;
}

export function fromFaceError(err: FaceError, context: MappingContext = {}): AzureError {
  const mapping = MAPPINGS[err.code];
  const status = statusIn(err.code, mapping.status, context);
  const kind = err.details.collectionKind;
  const code = (typeof kind === 'string' && mapping.byKind?.[kind as CollectionKind]) || mapping.code;
  const headers: Record<string, string> = {};
  const retryAfter = err.details.retryAfterSeconds;
  if (typeof retryAfter === 'number' && Number.isFinite(retryAfter)) headers['Retry-After'] = String(Math.max(1, Math.ceil(retryAfter)));
  return new AzureError(status, code, mapping.message ?? err.message, { code: err.code, message: err.message }, headers);
}

/** Runs `fn`, re-raising a FaceError in Azure's vocabulary under `context`. */
export async function mapping<T>(context: MappingContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw err instanceof FaceError ? fromFaceError(err, context) : err;
  }
}

/** Writes the Azure error envelope; anything not ours is a 500 with a generic message, logged. */
export function sendError(res: Response, err: unknown, logger: Logger, path: string): void {
  let error: AzureError;
  if (err instanceof AzureError) error = err;
  else if (err instanceof FaceError) error = fromFaceError(err);
  else {
    logger.error({ err, requestId: res.locals.requestId, path }, 'REST route failed');
    error = new AzureError(500, 'InternalServerError', 'An internal server error occurred.');
  }
  if (res.headersSent) {
    // A streamed body cannot be turned into an error any more; cut the connection instead.
    res.destroy();
    return;
  }
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.setHeader('x-ms-error-code', error.code);
  noteAnsweredError(res, error.code, error.inner?.code ?? '');
  const body: WireFaceErrorResponse = { error: { code: error.code, message: error.message } };
  if (error.inner) body.error.innererror = error.inner;
  res.status(error.status).json(body);
}
