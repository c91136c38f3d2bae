/**
 * Rows of the liveness tables as both liveness stores read them (SQLite and PostgreSQL share one
 * schema and column names), and their domain records: one mapping for both adapters. Flags are
 * INTEGER 0/1 in SQLite and boolean in PostgreSQL; JSON columns are text in both.
 */
import type { FaceRectangle, Level } from '../../domain/types.js';
import type { Challenge, LivenessDecision, LivenessOperationMode } from '../../domain/liveness/types.js';
import type { AttemptRecord, AttemptStatus, PendingChallenge, SessionRecord, UpstreamSessionKind } from '../../ports/liveness-store.js';
import { blobToEmbedding } from './embedding-bytes.js';

/** SQLite's 0/1 or PostgreSQL's boolean. */
type Flag = number | boolean;
const isSet = (f: Flag): boolean => f === true || f === 1;

export interface SessionRow {
  seq: number;
  id: string;
  token_hash: string;
  mode: LivenessOperationMode;
  device_correlation_id: string | null;
  device_correlation_id_set_in_client: Flag;
  enable_session_image: Flag;
  send_results_to_client: Flag;
  auth_token_ttl_seconds: number;
  model_version: string;
  created_at: number;
  token_expires_at: number;
  purge_at: number;
  started_at: number | null;
  verify_face_rectangle: string | null;
  verify_quality: string | null;
  verify_embedding: Buffer | null;
  upstream_kind: UpstreamSessionKind | null;
}

export interface AttemptRow {
  session_id: string;
  attempt_id: number;
  status: AttemptStatus;
  decision: LivenessDecision | null;
  target_face: string | null;
  digest: string;
  session_image_id: string | null;
  verify_is_identical: Flag | null;
  verify_match_confidence: number | null;
  error_code: string | null;
  error_message: string | null;
  created_at: number;
  finished_at: number | null;
  client_ip: string;
  request_id: string | null;
  frame_count: number;
  reasons: string;
  measures: string;
}

export interface ChallengeRow {
  nonce: string;
  challenge: string;
  issued_at: number;
}

export const SESSION_COLUMNS = `seq, id, token_hash, mode, device_correlation_id, device_correlation_id_set_in_client,
  enable_session_image, send_results_to_client, auth_token_ttl_seconds, model_version, created_at,
  token_expires_at, purge_at, started_at, verify_face_rectangle, verify_quality, verify_embedding, upstream_kind`;

/** Every column of AttemptRow (not `owner`, which is the stores' own business). */
export const ATTEMPT_COLUMNS = `session_id, attempt_id, status, decision, target_face, digest, session_image_id,
  verify_is_identical, verify_match_confidence, error_code, error_message, created_at, finished_at, client_ip,
  request_id, frame_count, reasons, measures`;

/** What an attempt left Running by a stopped process is failed with. */
export const INTERRUPTED = { code: 'INTERRUPTED', message: 'The server stopped while this attempt was being analysed.' } as const;

export function toSession(r: SessionRow): SessionRecord {
  return {
    seq: r.seq,
    id: r.id,
    tokenHash: r.token_hash,
    mode: r.mode,
    deviceCorrelationId: r.device_correlation_id,
    deviceCorrelationIdSetInClient: isSet(r.device_correlation_id_set_in_client),
    enableSessionImage: isSet(r.enable_session_image),
    sendResultsToClient: isSet(r.send_results_to_client),
    authTokenTtlSeconds: r.auth_token_ttl_seconds,
    modelVersion: r.model_version,
    createdAt: r.created_at,
    tokenExpiresAt: r.token_expires_at,
    purgeAt: r.purge_at,
    startedAt: r.started_at,
    verifyReference:
      r.verify_face_rectangle && r.verify_embedding
        ? {
            faceRectangle: JSON.parse(r.verify_face_rectangle) as FaceRectangle,
            qualityForRecognition: (r.verify_quality as Level | null) ?? null,
            embedding: blobToEmbedding(r.verify_embedding),
          }
        : null,
    upstreamKind: r.upstream_kind,
  };
}

export function toAttempt(r: AttemptRow): AttemptRecord {
  return {
    sessionId: r.session_id,
    attemptId: r.attempt_id,
    status: r.status,
    decision: r.decision,
    targetFace: r.target_face ? (JSON.parse(r.target_face) as FaceRectangle) : null,
    digest: r.digest,
    sessionImageId: r.session_image_id,
    verifyResult:
      r.verify_is_identical !== null && r.verify_match_confidence !== null
        ? { isIdentical: isSet(r.verify_is_identical), matchConfidence: r.verify_match_confidence }
        : null,
    error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
    clientIp: r.client_ip,
    requestId: r.request_id,
    frameCount: r.frame_count,
    reasons: JSON.parse(r.reasons) as string[],
    measures: JSON.parse(r.measures) as Record<string, number>,
  };
}

/** Challenges stored before the light challenge existed have no light and start their steps at once. */
export const toPending = (r: ChallengeRow): PendingChallenge => ({
  challenge: { light: [], stepsStartMs: 0, ...(JSON.parse(r.challenge) as Partial<Challenge>) } as Challenge,
  issuedAt: r.issued_at,
});
