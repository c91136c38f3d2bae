/**
 * Liveness-with-verify: which face of the attempt's best frame is the subject, and how it
 * compares with the session's verify reference (the face detected in the verify image at creation).
 */
import { verify } from '../../domain/similarity.js';
import type { FaceRectangle } from '../../domain/types.js';
import type { FrameFace } from '../../domain/liveness/types.js';
import type { AttemptOutcome, VerifyReferenceRecord } from '../../ports/liveness-store.js';

/** The face the decision chose (same rectangle), else the frame's largest. */
export function pickFace<T extends { faceRectangle: FaceRectangle }>(faces: readonly T[], target: FaceRectangle | null): T | undefined {
  if (target) {
    const same = faces.find(
      (f) =>
        f.faceRectangle.top === target.top &&
        f.faceRectangle.left === target.left &&
        f.faceRectangle.width === target.width &&
        f.faceRectangle.height === target.height,
    );
    if (same) return same;
  }
  return faces[0];
}

/** The best frame's face against the session's reference; null for a plain session or no face. */
export function verifyWithLiveness(
  reference: VerifyReferenceRecord | null,
  bestFace: FrameFace | undefined,
): AttemptOutcome['verifyResult'] {
  const verification = reference && bestFace ? verify(reference.embedding, bestFace.embedding) : null;
  return verification ? { isIdentical: verification.isIdentical, matchConfidence: verification.confidence } : null;
}
