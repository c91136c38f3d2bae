/**
 * GET /liveness/api/session: the client's session document. Starts the session and issues a
 * fresh, single-use challenge (replacing any unused one); owns how long a challenge stays valid.
 */
import { createChallenge } from '../../domain/liveness/challenge.js';
import type { ChallengeStep, LivenessOperationMode } from '../../domain/liveness/types.js';
import type { Clock } from '../../ports/clock.js';
import type { LivenessStore, SessionRecord } from '../../ports/liveness-store.js';
import { assertAttemptsLeft } from './attempt-budget.js';
import { FRAME_LIMITS } from './upload.js';

/** A challenge must be answered within this time of being issued. */
export const CHALLENGE_MAX_AGE_MS = 5 * 60_000;

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

/** ATTEMPTS_EXHAUSTED when the session has no attempt left; otherwise a new challenge. */
export function issueChallenge(store: LivenessStore, clock: Clock, session: SessionRecord): ClientSessionDocument {
  const attemptsLeft = assertAttemptsLeft(store, session.id);
  const now = clock.now();
  const challenge = createChallenge(session.mode);
  store.putChallenge(session.id, challenge, now);
  store.markStarted(session.id, now);
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
