/**
 * The liveness store port: sessions, their pending challenge, attempts with their audit record,
 * session images and the tombstones of deleted sessions. Multi-step changes are atomic in every
 * adapter. The embedded adapter is SQLite (src/adapters/store/sqlite-liveness-store.ts); with
 * FACEGRAPH_DATABASE_URL it is PostgreSQL (src/adapters/store/postgres-liveness-store.ts).
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

/** Issues a session's challenge: see LivenessStore.issueChallenge. */
export interface ChallengeIssue {
  sessionId: string;
  challenge: Challenge;
  now: number;
  maxAttempts: number;
}

export type IssueResult = { ok: true; attemptsUsed: number } | { ok: false; reason: 'EXHAUSTED' | 'SESSION_GONE' };

/** A finished attempt's session as it reads right after the finish (same transaction). */
export interface FinishedAttempt {
  session: SessionRecord;
  attempts: AttemptRecord[];
}

/**
 * Every method is async so a networked database (PostgreSQL) can implement it; a write is
 * durable when its promise resolves. Each method is one transaction: a read-then-write sequence
 * that must not interleave with another request (the attempt budget, the nonce, the cascade of
 * a delete) is one method here, never two calls in the use case.
 */
export interface LivenessStore {
  insertSession(session: NewSession): Promise<SessionRecord>;
  sessionById(id: string): Promise<SessionRecord | null>;
  sessionByTokenHash(tokenHash: string): Promise<SessionRecord | null>;
  tombstoneByTokenHash(tokenHash: string): Promise<TombstoneRecord | null>;
  /** Newest first: at most `limit` sessions created before the one with `beforeSeq`. */
  listSessions(limit: number, beforeSeq: number | null, upstream?: boolean): Promise<SessionRecord[]>;
  hasSessionNewerThan(seq: number, upstream?: boolean): Promise<boolean>;
  countSessions(upstream?: boolean): Promise<number>;
  /**
   * Deletes the session with its challenge, attempts and images (ON DELETE CASCADE, one
   * transaction) and keeps a tombstone of its token hash until the session would have been purged.
   */
  deleteSession(id: string, now: number): Promise<boolean>;
  /** Records the client-supplied device correlation id, once, for sessions created to take it from the client. */
  setClientDeviceCorrelationId(id: string, value: string): Promise<void>;
  /**
   * Atomically: checks the attempt budget (EXHAUSTED: nothing changes), replaces the session's
   * pending challenge (an older unused nonce stops being valid) and marks the session started
   * (the first time). SESSION_GONE when the session does not exist (deleted meanwhile).
   */
  issueChallenge(issue: ChallengeIssue): Promise<IssueResult>;
  attempts(sessionId: string): Promise<AttemptRecord[]>;
  attemptCount(sessionId: string): Promise<number>;
  /**
   * Atomically: checks the nonce against the session's pending challenge, consumes it, checks
   * the attempt budget and inserts a Running attempt owned by this store's process. Two
   * concurrent uploads with one nonce (through one process or several): one wins.
   */
  reserveAttempt(r: AttemptReservation): Promise<ReserveResult>;
  /**
   * Undoes a reservation when the service (not the attempt) failed, e.g. the engine was
   * overloaded: the attempt is not counted and its challenge is valid again, unless a newer one
   * was issued meanwhile.
   */
  releaseAttempt(sessionId: string, attemptId: number, pending: PendingChallenge): Promise<void>;
  /**
   * Stores the outcome and the session image together, and answers the session and its attempts
   * as they read after it. Null, storing nothing, if the attempt is no longer Running (its
   * session was deleted meanwhile, or it was failed as interrupted).
   */
  finishAttempt(sessionId: string, attemptId: number, o: AttemptOutcome): Promise<FinishedAttempt | null>;
  /**
   * Digests earlier attempts were made with: every other attempt of this session, plus `digest`
   * itself if any other retained attempt (of any session) had it — enough for a membership test
   * without loading every digest.
   */
  previousDigests(sessionId: string, attemptId: number, digest: string): Promise<Set<string>>;
  /** A stored session image, or null. */
  sessionImage(id: string): Promise<{ bytes: Buffer; contentType: string } | null>;
  /** Removes sessions (and tombstones) whose purge time has passed. */
  purge(now: number): Promise<{ sessions: number; tombstones: number }>;
  /**
   * Attempts left Running by a process that has stopped can never finish: marks them Failed
   * (INTERRUPTED). Attempts of a process still running — this one, or another replica on a
   * shared database — are left alone: each attempt records the store instance that reserved it,
   * and each adapter knows which instances are alive (SQLite: only itself, a data directory
   * serves one process; PostgreSQL: the instances holding their advisory lock).
   */
  failInterruptedAttempts(now: number): Promise<number>;
  /** Releases what the store holds of its own (not a database handle it was given). */
  close(): Promise<void>;
}
