/**
 * Detection accuracy maths for bench/detect-accuracy.ts and its unit test: IoU, greedy matching
 * of detections to annotated faces, average precision, non-max suppression. Pure functions, no I/O.
 * (In tools/ rather than bench/lib/ because tests may not import bench code: .dependency-cruiser.cjs.)
 *
 * The scoring rule (the usual one for the annotated masks set, VOC 2010+ style):
 *   - an annotated face counts when its shorter side is >= minSize (16 px); smaller ones are
 *     "ignored" faces: a detection that best-matches one of them is neither a hit nor a false positive;
 *   - detections are taken by descending score; each one is matched to the candidate face of highest
 *     IoU, the candidates being the counted faces not matched yet plus every ignored face; with IoU
 *     >= iouThreshold it is a true positive (counted face, now taken) or ignored (small face),
 *     otherwise a false positive. So a second detection of an already matched face is a false positive;
 *   - AP is the area under the precision–recall curve with precision made monotone (each recall's
 *     precision is the best precision at that recall or higher): all-point interpolation.
 *     Detections of equal score are one operating point (no arbitrary order among ties).
 */

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Detection extends Box {
  score: number;
}

export const shorterSide = (b: Box): number => Math.min(b.width, b.height);

export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy non-max suppression: highest score first, a box is dropped when IoU > iouThreshold with a kept one. */
export function nonMaxSuppression<T extends Detection>(boxes: readonly T[], iouThreshold: number): T[] {
  const kept: T[] = [];
  for (const box of [...boxes].sort((p, q) => q.score - p.score)) {
    if (kept.every((k) => iou(k, box) <= iouThreshold)) kept.push(box);
  }
  return kept;
}

export interface MatchOptions {
  /** IoU a detection needs with a face to match it: 0.5. */
  iouThreshold: number;
  /** Annotated faces whose shorter side is under this are ignored: 16. */
  minSize: number;
}

export const DEFAULT_MATCH: MatchOptions = { iouThreshold: 0.5, minSize: 16 };

export type Outcome = 'tp' | 'fp' | 'ignored';

export interface MatchedDetection {
  score: number;
  outcome: Outcome;
  /** IoU with the face it matched (tp, ignored), else the best IoU it had with any candidate (fp). */
  iou: number;
  /** Index into the image's faces of the matched face, or -1 (fp). */
  face: number;
  /** Index of the detection in the input list. */
  index: number;
}

export interface ImageMatch {
  /** In descending score order. */
  detections: MatchedDetection[];
  /** Per annotated face (input order): counted (>= minSize), and the score of the detection that matched it. */
  faces: Array<{ counted: boolean; size: number; matchedScore: number | null; iou: number | null }>;
  /** Counted faces: the recall denominator. */
  positives: number;
}

export function matchImage(faces: readonly Box[], detections: readonly Detection[], opts: MatchOptions = DEFAULT_MATCH): ImageMatch {
  const counted = faces.map((f) => shorterSide(f) >= opts.minSize);
  const taken = faces.map(() => false);
  const out: ImageMatch = {
    detections: [],
    faces: faces.map((f, i) => ({ counted: counted[i]!, size: shorterSide(f), matchedScore: null, iou: null })),
    positives: counted.filter(Boolean).length,
  };
  const order = detections.map((d, i) => ({ d, i })).sort((p, q) => q.d.score - p.d.score || p.i - q.i);
  for (const { d, i: index } of order) {
    let best = -1;
    let bestIou = 0;
    faces.forEach((f, j) => {
      if (counted[j] && taken[j]) return;
      const v = iou(d, f);
      if (v > bestIou) {
        bestIou = v;
        best = j;
      }
    });
    if (best >= 0 && bestIou >= opts.iouThreshold) {
      if (counted[best]) {
        taken[best] = true;
        out.faces[best]!.matchedScore = d.score;
        out.faces[best]!.iou = bestIou;
        out.detections.push({ score: d.score, outcome: 'tp', iou: bestIou, face: best, index });
      } else {
        out.detections.push({ score: d.score, outcome: 'ignored', iou: bestIou, face: best, index });
      }
    } else {
      out.detections.push({ score: d.score, outcome: 'fp', iou: bestIou, face: -1, index });
    }
  }
  return out;
}

export interface PrPoint {
  /** Detections scoring >= threshold are kept. */
  threshold: number;
  recall: number;
  precision: number;
}

export interface ApResult {
  ap: number;
  /** One point per distinct score, by descending threshold. */
  curve: PrPoint[];
  positives: number;
  truePositives: number;
  falsePositives: number;
}

/** Average precision over several images' matches (all-point interpolation); NaN with no counted face. */
export function averagePrecision(matches: readonly ImageMatch[]): ApResult {
  const positives = matches.reduce((s, m) => s + m.positives, 0);
  const scored = matches.flatMap((m) => m.detections.filter((d) => d.outcome !== 'ignored')).sort((p, q) => q.score - p.score);
  const curve: PrPoint[] = [];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < scored.length;) {
    const threshold = scored[i]!.score;
    for (; i < scored.length && scored[i]!.score === threshold; i++) {
      if (scored[i]!.outcome === 'tp') tp++;
      else fp++;
    }
    curve.push({ threshold, recall: positives ? tp / positives : NaN, precision: tp / (tp + fp) });
  }
  if (positives === 0) return { ap: NaN, curve, positives, truePositives: tp, falsePositives: fp };
  // Monotone envelope from the right, then the area of the step function over recall.
  let ap = 0;
  let envelope = 0;
  const best: number[] = new Array<number>(curve.length);
  for (let k = curve.length - 1; k >= 0; k--) best[k] = envelope = Math.max(envelope, curve[k]!.precision);
  let previousRecall = 0;
  curve.forEach((p, k) => {
    ap += (p.recall - previousRecall) * best[k]!;
    previousRecall = p.recall;
  });
  return { ap, curve, positives, truePositives: tp, falsePositives: fp };
}

/** Counted faces matched by a detection scoring >= threshold / counted faces, optionally within a size band [lo, hi). */
export function recallAt(
  matches: readonly ImageMatch[],
  threshold: number,
  band: readonly [number, number] = [0, Infinity],
): { recall: number; n: number } {
  let n = 0;
  let hit = 0;
  for (const m of matches) {
    for (const f of m.faces) {
      if (!f.counted || f.size < band[0] || f.size >= band[1]) continue;
      n++;
      if (f.matchedScore !== null && f.matchedScore >= threshold) hit++;
    }
  }
  return { recall: n ? hit / n : NaN, n };
}

/** IoUs of the matched (true positive) pairs whose detection scores >= threshold. */
export function matchedIous(matches: readonly ImageMatch[], threshold = -Infinity): number[] {
  return matches.flatMap((m) => m.detections.filter((d) => d.outcome === 'tp' && d.score >= threshold).map((d) => d.iou));
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((p, q) => p - q);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}
