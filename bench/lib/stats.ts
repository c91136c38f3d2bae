/** Pair statistics for the recognition benchmarks: pure functions, no I/O. */
import { euclideanDistance } from '../../src/domain/similarity.js';

export interface LabelledPair {
  a: string;
  b: string;
  same: boolean;
  distance: number;
  /** Which pair set it came from (for per-source reporting). */
  source: string;
}

export interface Item {
  id: string;
  label: string;
  embedding: Float32Array;
}

/** Every unordered pair within `items` (i < j); same person <=> same label. */
export function pairsWithin(items: readonly Item[], source: string): LabelledPair[] {
  const pairs: LabelledPair[] = [];
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const a = items[i]!;
      const b = items[j]!;
      pairs.push({ a: a.id, b: b.id, same: a.label === b.label, distance: euclideanDistance(a.embedding, b.embedding), source });
    }
  }
  return pairs;
}

/** Every pair with one item from each list; same person <=> same label. */
export function pairsAcross(left: readonly Item[], right: readonly Item[], source: string): LabelledPair[] {
  return left.flatMap((a) =>
    right.map((b) => ({ a: a.id, b: b.id, same: a.label === b.label, distance: euclideanDistance(a.embedding, b.embedding), source })),
  );
}

export interface Summary {
  n: number;
  min: number;
  median: number;
  max: number;
}

export function summarise(values: readonly number[]): Summary {
  const s = [...values].sort((p, q) => p - q);
  const n = s.length;
  const median = n === 0 ? NaN : n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
  return { n, min: s[0] ?? NaN, median, max: s[n - 1] ?? NaN };
}

/**
 * ROC AUC of "smaller distance => same person", as the Mann–Whitney statistic: the probability
 * that a random same-person pair is closer than a random different-person pair, ties counting
 * one half. Computed from mid-ranks, O(n log n).
 */
export function rocAuc(pairs: readonly LabelledPair[]): number {
  const sorted = [...pairs].sort((p, q) => p.distance - q.distance);
  const nSame = pairs.filter((p) => p.same).length;
  const nDiff = pairs.length - nSame;
  if (nSame === 0 || nDiff === 0) return NaN;
  // Rank by descending "sameness" = ascending distance; sum the mid-ranks of different pairs.
  let rankSumDiff = 0;
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1]!.distance === sorted[i]!.distance) j++;
    const midRank = (i + j) / 2 + 1; // 1-based
    for (let k = i; k <= j; k++) if (!sorted[k]!.same) rankSumDiff += midRank;
    i = j + 1;
  }
  // U for the different-person class = number of (same, diff) pairs where diff is farther.
  const u = rankSumDiff - (nDiff * (nDiff + 1)) / 2;
  return u / (nSame * nDiff);
}

/**
 * The ROC curve of the rule "same person <=> distance <= t" at every distinct pair distance t, from
 * accepting nothing (0, 0) to accepting everything (1, 1): [FAR, TAR] = [different-person pairs
 * accepted / different-person pairs, same-person pairs accepted / same-person pairs].
 */
export function rocCurve(pairs: readonly LabelledPair[]): Array<[far: number, tar: number]> {
  const sorted = [...pairs].sort((p, q) => p.distance - q.distance);
  const nSame = pairs.filter((p) => p.same).length;
  const nDiff = pairs.length - nSame;
  const curve: Array<[number, number]> = [[0, 0]];
  let same = 0;
  for (const [i, p] of sorted.entries()) {
    if (p.same) same++;
    // One point per distinct distance: after the last pair at that distance.
    if (sorted[i + 1]?.distance !== p.distance) curve.push([(i + 1 - same) / nDiff, same / nSame]);
  }
  return curve;
}

export interface Rates {
  accuracy: number;
  /** Different-person pairs accepted (distance <= threshold) / different-person pairs. */
  falseAcceptRate: number;
  /** Same-person pairs rejected (distance > threshold) / same-person pairs. */
  falseRejectRate: number;
  nSame: number;
  nDiff: number;
}

