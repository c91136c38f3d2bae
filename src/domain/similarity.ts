/**
 * Similarity maths shared by every recognition operation: embedding distance and the
 * calibrated confidence scale. Pure functions.
 *
 * Confidence is a logistic function of the euclidean distance between two 128-d embeddings:
 *   confidence = 1 / (1 + exp(SLOPE * (distance - THRESHOLD)))
 * so it lies in (0, 1), falls monotonically with distance, and equals 0.5 exactly at
 * THRESHOLD: `isIdentical` <=> confidence >= 0.5 <=> distance <= THRESHOLD, as in Azure.
 * How the two constants were fitted is in bench/calibrate.ts and the README.
 */

/*
 * Fitted by bench/calibrate.ts on 2026-11-28 with the embedded engine (BlazeFace + face-api
 * landmarks + faceRecognitionNet, 128-d), on ../shared/faces/people (largest face of 16 photos
 * of 6 people: 18 same-person, 102 different-person pairs) plus 180 pairs from the close-up shot
 * of ../shared/video/hamilton-clip.mp4 (9 frames at 2 fps, 76–94 px faces, among themselves and
 * against the photos).
 * THRESHOLD: midpoint of the photos' margin (worst same-person 0.550, closest different-person
 * 0.679 -> 0.614), rounded. On all 300 pairs it gives no false accept (the closest
 * different-person pair, a video frame vs a photo, is at 0.640) and rejects 2 of 63 same-person
 * pairs (blurred video frames of one shot, at 0.630 and 0.679).
 * SLOPE: L2-penalised logistic regression of same-person on (distance - 0.61) over all 300
 * pairs, summed log-loss + 0.03 * slope^2 -> 21.4, rounded. Unpenalised it diverges on the
 * photos (separable); the value moves with the penalty (28 at 0.01, 15 at 0.1).
 * A small set (6 people): re-run the calibration when more labelled faces are available.
 */
/** Distance at which two faces are judged the same person (confidence 0.5). */
export const THRESHOLD = 0.61;
/** Steepness of the confidence curve around the threshold. */
export const SLOPE = 21.5;

export function euclideanDistance(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`embedding sizes differ: ${a.length} vs ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  return Math.sqrt(sum);
}

export function confidenceFromDistance(distance: number): number {
  return 1 / (1 + Math.exp(SLOPE * (distance - THRESHOLD)));
}

/**
 * Azure reports confidences with a handful of decimals; five keep ties rare and output tidy.
 * Rounding never carries a confidence below 0.5 up to 0.5: within ~1e-6 of THRESHOLD that would
 * report 0.5 for a pair judged different, so the reported value always agrees with isIdentical.
 */
export const roundConfidence = (c: number): number => {
  const r = Math.round(c * 1e5) / 1e5;
  return c < 0.5 && r >= 0.5 ? 0.49999 : r;
};

export interface Verification {
  isIdentical: boolean;
  confidence: number;
}

export function verify(a: Float32Array, b: Float32Array): Verification {
  const confidence = confidenceFromDistance(euclideanDistance(a, b));
  return { isIdentical: confidence >= 0.5, confidence: roundConfidence(confidence) };
}

export type FindSimilarMode = 'matchPerson' | 'matchFace';

export interface Candidate<T> {
  item: T;
  embedding: Float32Array;
}

export interface SimilarMatch<T> {
  item: T;
  confidence: number;
}

/**
 * Ranks candidates by confidence (ties keep the candidates' order). matchPerson keeps only
 * those judged the same person; matchFace keeps the best whatever their confidence.
 */
export function findSimilar<T>(
  query: Float32Array,
  candidates: readonly Candidate<T>[],
  mode: FindSimilarMode,
  max: number,
): SimilarMatch<T>[] {
  const scored = candidates.map((c, index) => ({
    item: c.item,
    confidence: confidenceFromDistance(euclideanDistance(query, c.embedding)),
    index,
  }));
  scored.sort((p, q) => q.confidence - p.confidence || p.index - q.index);
  const kept = mode === 'matchPerson' ? scored.filter((s) => s.confidence >= 0.5) : scored;
  return kept.slice(0, max).map((s) => ({ item: s.item, confidence: roundConfidence(s.confidence) }));
}
