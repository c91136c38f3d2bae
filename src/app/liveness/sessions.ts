/**
 * The liveness-session port the GraphQL layer talks to: create, read, list, delete. Two
 * implementations: the embedded engine's own sessions (the liveness store, the capture page at /liveness)
 * and sessions held by an upstream Azure AI Face endpoint (src/liveness/upstream-sessions.ts).
 */
import { FaceError } from '../../domain/errors.js';
import type { DetectedFace } from '../../domain/types.js';
import type { VerifyReferenceRecord } from '../../ports/liveness-store.js';
import type { SessionConnection, SessionView } from './model.js';
import type { CreateSessionOptions } from '../../domain/liveness/types.js';
import type { LivenessService } from './service.js';

/** A liveness-with-verify session's reference image. */
export interface VerifyImage {
  bytes: Buffer;
  /** Detects the reference face (largest face, with its embedding) through the request's loaders. */
  reference(): Promise<VerifyReferenceRecord>;
}

/**
 * A liveness-with-verify session's reference: the largest of the verify image's faces (they come
 * largest first), with its embedding. NO_FACE_IN_IMAGE (with `details`) when there is none.
 */
export function verifyReferenceOf(faces: readonly DetectedFace[], details: Record<string, unknown> = {}): VerifyReferenceRecord {
  const largest = faces[0];
  if (!largest?.embedding) throw new FaceError('NO_FACE_IN_IMAGE', 'No face was detected in verifyImage.', details);
  return {
    faceRectangle: largest.faceRectangle,
    qualityForRecognition: largest.attributes.qualityForRecognition ?? null,
    embedding: largest.embedding,
  };
}

export interface LivenessSessions {
  /** The returned view carries the session's bearer token, shown this once. */
  create(options: CreateSessionOptions, verifyImage: VerifyImage | null): Promise<SessionView>;
  get(id: string): Promise<SessionView | null>;
  list(first: number | null | undefined, after: string | null | undefined): Promise<SessionConnection>;
  /** False when no such session exists. */
  delete(id: string): Promise<boolean>;
  /** A stored session image (the best frame of an attempt), or null. */
  sessionImage(id: string): Promise<{ bytes: Buffer; contentType: string } | null>;
}

/** The embedded engine's sessions: the reference face is detected here, attempts analysed here. */
export class EmbeddedLivenessSessions implements LivenessSessions {
  constructor(private readonly service: LivenessService) {}

  async create(options: CreateSessionOptions, verifyImage: VerifyImage | null): Promise<SessionView> {
    const reference = verifyImage ? await verifyImage.reference() : null;
    return this.service.createSession(options, reference);
  }

  async get(id: string): Promise<SessionView | null> {
    return this.service.session(id);
  }

  async list(first: number | null | undefined, after: string | null | undefined): Promise<SessionConnection> {
    return this.service.sessions(first, after);
  }

  async delete(id: string): Promise<boolean> {
    return (await this.service.session(id)) !== null && this.service.deleteSession(id);
  }

  async sessionImage(id: string): Promise<{ bytes: Buffer; contentType: string } | null> {
    return this.service.sessionImage(id);
  }
}
