/**
 * Azure AI Face v1.2 liveness sessions (reference §4b, §4c): guards for the wire types of
 * src/contracts/azure-face-v1.2.ts, a typed client over the shared transport, and pure mappings
 * from the wire to a neutral shape the GraphQL layer can serve (the names follow
 * schema/liveness.graphql).
 *
 * Creates and deletes are never retried (a lost answer may mean the session exists, or is
 * gone); GETs are.
 */
import { randomBytes } from 'node:crypto';
import type { FaceRectangle, Level } from '../../domain/types.js';
import type { LivenessDecision, SessionStatus } from '../../domain/liveness/types.js';
import type {
  WireCreateLivenessSessionBody,
  WireCreateLivenessWithVerifySessionFields,
  WireLivenessAttempt,
  WireLivenessSession,
  WireLivenessTargets,
  WireLivenessWithVerifySession,
  WireVerifyReference,
} from '../../contracts/azure-face-v1.2.js';
import { arrayOf, boolean, type Guard, integer, number, object, oneOf, optional, string } from './guard.js';
import type { AzureHttpClient } from './http.js';
import { faceRectangleGuard } from './wire.js';

// ---------------------------------------------------------------------------------------------
// Requests

export type LivenessSessionKind = 'liveness' | 'livenessWithVerify';

const SESSION_ROUTES: Record<LivenessSessionKind, string> = {
  liveness: '/detectLiveness-sessions',
  livenessWithVerify: '/detectLivenessWithVerify-sessions',
};

// ---------------------------------------------------------------------------------------------
// Guards (stricter than the contract where the spec is: a result's targets and digest and a
// verify reference's qualityForRecognition are required from Azure)

const operationState = oneOf(['NotStarted', 'Running', 'Succeeded', 'Failed', 'Canceled'] as const);
const decision = oneOf(['uncertain', 'realface', 'spoofface'] as const);
/** Compared without regard to case: a published v1.2 example spells it "realFace" (test/fixtures/azure/SOURCE.md). */
const livenessDecision = optional((v: unknown, path: string): LivenessDecision =>
  decision(typeof v === 'string' ? v.toLowerCase() : v, path),
);
const targets: Guard<WireLivenessTargets> = object({ color: object({ faceRectangle: faceRectangleGuard }) });

const attemptGuard: Guard<WireLivenessAttempt> = object({
  attemptId: integer,
  attemptStatus: operationState,
  result: optional(
    object({
      livenessDecision,
      targets,
      digest: string,
      sessionImageId: optional(string),
      verifyResult: optional(object({ matchConfidence: number, isIdentical: boolean })),
      verifyImageHash: optional(string),
    }),
  ),
  error: optional(object({ code: string, message: string, targets: optional(targets) })),
});

const verifyReferenceGuard: Guard<WireVerifyReference> = object({
  referenceType: optional(string),
  faceRectangle: faceRectangleGuard,
  qualityForRecognition: oneOf(['low', 'medium', 'high'] as const),
});

export const livenessSessionGuard: Guard<WireLivenessSession> = object({
  sessionId: string,
  authToken: string,
  status: operationState,
  modelVersion: optional(string),
  results: object({ attempts: arrayOf(attemptGuard), verifyReferences: optional(arrayOf(verifyReferenceGuard)) }),
});

// ---------------------------------------------------------------------------------------------
// Neutral shape

export interface LivenessVerifyReferenceView {
  referenceType: string | null;
  faceRectangle: FaceRectangle;
  /** Null only if the wire omitted it (the guard does not let Azure omit it). */
  qualityForRecognition: Level | null;
}

export interface LivenessAttemptView {
  attemptId: number;
  attemptStatus: SessionStatus;
  /** Set when the attempt reached a decision. */
  result: {
    /** Null only if the upstream omitted it (the wire allows that). */
    livenessDecision: LivenessDecision | null;
    /** targets.color.faceRectangle */
    targetFace: FaceRectangle | null;
    /** Null only if the wire omitted it (the guard does not let Azure omit it). */
    digest: string | null;
    sessionImageId: string | null;
    verifyResult: { matchConfidence: number; isIdentical: boolean } | null;
    verifyImageHash: string | null;
  } | null;
  /** Set when the attempt failed without a decision (e.g. FaceWithMaskDetected). */
  error: { code: string; message: string; targetFace: FaceRectangle | null } | null;
}

export interface LivenessSessionView {
  kind: LivenessSessionKind;
  id: string;
  /** Only a create carries the token; "" on reads, as Azure. */
  authToken: string;
  status: SessionStatus;
  modelVersion: string | null;
  /** Oldest first. */
  attempts: LivenessAttemptView[];
  /** Liveness-with-verify: the reference face(s); [] for a plain session. */
  verifyReferences: LivenessVerifyReferenceView[];
}

export function toLivenessSessionView(kind: LivenessSessionKind, wire: WireLivenessSession): LivenessSessionView {
  return {
    kind,
    id: wire.sessionId,
    authToken: wire.authToken,
    status: wire.status,
    modelVersion: wire.modelVersion ?? null,
    attempts: [...wire.results.attempts].sort((a, b) => a.attemptId - b.attemptId).map(toAttemptView),
    verifyReferences: (wire.results.verifyReferences ?? []).map((r) => ({
      referenceType: r.referenceType ?? null,
      faceRectangle: { ...r.faceRectangle },
      qualityForRecognition: r.qualityForRecognition ?? null,
    })),
  };
}

