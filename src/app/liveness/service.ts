/**
 * Liveness sessions, end to end: create / read / list / delete for server-side callers, and the
 * token-authenticated client flow (fetch a challenge, submit an attempt). Orchestrates the
 * store (src/store), the engine (FaceProvider.detect per frame), the decision (decision.ts) and
 * the verify maths; knows nothing of HTTP or GraphQL. Every time comes from the injected clock.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { FaceError } from '../../domain/errors.js';
import type { FaceProvider } from '../../ports/face-provider.js';
import type { Clock } from '../../ports/clock.js';
import { verify } from '../../domain/similarity.js';
import type { FaceRectangle } from '../../domain/types.js';
import type { Logger } from '../../platform/logger.js';
import type { AttemptOutcome, AttemptRecord, LivenessStore, SessionRecord, UpstreamSessionKind, VerifyReferenceRecord } from '../../ports/liveness-store.js';
import { analyseFrames, framesDigest, FrameUnreadableError } from './analysis.js';
import { createChallenge } from '../../domain/liveness/challenge.js';
import { decideAttempt } from '../../domain/liveness/decision.js';
import type { Page, SessionConnection, SessionView } from './model.js';
import { MAX_ATTEMPTS, type Challenge, type ChallengeStep, type CreateSessionOptions, type DecisionResult, type FrameAnalysis, type LivenessDecision, type LivenessOperationMode, type SessionStatus } from '../../domain/liveness/types.js';
import { FRAME_LIMITS, type AttemptUpload } from './upload.js';

/** Attempts per session (Azure: "up to 3 retries"). */
/** A challenge must be answered within this time of being issued. */
export const CHALLENGE_MAX_AGE_MS = 5 * 60_000;
export const TOKEN_TTL_SECONDS = Object.freeze({ min: 60, max: 86_400, default: 600 });
export const MAX_DEVICE_CORRELATION_ID = 64;
export const PAGE_SIZE = Object.freeze({ min: 1, max: 100, default: 20 });
/** Reported as the session's modelVersion: the embedded engine's liveness pipeline, not an Azure model. */
export const LIVENESS_MODEL_VERSION = 'facegraph-embedded-1';

export interface LivenessServiceOptions {
  store: LivenessStore;
  provider: FaceProvider;
  clock: Clock;
  logger: Logger;
  retentionSeconds: number;
  purgeIntervalMs: number;
  maxConcurrentAttempts: number;
}

/** createLivenessSession's input as the GraphQL layer hands it over (enum already mapped). */
export interface CreateSessionInput {
  livenessOperationMode: LivenessOperationMode;
  deviceCorrelationId?: string | null;
  deviceCorrelationIdSetInClient?: boolean | null;
  enableSessionImage?: boolean | null;
  authTokenTimeToLiveInSeconds?: number | null;
  sendResultsToClient?: boolean | null;
}

/** What GET /liveness/api/session answers. */
export interface ClientSessionDocument {
  sessionId: string;
  livenessOperationMode: LivenessOperationMode;
  challenge: { nonce: string; steps: ChallengeStep[]; stepTimeoutMs: number };
  frames: typeof FRAME_LIMITS;
  sendResultsToClient: boolean;
  attemptsLeft: number;
  tokenExpiresAt: string;
}

/** What POST /liveness/api/attempts answers. */
export interface AttemptResponse {
  attemptId: number;
  attemptsLeft: number;
  /** The attempt's status: Succeeded (a decision was made) or Failed (see error). */
  status: 'Succeeded' | 'Failed';
  sessionStatus: SessionStatus;
  /** Only when the session was created with sendResultsToClient. */
  result: { livenessDecision: LivenessDecision } | null;
  error: { code: string; message: string } | null;
}