/** Decision rule of `verify`: same person <=> distance <= threshold. */
export function ratesAt(pairs: readonly LabelledPair[], threshold: number): Rates {
  let tp = 0;
  let tn = 0;
  let nSame = 0;
  for (const p of pairs) {
    const accept = p.distance <= threshold;
    if (p.same) {
      nSame++;
      if (accept) tp++;
    } else if (!accept) tn++;
  }
  const nDiff = pairs.length - nSame;
  return {
    accuracy: (tp + tn) / pairs.length,
    falseAcceptRate: nDiff ? (nDiff - tn) / nDiff : NaN,
    falseRejectRate: nSame ? (nSame - tp) / nSame : NaN,
    nSame,
    nDiff,
  };
}

export interface ThresholdChoice {
  maxSame: number;
  minDiff: number;
  separable: boolean;
  /** Midpoint of the margin (maxSame + minDiff) / 2; meaningful when separable. */
  marginMidpoint: number;
  /** The accuracy-maximising thresholds form [lo, hi); mid is their midpoint. */
  bestAccuracy: { accuracy: number; lo: number; hi: number; mid: number };
}

export function chooseThreshold(pairs: readonly LabelledPair[]): ThresholdChoice {
  const same = pairs.filter((p) => p.same).map((p) => p.distance);
  const diff = pairs.filter((p) => !p.same).map((p) => p.distance);
  const maxSame = Math.max(...same);
  const minDiff = Math.min(...diff);
  // Candidate cut points: just at each distance (accept <= t). Accuracy is piecewise constant
  // between consecutive distinct distances, so scan them in order.
  const ds = [...new Set(pairs.map((p) => p.distance))].sort((p, q) => p - q);
  let best = { accuracy: -1, lo: 0, hi: 0, mid: 0 };
  const cuts = [ds[0]! - 1e-9, ...ds];
  for (let i = 0; i < cuts.length; i++) {
    const t = cuts[i]!;
    const acc = ratesAt(pairs, t).accuracy;
    const next = i + 1 < cuts.length ? cuts[i + 1]! : t + 1;
    if (acc > best.accuracy + 1e-12) best = { accuracy: acc, lo: t, hi: next, mid: (t + next) / 2 };
  }
  return { maxSame, minDiff, separable: maxSame < minDiff, marginMidpoint: (maxSame + minDiff) / 2, bestAccuracy: best };
}

/**
 * Fits the confidence curve's slope: P(same | d) = 1 / (1 + exp(slope * (d - threshold))) with
 * the threshold fixed, by minimising
 *     J(slope) = sum_i log(1 + exp(-slope * m_i)) + lambda * slope^2
 * (the usual L2-regularised form, i.e. a Gaussian prior on the slope with variance 1/(2*lambda),
 * whatever the number of pairs),
 * where m_i = threshold - d_i for same-person pairs and d_i - threshold for different-person
 * pairs (the signed margin). J is strictly convex; J' is increasing, so bisection on J' finds
 * the minimum. Without the penalty, separable data (every m_i > 0) drives the slope to infinity.
 */
export function fitSlope(pairs: readonly LabelledPair[], threshold: number, lambda: number): { slope: number; meanNll: number } {
  const m = pairs.map((p) => (p.same ? threshold - p.distance : p.distance - threshold));
  const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
  const grad = (s: number): number => {
    let g = 0;
    for (const mi of m) g -= mi * sigmoid(-s * mi);
    return g + 2 * lambda * s;
  };
  if (lambda === 0 && m.every((mi) => mi > 0)) return { slope: Infinity, meanNll: 0 }; // separable: no maximum
  let lo = 0;
  let hi = 1;
  while (grad(hi) < 0 && hi < 1e6) hi *= 2;
  if (grad(lo) >= 0) hi = 0;
  for (let k = 0; k < 200 && hi - lo > 1e-10; k++) {
    const mid = (lo + hi) / 2;
    if (grad(mid) < 0) lo = mid;
    else hi = mid;
  }
  const slope = (lo + hi) / 2;
  // log(1 + e^-z), stable for large |z|.
  const softplusNeg = (z: number): number => (z > 0 ? Math.log1p(Math.exp(-z)) : -z + Math.log1p(Math.exp(z)));
  const meanNll = m.reduce((acc, mi) => acc + softplusNeg(slope * mi), 0) / m.length;
  return { slope, meanNll };
}

export const fmt = (x: number, digits = 3): string => (Number.isFinite(x) ? x.toFixed(digits) : String(x));
