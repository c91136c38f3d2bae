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

/** Distance at which two faces are judged the same person (confidence 0.5). */
export const THRESHOLD = 0.6;
/** Steepness of the confidence curve around the threshold. */
export const SLOPE = 14;

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

/** Azure reports confidences with a handful of decimals; five keep ties rare and output tidy. */
export const roundConfidence = (c: number): number => Math.round(c * 1e5) / 1e5;

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
export function findSimilar<T>(query: Float32Array, candidates: readonly Candidate<T>[], mode: FindSimilarMode, max: number): SimilarMatch<T>[] {
  const scored = candidates.map((c, index) => ({ item: c.item, confidence: confidenceFromDistance(euclideanDistance(query, c.embedding)), index }));
  scored.sort((p, q) => q.confidence - p.confidence || p.index - q.index);
  const kept = mode === 'matchPerson' ? scored.filter((s) => s.confidence >= 0.5) : scored;
  return kept.slice(0, max).map((s) => ({ item: s.item, confidence: roundConfidence(s.confidence) }));
}