export interface AttemptMeta {
  clientIp: string;
  requestId: string | null;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

const argumentError = (message: string, field: string): FaceError =>
  new FaceError('INVALID_ARGUMENT', message, { argument: `input.${field}`, field: ['input', field] });

/** Azure's create rules (§4b): token lifetime 60–86400 s; device correlation id ≤ 64 chars, required unless set in the client. */
export function validateCreateInput(input: CreateSessionInput): CreateSessionOptions {
  const ttl = input.authTokenTimeToLiveInSeconds ?? TOKEN_TTL_SECONDS.default;
  if (!Number.isInteger(ttl) || ttl < TOKEN_TTL_SECONDS.min || ttl > TOKEN_TTL_SECONDS.max) {
    throw argumentError(`authTokenTimeToLiveInSeconds must be within ${TOKEN_TTL_SECONDS.min} to ${TOKEN_TTL_SECONDS.max}; got ${ttl}.`, 'authTokenTimeToLiveInSeconds');
  }
  const setInClient = input.deviceCorrelationIdSetInClient ?? false;
  const id = input.deviceCorrelationId ?? null;
  if (setInClient) {
    if (id !== null) {
      throw argumentError('deviceCorrelationId must be null when deviceCorrelationIdSetInClient is true: the client sends it.', 'deviceCorrelationId');
    }
  } else {
    checkDeviceCorrelationId(id, (message) => argumentError(message, 'deviceCorrelationId'));
  }
  return {
    mode: input.livenessOperationMode,
    deviceCorrelationId: id,
    deviceCorrelationIdSetInClient: setInClient,
    enableSessionImage: input.enableSessionImage ?? false,
    authTokenTtlSeconds: ttl,
    sendResultsToClient: input.sendResultsToClient ?? false,
  };
}

function checkDeviceCorrelationId(id: string | null, error: (message: string) => Error): asserts id is string {
  if (id === null || id.trim() === '' || id.length > MAX_DEVICE_CORRELATION_ID) {
    throw error(`deviceCorrelationId must not be null or empty, and be no more than ${MAX_DEVICE_CORRELATION_ID} characters.`);
  }
}

/**
 * The session status, derived from its attempts and the clock (Azure OperationState):
 * NotStarted until the client fetches the session; Running while the client works (also after
 * a failed attempt that leaves retries); Succeeded once the latest attempt produced a decision;
 * Failed when the latest attempt errored and no retry is possible (no attempt left, or the token
 * expired); Canceled when the token expired before any attempt was made.
 */
export function deriveStatus(session: SessionRecord, attempts: readonly AttemptRecord[], now: number): SessionStatus {
  const last = attempts.at(-1);
  const tokenExpired = now >= session.tokenExpiresAt;
  if (!last) {
    if (tokenExpired) return 'Canceled';
    return session.startedAt === null ? 'NotStarted' : 'Running';
  }
  if (last.status === 'Running') return 'Running';
  if (last.status === 'Succeeded') return 'Succeeded';
  return attempts.length >= MAX_ATTEMPTS || tokenExpired ? 'Failed' : 'Running';
}

const CURSOR_PREFIX = 'LivenessSession:';
const encodeCursor = (seq: number): string => Buffer.from(`${CURSOR_PREFIX}${seq}`).toString('base64url');

function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const seq = Number(text.slice(CURSOR_PREFIX.length));
  if (!text.startsWith(CURSOR_PREFIX) || !Number.isSafeInteger(seq) || seq < 1 || encodeCursor(seq) !== cursor) {
    throw new FaceError('INVALID_ARGUMENT', 'after is not a cursor returned by livenessSessions.', { argument: 'after' });
  }
  return seq;
}

export class LivenessService {
  private readonly store: LivenessStore;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private purgeTimer: NodeJS.Timeout | null = null;
  /** Sessions with an upload being read or analysed (one at a time per session). */
  private readonly inFlight = new Set<string>();

  constructor(private readonly options: LivenessServiceOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.logger = options.logger;
  }

  /** Marks attempts interrupted by a previous stop as Failed, purges, and starts the purge timer. */
  start(): void {
    const interrupted = this.store.failInterruptedAttempts(this.clock.now());
    if (interrupted > 0) this.logger.warn({ interrupted }, 'liveness: attempts interrupted by the last stop marked Failed');
    this.purgeExpired();
    this.purgeTimer = setInterval(() => {
      try {
        this.purgeExpired();
      } catch (err) {
        this.logger.error({ err }, 'liveness: purge failed');
      }
    }, this.options.purgeIntervalMs);
    this.purgeTimer.unref();
  }

  stop(): void {
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    this.purgeTimer = null;
  }

  /** Deletes sessions past their retention (with attempts and images) and old tombstones. */
  purgeExpired(): { sessions: number; tombstones: number } {
    const purged = this.store.purge(this.clock.now());
    if (purged.sessions > 0 || purged.tombstones > 0) this.logger.info(purged, 'liveness: purged expired sessions');
    return purged;
  }

  // ---- server-side callers (GraphQL) -------------------------------------------------------

  /** Creates a session; the returned view carries the bearer token, shown this once. */
  createSession(options: CreateSessionOptions, verifyReference: VerifyReferenceRecord | null): SessionView {
    const token = randomBytes(32).toString('base64url');
    const record = this.insertSession(randomUUID(), sha256(token), options, LIVENESS_MODEL_VERSION, verifyReference, null);
    this.logger.info({ sessionId: record.id, mode: record.mode, verify: verifyReference !== null }, 'liveness: session created');
    return this.view(record, token);
  }