export function toAttemptView(a: WireLivenessAttempt): LivenessAttemptView {
  return {
    attemptId: a.attemptId,
    attemptStatus: a.attemptStatus,
    result: a.result
      ? {
          livenessDecision: a.result.livenessDecision ?? null,
          targetFace: a.result.targets ? { ...a.result.targets.color.faceRectangle } : null,
          digest: a.result.digest ?? null,
          sessionImageId: a.result.sessionImageId ?? null,
          verifyResult: a.result.verifyResult
            ? { matchConfidence: a.result.verifyResult.matchConfidence, isIdentical: a.result.verifyResult.isIdentical }
            : null,
          verifyImageHash: a.result.verifyImageHash ?? null,
        }
      : null,
    error: a.error
      ? { code: a.error.code, message: a.error.message, targetFace: a.error.targets ? { ...a.error.targets.color.faceRectangle } : null }
      : null,
  };
}

// ---------------------------------------------------------------------------------------------
// multipart/form-data (liveness-with-verify create)

export interface MultipartBody {
  contentType: string;
  data: Buffer;
}

/**
 * One text/plain part per field (booleans and numbers as their JSON text, as the recorded SDK
 * traffic sends them) and the image as a file part named `verifyImage`. Written by hand: a
 * dozen lines, and the exact bytes are under facegraph's control and easy to test.
 */
export function encodeVerifySessionMultipart(
  fields: WireCreateLivenessWithVerifySessionFields,
  verifyImage: Buffer,
  boundary = `----facegraph${randomBytes(12).toString('hex')}`,
): MultipartBody {
  const parts: Buffer[] = [];
  const crlf = '\r\n';
  for (const [name, value] of Object.entries(fields) as Array<[string, unknown]>) {
    if (value === undefined || value === null) continue;
    parts.push(
      Buffer.from(
        `--${boundary}${crlf}Content-Disposition: form-data; name="${name}"${crlf}Content-Type: text/plain; charset=utf-8${crlf}${crlf}${typeof value === 'string' ? value : JSON.stringify(value)}${crlf}`,
        'utf8',
      ),
    );
  }
  parts.push(
    Buffer.from(
      `--${boundary}${crlf}Content-Disposition: form-data; name="verifyImage"; filename="verifyImage.jpg"${crlf}Content-Type: application/octet-stream${crlf}${crlf}`,
      'utf8',
    ),
  );
  parts.push(verifyImage);
  parts.push(Buffer.from(`${crlf}--${boundary}--${crlf}`, 'utf8'));
  return { contentType: `multipart/form-data; boundary=${boundary}`, data: Buffer.concat(parts) };
}

// ---------------------------------------------------------------------------------------------
// Client

/** Session images are JPEGs of about 0.7 MB in real traffic. */
const MAX_SESSION_IMAGE_BYTES = 16 * 1024 * 1024;

const sessionRoute = (kind: LivenessSessionKind, id: string): string => `${SESSION_ROUTES[kind]}/${encodeURIComponent(id)}`;

export class AzureLivenessClient {
  constructor(private readonly http: AzureHttpClient) {}

  /** POST /detectLiveness-sessions (JSON). Never retried. */
  createLivenessSession(body: WireCreateLivenessSessionBody): Promise<WireLivenessSession> {
    return this.http.json(
      {
        operation: 'createLivenessSession',
        method: 'POST',
        route: SESSION_ROUTES.liveness,
        body: { contentType: 'application/json', data: JSON.stringify(body) },
        idempotent: false,
      },
      livenessSessionGuard,
    );
  }

  /** POST /detectLivenessWithVerify-sessions (multipart/form-data). Never retried. */
  createLivenessWithVerifySession(
    fields: WireCreateLivenessWithVerifySessionFields,
    verifyImage: Buffer,
  ): Promise<WireLivenessWithVerifySession> {
    const body = encodeVerifySessionMultipart(fields, verifyImage);
    return this.http.json(
      { operation: 'createLivenessWithVerifySession', method: 'POST', route: SESSION_ROUTES.livenessWithVerify, body, idempotent: false },
      livenessSessionGuard,
    );
  }

  /** GET /detectLiveness[WithVerify]-sessions/{id}. Unknown id: SESSION_NOT_FOUND. */
  getLivenessSession(kind: LivenessSessionKind, sessionId: string): Promise<WireLivenessSession> {
    return this.http.json(
      { operation: 'getLivenessSession', method: 'GET', route: sessionRoute(kind, sessionId), idempotent: true },
      livenessSessionGuard,
    );
  }

  /** DELETE /detectLiveness[WithVerify]-sessions/{id}: 204 in v1.2 (200 in the previews, accepted too). Never retried. */
  deleteLivenessSession(kind: LivenessSessionKind, sessionId: string): Promise<void> {
    return this.http.noContent({
      operation: 'deleteLivenessSession',
      method: 'DELETE',
      route: sessionRoute(kind, sessionId),
      idempotent: false,
    });
  }

  /** GET /sessionImages/{id}: the JPEG bytes. */
  getSessionImage(sessionImageId: string): Promise<Buffer> {
    return this.http.bytes({
      operation: 'getSessionImage',
      method: 'GET',
      route: `/sessionImages/${encodeURIComponent(sessionImageId)}`,
      idempotent: true,
      maxBodyBytes: MAX_SESSION_IMAGE_BYTES,
      notFound: 'SESSION_IMAGE_NOT_FOUND',
    });
  }
}
