/**
 * GET /liveness/api/session: the client's session document. Starts the session and issues a
 * fresh, single-use challenge (replacing any unused one); owns how long a challenge stays valid.
 */
import { FaceError } from '../../domain/errors.js';
import { createChallenge } from '../../domain/liveness/challenge.js';
import { MAX_ATTEMPTS } from '../../domain/liveness/types.js';
import type { Challenge, LivenessOperationMode } from '../../domain/liveness/types.js';
import type { Clock } from '../../ports/clock.js';
import type { LivenessStore, SessionRecord } from '../../ports/liveness-store.js';
import { attemptsExhausted, attemptsLeft } from './attempt-budget.js';
import { FRAME_LIMITS } from './upload.js';

/** A challenge must be answered within this time of being issued. */
export const CHALLENGE_MAX_AGE_MS = 5 * 60_000;

/** What GET /liveness/api/session answers. */
export interface ClientSessionDocument {
  sessionId: string;
  livenessOperationMode: LivenessOperationMode;
  challenge: Challenge;
  frames: typeof FRAME_LIMITS;
  sendResultsToClient: boolean;
  attemptsLeft: number;
  tokenExpiresAt: string;
}

/**
 * ATTEMPTS_EXHAUSTED when the session has no attempt left; otherwise a new challenge. The
 * budget check, the challenge and the start are one store call: an attempt reserved meanwhile
 * (by another request or replica) cannot slip between the count and the new challenge.
 */
export async function issueChallenge(store: LivenessStore, clock: Clock, session: SessionRecord): Promise<ClientSessionDocument> {
  const now = clock.now();
  const challenge = createChallenge(session.mode);
  const issued = await store.issueChallenge({ sessionId: session.id, challenge, now, maxAttempts: MAX_ATTEMPTS });
  if (!issued.ok) {
    if (issued.reason === 'EXHAUSTED') throw attemptsExhausted();
    // Deleted after its token was checked: answered as if the delete had come first.
    throw new FaceError('SESSION_DELETED', 'This liveness session has been deleted; its token is revoked.');
  }
  return {
    sessionId: session.id,
    livenessOperationMode: session.mode,
    challenge: {
      nonce: challenge.nonce,
      light: challenge.light.map((f) => ({ ...f })),
      steps: [...challenge.steps],
      stepsStartMs: challenge.stepsStartMs,
      stepTimeoutMs: challenge.stepTimeoutMs,
    },
    frames: FRAME_LIMITS,
    sendResultsToClient: session.sendResultsToClient,
    attemptsLeft: attemptsLeft(issued.attemptsUsed),
    tokenExpiresAt: new Date(session.tokenExpiresAt).toISOString(),
  };
}