  /** Stores a session with its token's expiry and retention computed from the options. */
  private insertSession(
    id: string,
    tokenHash: string,
    options: CreateSessionOptions,
    modelVersion: string,
    verifyReference: VerifyReferenceRecord | null,
    upstreamKind: UpstreamSessionKind | null,
  ): SessionRecord {
    const now = this.clock.now();
    const tokenExpiresAt = now + options.authTokenTtlSeconds * 1000;
    return this.store.insertSession({
      id,
      tokenHash,
      mode: options.mode,
      deviceCorrelationId: options.deviceCorrelationId,
      deviceCorrelationIdSetInClient: options.deviceCorrelationIdSetInClient,
      enableSessionImage: options.enableSessionImage,
      sendResultsToClient: options.sendResultsToClient,
      authTokenTtlSeconds: options.authTokenTtlSeconds,
      modelVersion,
      createdAt: now,
      tokenExpiresAt,
      purgeAt: Math.max(now + this.options.retentionSeconds * 1000, tokenExpiresAt),
      verifyReference,
      upstreamKind,
    });
  }

  /** One of the embedded engine's sessions (not an upstream-indexed one), or null. */
  session(id: string): SessionView | null {
    const record = this.store.sessionById(id);
    return record && !record.upstreamKind ? this.view(record) : null;
  }

  /** Newest first, Relay style. */
  sessions(first: number | null | undefined, after: string | null | undefined): SessionConnection {
    const page = this.sessionRecords(first, after, false);
    return { ...page, edges: page.edges.map((e) => ({ cursor: e.cursor, node: this.view(e.node) })) };
  }

