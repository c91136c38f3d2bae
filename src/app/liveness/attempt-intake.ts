/**
 * POST /liveness/api/attempts, the use case: the upload slot (one upload per session, a
 * server-wide cap), the reservation (nonce, challenge age, attempt budget, audit fields), the
 * analysis, and either the release of the reservation (service failure) or the stored outcome.
 */
import { captureAdvice, type CaptureAdvice } from '../../domain/liveness/advice.js';
import { FaceError } from '../../domain/errors.js';
import { MAX_ATTEMPTS, type LivenessDecision, type SessionStatus } from '../../domain/liveness/types.js';
import type { AttemptOutcome, ReserveResult, SessionRecord } from '../../ports/liveness-store.js';
import { noEvents, type EventBus } from '../../ports/event-bus.js';
import type { Logger } from '../../platform/logger.js';
import type { Metrics } from '../../platform/metrics.js';
import { framesDigest } from './analysis.js';
import { assertAttemptsLeft, attemptsExhausted, attemptsLeft } from './attempt-budget.js';
import { attemptOutcome, type OutcomeDeps } from './attempt-outcome.js';
import { CHALLENGE_MAX_AGE_MS } from './challenge-issue.js';
import { isDeviceCorrelationId } from './create-input.js';
import { deriveStatus } from './session-view.js';
import type { AttemptUpload } from './upload.js';

/** What POST /liveness/api/attempts answers. */
export interface AttemptResponse {
  attemptId: number;
  attemptsLeft: number;
  /** The attempt's status: Succeeded (a decision was made) or Failed (see error). */
  status: 'Succeeded' | 'Failed';
  sessionStatus: SessionStatus;
  /**
   * Only when the session was created with sendResultsToClient: the decision, and for an
   * uncertain one what the user can fix before trying again (domain/liveness/advice.ts).
   */
  result: { livenessDecision: LivenessDecision; advice: CaptureAdvice[] } | null;
  error: { code: string; message: string } | null;
}

/** The request's audit fields, stored with the attempt. */
export interface AttemptMeta {
  clientIp: string;
  requestId: string | null;
}

export interface AttemptIntakeDeps extends OutcomeDeps {
  logger: Logger;
  maxConcurrentAttempts: number;
  /** Counts the OVERLOADED refusals of the attempt limit. */
  metrics?: Metrics;
  /** Told when an attempt is reserved, finished or released (livenessSessionUpdated's notices). */
  events?: EventBus;
}

/** A refused reservation as the client's error. */
function refusal(reason: Extract<ReserveResult, { ok: false }>['reason']): FaceError {
  if (reason === 'EXHAUSTED') return attemptsExhausted();
  return new FaceError(
    'INVALID_NONCE',
    reason === 'CHALLENGE_EXPIRED'
      ? `The challenge was issued more than ${CHALLENGE_MAX_AGE_MS / 60_000} minutes ago; fetch GET /liveness/api/session for a new one.`
      : "The nonce is not this session's current challenge (already used, replaced by a newer one, or never issued); fetch GET /liveness/api/session for a new one.",
  );
}

export class AttemptIntake {
  /** Sessions with an upload being read or analysed (one at a time per session). */
  private readonly inFlight = new Set<string>();

  constructor(private readonly deps: AttemptIntakeDeps) {}

  /**
   * Claims the session's upload slot before its body is read: one upload per session at a time
   * (ATTEMPT_IN_PROGRESS), and at most maxConcurrentAttempts server-wide (OVERLOADED), which
   * bounds the memory uploads can hold. Also refuses early when no attempt is left.
   */
  async beginUpload(session: SessionRecord): Promise<() => void> {
    await assertAttemptsLeft(this.deps.store, session.id);
    // From here to the add, no await: the check and the claim of the slot are one step.
    if (this.inFlight.has(session.id)) {
      throw new FaceError('ATTEMPT_IN_PROGRESS', 'Another attempt of this session is being uploaded or analysed.');
    }
    if (this.inFlight.size >= this.deps.maxConcurrentAttempts) {
      this.deps.metrics?.overloaded.inc({ source: 'liveness_attempts' });
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
   * After the upload was read and validated: consume the nonce, analyse every frame, decide,
   * verify, store. Service failures (engine overloaded or unavailable, bugs) undo the
   * reservation so the attempt does not count.
   */
  async submitAttempt(session: SessionRecord, upload: AttemptUpload, meta: AttemptMeta): Promise<AttemptResponse> {
    const { store, clock, logger } = this.deps;
    const digest = framesDigest(upload.frames);
    const reservation = await store.reserveAttempt({
      sessionId: session.id,
      nonce: upload.nonce,
      now: clock.now(),
      challengeMaxAgeMs: CHALLENGE_MAX_AGE_MS,
      maxAttempts: MAX_ATTEMPTS,
      digest,
      clientIp: meta.clientIp,
      requestId: meta.requestId,
      frameCount: upload.frames.length,
    });
    if (!reservation.ok) throw refusal(reservation.reason);
    const { attemptId, pending } = reservation;
    const events = this.deps.events ?? noEvents;
    const topic = { kind: 'livenessSession', sessionId: session.id } as const;
    void events.publish(topic, 'Running');
    if (upload.deviceCorrelationId !== null && session.deviceCorrelationIdSetInClient) {
      const id = upload.deviceCorrelationId;
      if (isDeviceCorrelationId(id)) await store.setClientDeviceCorrelationId(session.id, id);
    }

    let outcome: AttemptOutcome;
    try {
      outcome = await attemptOutcome(this.deps, session, upload, digest, attemptId, pending.challenge);
    } catch (err) {
      await store.releaseAttempt(session.id, attemptId, pending);
      void events.publish(topic, 'released');
      throw err;
    }
    // The session and its attempts as they read right after the finish, in its transaction.
    const finished = await store.finishAttempt(session.id, attemptId, outcome);
    if (!finished) {
      throw new FaceError('SESSION_DELETED', 'This liveness session was deleted while the attempt was analysed.');
    }
    void events.publish(topic, outcome.status);
    logger.info(
      {
        sessionId: session.id,
        attemptId,
        status: outcome.status,
        decision: outcome.decision,
        reasons: outcome.reasons,
        error: outcome.error?.code,
      },
      'liveness: attempt finished',
    );
    return {
      attemptId,
      attemptsLeft: attemptsLeft(finished.attempts.length),
      status: outcome.status,
      sessionStatus: deriveStatus(finished.session, finished.attempts, clock.now()),
      result:
        session.sendResultsToClient && outcome.decision
          ? { livenessDecision: outcome.decision, advice: captureAdvice(outcome.decision, outcome.reasons) }
          : null,
      error: outcome.error,
    };
  }
}
