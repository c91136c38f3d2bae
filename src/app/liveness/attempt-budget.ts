/**
 * The attempt budget: MAX_ATTEMPTS per session (Azure: "up to 3 retries"), how many are left,
 * and the one ATTEMPTS_EXHAUSTED error both the challenge and the upload paths raise.
 */
import { FaceError } from '../../domain/errors.js';
import { MAX_ATTEMPTS } from '../../domain/liveness/types.js';
import type { LivenessStore } from '../../ports/liveness-store.js';

export const attemptsExhausted = (): FaceError => new FaceError('ATTEMPTS_EXHAUSTED', `This session has had its ${MAX_ATTEMPTS} attempts.`);

/** Attempts left after `used` (never negative). */
export const attemptsLeft = (used: number): number => Math.max(0, MAX_ATTEMPTS - used);

/** The attempts the session has left; ATTEMPTS_EXHAUSTED when none. */
export async function assertAttemptsLeft(store: LivenessStore, sessionId: string): Promise<number> {
  const used = await store.attemptCount(sessionId);
  if (used >= MAX_ATTEMPTS) throw attemptsExhausted();
  return MAX_ATTEMPTS - used;
}