  /**
   * A page of session records, newest first: the embedded engine's own sessions, or (upstream)
   * the index of sessions held by an upstream provider.
   */
  sessionRecords(first: number | null | undefined, after: string | null | undefined, upstream: boolean): Page<SessionRecord> {
    const limit = first ?? PAGE_SIZE.default;
    if (!Number.isInteger(limit) || limit < PAGE_SIZE.min || limit > PAGE_SIZE.max) {
      throw new FaceError('INVALID_ARGUMENT', `first must be ${PAGE_SIZE.min}–${PAGE_SIZE.max}, got ${limit}.`, { argument: 'first' });
    }
    const afterSeq = after ? decodeCursor(after) : null;
    const rows = this.store.listSessions(limit + 1, afterSeq, upstream);
    const edges = rows.slice(0, limit).map((record) => ({ cursor: encodeCursor(record.seq), node: record }));
    return {
      edges,
      pageInfo: {
        hasNextPage: rows.length > limit,
        hasPreviousPage: afterSeq !== null && this.store.hasSessionNewerThan(afterSeq, upstream),
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
      totalCount: this.store.countSessions(upstream),
    };
  }

  /** The stored record of a session (embedded or upstream-indexed), or null. */
  sessionRecord(id: string): SessionRecord | null {
    return this.store.sessionById(id) ?? null;
  }

  /**
   * Indexes a session that an upstream provider created (its options, creation order and
   * retention), so it can be listed and routed to the right upstream route family. The token
   * stays upstream: the stored hash is of random bytes, so no bearer token can ever open it here.
   */
  indexUpstreamSession(id: string, kind: UpstreamSessionKind, options: CreateSessionOptions, modelVersion: string): SessionRecord {
    return this.insertSession(id, sha256(randomBytes(32).toString('hex')), options, modelVersion, null, kind);
  }


  /** Revokes the token and deletes the session, its attempts and images. False if unknown. */
  deleteSession(id: string): boolean {
    const deleted = this.store.deleteSession(id, this.clock.now());
    if (deleted) this.logger.info({ sessionId: id }, 'liveness: session deleted');
    return deleted;
  }

  sessionImage(id: string): { bytes: Buffer; contentType: string } | null {
    return this.store.sessionImage(id);
  }

  private view(record: SessionRecord, authToken = ''): SessionView {
    const attempts = this.store.attempts(record.id);
    return {
      record,
      attempts,
      status: deriveStatus(record, attempts, this.clock.now()),
      attemptsLeft: Math.max(0, MAX_ATTEMPTS - attempts.length),
      authToken,
      verifyReference: record.verifyReference
        ? { faceRectangle: record.verifyReference.faceRectangle, qualityForRecognition: record.verifyReference.qualityForRecognition }
        : null,
    };
  }

  // ---- the client (bearer token) -----------------------------------------------------------

  /**
   * The session a bearer token opens. TOKEN_INVALID (missing, malformed or unknown),
   * SESSION_DELETED (a deleted session's token), TOKEN_EXPIRED. A token only ever opens its
   * own session: the client routes take no session id.
   */
  authenticate(authorization: string | undefined): SessionRecord {
    const match = /^Bearer[ \t]+([A-Za-z0-9_-]{43})[ \t]*$/i.exec(authorization ?? '');
    if (!match) {
      throw new FaceError('TOKEN_INVALID', authorization ? 'The Authorization header is not "Bearer <session token>".' : 'Authorization: Bearer <session token> is required.');
    }
    const hash = sha256(match[1]!);
    const session = this.store.sessionByTokenHash(hash);
    if (!session) {
      if (this.store.tombstoneByTokenHash(hash)) throw new FaceError('SESSION_DELETED', 'This liveness session has been deleted; its token is revoked.');
      throw new FaceError('TOKEN_INVALID', 'The session token is not valid.');
    }
    if (this.clock.now() >= session.tokenExpiresAt) {
      throw new FaceError('TOKEN_EXPIRED', `The session token expired at ${new Date(session.tokenExpiresAt).toISOString()}.`);
    }
    return session;
  }

  private assertAttemptsLeft(session: SessionRecord): number {
    const used = this.store.attemptCount(session.id);
    if (used >= MAX_ATTEMPTS) {
      throw new FaceError('ATTEMPTS_EXHAUSTED', `This session has had its ${MAX_ATTEMPTS} attempts.`);
    }
    return MAX_ATTEMPTS - used;
  }

  /** GET /liveness/api/session: starts the session and issues a fresh, single-use challenge. */
  clientSession(session: SessionRecord): ClientSessionDocument {
    const attemptsLeft = this.assertAttemptsLeft(session);
    const now = this.clock.now();
    const challenge = createChallenge(session.mode);
    this.store.putChallenge(session.id, challenge, now);
    this.store.markStarted(session.id, now);
    return {
      sessionId: session.id,
      livenessOperationMode: session.mode,
      challenge: { nonce: challenge.nonce, steps: [...challenge.steps], stepTimeoutMs: challenge.stepTimeoutMs },
      frames: FRAME_LIMITS,
      sendResultsToClient: session.sendResultsToClient,
      attemptsLeft,
      tokenExpiresAt: new Date(session.tokenExpiresAt).toISOString(),
    };
  }

  /**
   * Claims the session's upload slot before its body is read: one upload per session at a time
   * (ATTEMPT_IN_PROGRESS), and at most maxConcurrentAttempts server-wide (OVERLOADED), which
   * bounds the memory uploads can hold. Also refuses early when no attempt is left.
   */
  beginUpload(session: SessionRecord): () => void {
    this.assertAttemptsLeft(session);
    if (this.inFlight.has(session.id)) {
      throw new FaceError('ATTEMPT_IN_PROGRESS', 'Another attempt of this session is being uploaded or analysed.');
    }
    if (this.inFlight.size >= this.options.maxConcurrentAttempts) {
      throw new FaceError('OVERLOADED', 'The service is analysing as many attempts as it can. Retry after 2 s.', { retryAfterSeconds: 2 });
    }
    this.inFlight.add(session.id);
    let released = false;
    return () => {
      if (!released) this.inFlight.delete(session.id);
      released = true;
    };
  }

  /**
   * POST /liveness/api/attempts, after the upload was read and validated: consume the nonce,
   * analyse every frame, decide, verify, store. Service failures (engine overloaded or
   * unavailable, bugs) undo the reservation so the attempt does not count.
   */
  async submitAttempt(session: SessionRecord, upload: AttemptUpload, meta: AttemptMeta): Promise<AttemptResponse> {
    const digest = framesDigest(upload.frames);
    const reservation = this.store.reserveAttempt({
      sessionId: session.id,
      nonce: upload.nonce,
      now: this.clock.now(),
      challengeMaxAgeMs: CHALLENGE_MAX_AGE_MS,
      maxAttempts: MAX_ATTEMPTS,
      digest,
      clientIp: meta.clientIp,
      requestId: meta.requestId,
      frameCount: upload.frames.length,
    });
    if (!reservation.ok) {
      if (reservation.reason === 'EXHAUSTED') throw new FaceError('ATTEMPTS_EXHAUSTED', `This session has had its ${MAX_ATTEMPTS} attempts.`);
      throw new FaceError(
        'INVALID_NONCE',
        reservation.reason === 'CHALLENGE_EXPIRED'
          ? `The challenge was issued more than ${CHALLENGE_MAX_AGE_MS / 60_000} minutes ago; fetch GET /liveness/api/session for a new one.`
          : "The nonce is not this session's current challenge (already used, replaced by a newer one, or never issued); fetch GET /liveness/api/session for a new one.",
      );
    }
    const { attemptId, pending } = reservation;
    if (upload.deviceCorrelationId !== null && session.deviceCorrelationIdSetInClient) {
      const id = upload.deviceCorrelationId;
      if (id.trim() !== '' && id.length <= MAX_DEVICE_CORRELATION_ID) this.store.setClientDeviceCorrelationId(session.id, id);
    }

    let outcome: AttemptOutcome;
    try {
      outcome = await this.analyse(session, upload, digest, attemptId, pending.challenge);
    } catch (err) {
      this.store.releaseAttempt(session.id, attemptId, pending);
      throw err;
    }
    if (!this.store.finishAttempt(session.id, attemptId, outcome)) {
      throw new FaceError('SESSION_DELETED', 'This liveness session was deleted while the attempt was analysed.');
    }
    this.logger.info(
      { sessionId: session.id, attemptId, status: outcome.status, decision: outcome.decision, reasons: outcome.reasons, error: outcome.error?.code },
      'liveness: attempt finished',
    );
    const attempts = this.store.attempts(session.id);
    const fresh = this.store.sessionById(session.id) ?? session;
    return {
      attemptId,
      attemptsLeft: Math.max(0, MAX_ATTEMPTS - attempts.length),
      status: outcome.status,
      sessionStatus: deriveStatus(fresh, attempts, this.clock.now()),
      result: session.sendResultsToClient && outcome.decision ? { livenessDecision: outcome.decision } : null,
      error: outcome.error,
    };
  }

  private async analyse(
    session: SessionRecord,
    upload: AttemptUpload,
    digest: string,
    attemptId: number,
    challenge: Challenge,
  ): Promise<AttemptOutcome> {
    let frames: FrameAnalysis[];
    try {
      frames = await analyseFrames(this.options.provider, upload.frames, upload.timestamps, upload);
    } catch (err) {
      if (!(err instanceof FrameUnreadableError)) throw err;
      // The upload's content is at fault: the attempt counts, and fails.
      return {
        status: 'Failed',
        decision: null,
        targetFace: null,
        verifyResult: null,
        error: { code: 'FRAME_UNREADABLE', message: err.message },
        reasons: ['FRAME_UNREADABLE'],
        measures: {},
        finishedAt: this.clock.now(),
        sessionImage: null,
      };
    }
    const decision: DecisionResult = decideAttempt({
      mode: session.mode,
      frames,
      challenge: session.mode === 'PassiveActive' ? challenge : null,
      previousDigests: this.store.previousDigests(session.id, attemptId, digest),
      digest,
    });
    const best = decision.bestFrameIndex !== null ? frames[decision.bestFrameIndex] : undefined;
    const bestFace = best ? pickFace(best.faces, decision.targetFace) : undefined;
    const reference = session.verifyReference;
    // Liveness-with-verify: the best frame's face against the reference face of the session.
    const verification = reference && bestFace ? verify(reference.embedding, bestFace.embedding) : null;
    const verifyResult = verification ? { isIdentical: verification.isIdentical, matchConfidence: verification.confidence } : null;
    const bestBytes = decision.bestFrameIndex !== null ? upload.frames[decision.bestFrameIndex] : undefined;
    return {
      status: 'Succeeded',
      decision: decision.decision,
      targetFace: decision.targetFace ?? bestFace?.faceRectangle ?? null,
      verifyResult,
      error: null,
      reasons: decision.reasons,
      measures: decision.measures,
      finishedAt: this.clock.now(),
      sessionImage:
        session.enableSessionImage && bestBytes ? { id: randomBytes(24).toString('base64url'), bytes: bestBytes, contentType: 'image/jpeg' } : null,
    };
  }
}

/** The face the decision chose (same rectangle), else the frame's largest. */
function pickFace<T extends { faceRectangle: FaceRectangle }>(faces: readonly T[], target: FaceRectangle | null): T | undefined {
  if (target) {
    const same = faces.find(
      (f) => f.faceRectangle.top === target.top && f.faceRectangle.left === target.left && f.faceRectangle.width === target.width && f.faceRectangle.height === target.height,
    );
    if (same) return same;
  }
  return faces[0];
}
