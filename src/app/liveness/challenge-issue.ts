/**
 * GET /liveness/api/session: the client's session document. Starts the session and issues a
 * fresh, single-use challenge (replacing any unused one); owns how long a challenge stays valid.
 */
import { FaceError } from '../../domain/errors.js';
import { createChallenge } from '../../domain/liveness/challenge.js';
import { LIGHT_RGB } from '../../domain/liveness/light.js';
import type { RandomBytes } from '../../domain/liveness/random.js';
import { MAX_ATTEMPTS } from '../../domain/liveness/types.js';
import type { Challenge, LightFlash, LivenessOperationMode } from '../../domain/liveness/types.js';
import type { Clock } from '../../ports/clock.js';
import type { LivenessStore, SessionRecord } from '../../ports/liveness-store.js';
import { attemptsExhausted, attemptsLeft } from './attempt-budget.js';
import { FRAME_LIMITS } from './upload.js';

/** A challenge must be answered within this time of being issued. */
export const CHALLENGE_MAX_AGE_MS = 5 * 60_000;

/**
 * A flash as the client gets it: with the sRGB colour to fill the screen with, so the capture
 * page paints exactly what the check expects (LIGHT_RGB stays the one table of colours).
 */
export interface ClientLightFlash extends LightFlash {
  rgb: readonly [number, number, number];
}

/** What GET /liveness/api/session answers. */
export interface ClientSessionDocument {
  sessionId: string;
  livenessOperationMode: LivenessOperationMode;
  challenge: Omit<Challenge, 'light'> & { light: ClientLightFlash[] };
  frames: typeof FRAME_LIMITS;
  sendResultsToClient: boolean;
  attemptsLeft: number;
  tokenExpiresAt: string;
}

/**
 * ATTEMPTS_EXHAUSTED when the session has no attempt left; otherwise a new challenge, with a
 * light sequence first when `light` (FACEGRAPH_LIVENESS_LIGHT, on by default). The
 * budget check, the challenge and the start are one store call: an attempt reserved meanwhile
 * (by another request or replica) cannot slip between the count and the new challenge.
 */
export async function issueChallenge(
  store: LivenessStore,
  clock: Clock,
  session: SessionRecord,
  options: { light: boolean; random?: RandomBytes | undefined },
): Promise<ClientSessionDocument> {
  const now = clock.now();
  const challenge = createChallenge(session.mode, options.random, { light: options.light });
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
      light: challenge.light.map((f) => ({ color: f.color, durationMs: f.durationMs, rgb: LIGHT_RGB[f.color] })),
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
