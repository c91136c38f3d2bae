/**
 * The liveness store port: sessions, their pending challenge, attempts with their audit record,
 * session images and the tombstones of deleted sessions. Multi-step changes are atomic in every
 * adapter. The embedded adapter is SQLite (src/adapters/store/liveness-store.ts).
 */
import type { FaceRectangle, Level } from '../domain/types.js';
import type { Challenge, LivenessDecision, LivenessOperationMode } from '../domain/liveness/types.js';

export interface VerifyReferenceRecord {
  faceRectangle: FaceRectangle;
  qualityForRecognition: Level | null;
  embedding: Float32Array;
}

export interface SessionRecord {
  /** Creation order (paging cursor). */
  seq: number;
  id: string;
  tokenHash: string;
  mode: LivenessOperationMode;
  deviceCorrelationId: string | null;
  deviceCorrelationIdSetInClient: boolean;
  enableSessionImage: boolean;
  sendResultsToClient: boolean;
  authTokenTtlSeconds: number;
  modelVersion: string;
  /** Epoch milliseconds, from the service clock. */
  createdAt: number;
  tokenExpiresAt: number;
  purgeAt: number;
  startedAt: number | null;
  verifyReference: VerifyReferenceRecord | null;
  /**
   * Null for the embedded engine's own sessions. For a session held by an upstream provider
   * (Azure), the route family it lives under; this row is then only an index (options, order).
   */
  upstreamKind: UpstreamSessionKind | null;
}

export type UpstreamSessionKind = 'detectLiveness' | 'detectLivenessWithVerify';

export type NewSession = Omit<SessionRecord, 'seq' | 'startedAt' | 'upstreamKind'> & { upstreamKind?: UpstreamSessionKind | null };

export type AttemptStatus = 'Running' | 'Succeeded' | 'Failed';

export interface AttemptRecord {
  sessionId: string;
  /** 1-based. */
  attemptId: number;
  status: AttemptStatus;
  decision: LivenessDecision | null;
  targetFace: FaceRectangle | null;
  digest: string;
  sessionImageId: string | null;
  verifyResult: { isIdentical: boolean; matchConfidence: number } | null;
  error: { code: string; message: string } | null;
  createdAt: number;
  finishedAt: number | null;
  clientIp: string;
  requestId: string | null;
  frameCount: number;
  reasons: string[];
  measures: Record<string, number>;
  /** Reported by an upstream provider (Azure v1.2 keeps no audit records): no audit fields. */
  upstream?: boolean;
}

export interface TombstoneRecord {
  sessionId: string;
  deletedAt: number;
}

export interface PendingChallenge {
  challenge: Challenge;
  issuedAt: number;
}

export interface AttemptReservation {
  sessionId: string;
  nonce: string;
  now: number;
  /** A challenge older than this is refused. */
  challengeMaxAgeMs: number;
  maxAttempts: number;
  digest: string;
  clientIp: string;
  requestId: string | null;
  frameCount: number;
}

export type ReserveResult =
  { ok: true; attemptId: number; pending: PendingChallenge } | { ok: false; reason: 'NONCE_MISMATCH' | 'CHALLENGE_EXPIRED' | 'EXHAUSTED' };

export interface AttemptOutcome {
  status: 'Succeeded' | 'Failed';
  decision: LivenessDecision | null;
  targetFace: FaceRectangle | null;
  verifyResult: { isIdentical: boolean; matchConfidence: number } | null;
  error: { code: string; message: string } | null;
  reasons: string[];
  measures: Record<string, number>;
  finishedAt: number;
  sessionImage: { id: string; bytes: Buffer; contentType: string } | null;
}

export interface LivenessStore {
  insertSession(session: NewSession): SessionRecord;
  sessionById(id: string): SessionRecord | null;
  sessionByTokenHash(tokenHash: string): SessionRecord | null;
  tombstoneByTokenHash(tokenHash: string): TombstoneRecord | null;
  /** Newest first: at most `limit` sessions created before the one with `beforeSeq`. */
  listSessions(limit: number, beforeSeq: number | null, upstream?: boolean): SessionRecord[];
  hasSessionNewerThan(seq: number, upstream?: boolean): boolean;
  countSessions(upstream?: boolean): number;
  /**
   * Deletes the session with its challenge, attempts and images (ON DELETE CASCADE, one
   * transaction) and keeps a tombstone of its token hash until the session would have been purged.
   */
  deleteSession(id: string, now: number): boolean;
  markStarted(id: string, now: number): void;
  /** Records the client-supplied device correlation id, once, for sessions created to take it from the client. */
  setClientDeviceCorrelationId(id: string, value: string): void;
  /** Replaces the session's pending challenge (an older unused nonce stops being valid). */
  putChallenge(sessionId: string, challenge: Challenge, now: number): void;
  attempts(sessionId: string): AttemptRecord[];
  attemptCount(sessionId: string): number;
  /**
   * Atomically: checks the nonce against the session's pending challenge, consumes it, checks
   * the attempt budget and inserts a Running attempt. Two concurrent uploads with one nonce: one wins.
   */
  reserveAttempt(r: AttemptReservation): ReserveResult;
  /**
   * Undoes a reservation when the service (not the attempt) failed, e.g. the engine was
   * overloaded: the attempt is not counted and its challenge is valid again, unless a newer one
   * was issued meanwhile.
   */
  releaseAttempt(sessionId: string, attemptId: number, pending: PendingChallenge): void;
  /** Stores the outcome and the session image together. False if the attempt is gone (session deleted meanwhile). */
  finishAttempt(sessionId: string, attemptId: number, o: AttemptOutcome): boolean;
  /**
   * Digests earlier attempts were made with: every other attempt of this session, plus `digest`
   * itself if any other retained attempt (of any session) had it — enough for a membership test
   * without loading every digest.
   */
  previousDigests(sessionId: string, attemptId: number, digest: string): Set<string>;
  /** A stored session image, or null. */
  sessionImage(id: string): { bytes: Buffer; contentType: string } | null;
  /** Removes sessions (and tombstones) whose purge time has passed. */
  purge(now: number): { sessions: number; tombstones: number };
  /** On start: attempts left Running by a stopped process can never finish; mark them Failed. */
  failInterruptedAttempts(now: number): number;
}
