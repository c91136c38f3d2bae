/**
 * The upstream liveness port: sessions held by an upstream face service (Azure AI Face v1.2),
 * wire-neutral. Implemented over undici in src/adapters/azure/upstream-liveness.ts.
 */
import type { FaceRectangle, Level } from '../domain/types.js';
import type { CreateSessionOptions, LivenessDecision, SessionStatus } from '../domain/liveness/types.js';
import type { AttemptStatus, UpstreamSessionKind } from './liveness-store.js';

/** An upstream session, wire-neutral (mapped from Azure's v1.2 shapes by src/azure). */
export interface UpstreamSession {
  id: string;
  /** The bearer token at create; "" on later reads. */
  authToken: string;
  status: SessionStatus;
  modelVersion: string | null;
  attempts: UpstreamAttempt[];
  verifyReference: { faceRectangle: FaceRectangle; qualityForRecognition: Level | null } | null;
}

export interface UpstreamAttempt {
  attemptId: number;
  status: AttemptStatus;
  decision: LivenessDecision | null;
  targetFace: FaceRectangle | null;
  digest: string | null;
  sessionImageId: string | null;
  verifyResult: { isIdentical: boolean; matchConfidence: number } | null;
  error: { code: string; message: string } | null;
}

/** What the upstream client must offer (implemented over undici in src/azure). */
export interface UpstreamLivenessClient {
  create(kind: UpstreamSessionKind, options: CreateSessionOptions, verifyImage: Buffer | null): Promise<UpstreamSession>;
  /** Null when the upstream no longer has the session (SessionNotFound). */
  get(kind: UpstreamSessionKind, id: string): Promise<UpstreamSession | null>;
  /** False when the upstream had no such session. */
  delete(kind: UpstreamSessionKind, id: string): Promise<boolean>;
  /** The JPEG bytes of a session image, or null when the upstream has none with this id. */
  sessionImage(id: string): Promise<Buffer | null>;
}
