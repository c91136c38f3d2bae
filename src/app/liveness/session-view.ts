/**
 * How an embedded session reads: its status derived from its attempts and the clock (Azure
 * OperationState), the attempts left, and the SessionView the GraphQL and REST edges render.
 */
import { MAX_ATTEMPTS, type SessionStatus } from '../../domain/liveness/types.js';
import type { AttemptRecord, SessionRecord } from '../../ports/liveness-store.js';
import { attemptsLeft } from './attempt-budget.js';
import type { SessionView } from './model.js';

/**
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

/** The view of a stored session; `authToken` only in the create payload ("" on every later read). */
export function sessionView(record: SessionRecord, attempts: AttemptRecord[], now: number, authToken = ''): SessionView {
  return {
    record,
    attempts,
    status: deriveStatus(record, attempts, now),
    attemptsLeft: attemptsLeft(attempts.length),
    authToken,
    verifyReference: record.verifyReference
      ? { faceRectangle: record.verifyReference.faceRectangle, qualityForRecognition: record.verifyReference.qualityForRecognition }
      : null,
  };
}
