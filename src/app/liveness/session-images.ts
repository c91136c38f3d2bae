/**
 * Session images: the attempt's best frame, kept when the session was created with
 * enableSessionImage (stored with the attempt's outcome), and read back by id.
 */
import { randomBytes } from 'node:crypto';
import type { AttemptOutcome, LivenessStore, SessionRecord } from '../../ports/liveness-store.js';

/** The frames are JPEG (upload.ts checks it), and so is the stored best frame. */
const CONTENT_TYPE = 'image/jpeg';

/** The image to store with the outcome: the best frame's bytes under a new random id, or null. */
export function captureSessionImage(session: SessionRecord, bestFrame: Buffer | undefined): AttemptOutcome['sessionImage'] {
  return session.enableSessionImage && bestFrame
    ? { id: randomBytes(24).toString('base64url'), bytes: bestFrame, contentType: CONTENT_TYPE }
    : null;
}

/** A stored session image, or null (unknown id, or its session deleted or purged). */
export function readSessionImage(store: LivenessStore, id: string): Promise<{ bytes: Buffer; contentType: string } | null> {
  return store.sessionImage(id);
}
