/**
 * Landmark geometry for liveness: least-squares fits of planar transforms between two frames'
 * landmarks, and the residuals those fits leave. Pure functions, no I/O.
 *
 * Why it works: every point of a flat surface (a printed photo, a phone or monitor screen)
 * moves between two views by ONE planar homography, whatever the camera or the surface does;
 * at selfie distances even an affine map is close. A real head is not flat: when it turns,
 * the nose, eyes, mouth and jaw line move by different amounts (parallax), and a live face also
 * changes shape (blinks, mouth, expression). So the RMS error left after the best homography
 * (or affine / similarity) fit, divided by the inter-ocular distance, is near the landmark
 * detector's noise for a flat surface and clearly larger for a live head — provided the head
 * turned enough (DESIGN.md: >= ~15 degrees of yaw) or the face moved non-rigidly.
 *
 * Fits:
 * - similarity (4 parameters: scale, rotation, translation), closed form;
 * - affine (6 parameters), linear least squares;
 * - homography (8 parameters): normalised DLT (Hartley) for a start, then Gauss–Newton on the
 *   transfer error in the target image, so the residual is the true geometric least-squares
 *   residual and not an algebraic one.
 */

export interface Pt {
  x: number;
  y: number;
}

/** Row-major 3x3 matrix [h00,h01,h02,h10,h11,h12,h20,h21,h22]; affine/similarity have h20=h21=0, h22=1. */
export type Matrix3 = readonly [number, number, number, number, number, number, number, number, number];

export type PlanarModel = 'similarity' | 'affine' | 'homography';

/** Degrees of freedom of each model (what the fit absorbs). */
export const MODEL_DOF: Record<PlanarModel, number> = { similarity: 4, affine: 6, homography: 8 };

export function applyMatrix(m: Matrix3, p: Pt): Pt {
  const w = m[6] * p.x + m[7] * p.y + m[8];
  return { x: (m[0] * p.x + m[1] * p.y + m[2]) / w, y: (m[3] * p.x + m[4] * p.y + m[5]) / w };
}

/** Solves a·x = b (n x n, row-major arrays) by Gaussian elimination with partial pivoting; null if singular. */
export function solveLinear(a: number[][], b: number[]): number[] | null {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    const pivot = m[p]![c]!;
    if (!Number.isFinite(pivot) || Math.abs(pivot) < 1e-12) return null;
    [m[c], m[p]] = [m[p]!, m[c]!];
    const rowC = m[c]!;
    for (let r = c + 1; r < n; r++) {
      const row = m[r]!;
      const f = row[c]! / pivot;
      if (f === 0) continue;
      for (let k = c; k <= n; k++) row[k] = row[k]! - f * rowC[k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    const row = m[r]!;
    let s = row[n]!;
    for (let k = r + 1; k < n; k++) s -= row[k]! * x[k]!;
    x[r] = s / row[r]!;
  }
  return x;
}

/** Normal equations (JᵀJ) x = Jᵀr for rows of a linear least-squares problem. */
function leastSquares(rows: readonly number[][], rhs: readonly number[], n: number): number[] | null {
  const ata = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const atb = new Array<number>(n).fill(0);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const y = rhs[i]!;
    for (let p = 0; p < n; p++) {
      const rp = row[p]!;
      if (rp === 0) continue;
      atb[p] = atb[p]! + rp * y;
      const ap = ata[p]!;
      for (let q = 0; q < n; q++) ap[q] = ap[q]! + rp * row[q]!;
    }
  }
  return solveLinear(ata, atb);
}

function checkPairs(src: readonly Pt[], dst: readonly Pt[], min: number): void {
  if (src.length !== dst.length) throw new Error(`point counts differ: ${src.length} vs ${dst.length}`);
  if (src.length < min) throw new Error(`need at least ${min} point pairs, got ${src.length}`);
}

/** Translation + scale that maps points to mean 0 and mean distance sqrt(2) (Hartley), as a matrix. */
function normaliser(points: readonly Pt[]): Matrix3 {
  let cx = 0;
  let cy = 0;
  for (const p of points) {
    cx += p.x;
    cy += p.y;
  }
  cx /= points.length;
  cy /= points.length;
  let d = 0;
  for (const p of points) d += Math.hypot(p.x - cx, p.y - cy);
  d /= points.length;
  const s = d > 0 ? Math.SQRT2 / d : 1;
  return [s, 0, -s * cx, 0, s, -s * cy, 0, 0, 1];
}

function multiply(a: Matrix3, b: Matrix3): Matrix3 {
  const r = new Array<number>(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) r[i * 3 + j] = a[i * 3]! * b[j]! + a[i * 3 + 1]! * b[3 + j]! + a[i * 3 + 2]! * b[6 + j]!;
  }
  return r as unknown as Matrix3;
}

/** Inverse of a 3x3 matrix (adjugate / determinant); null if singular. */
export function invert3(m: Matrix3): Matrix3 | null {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-15) return null;
  const inv = [A, -(b * i - c * h), b * f - c * e, B, a * i - c * g, -(a * f - c * d), C, -(a * h - b * g), a * e - b * d];
  return inv.map((v) => v / det) as unknown as Matrix3;
}

/** Least-squares similarity (uniform scale, rotation, translation) taking src onto dst. */
export function fitSimilarity(src: readonly Pt[], dst: readonly Pt[]): Matrix3 {
  checkPairs(src, dst, 2);
  // dst = [a -b; b a] src + t: linear in (a, b, tx, ty).
  const rows: number[][] = [];
  const rhs: number[] = [];
  src.forEach((p, k) => {
    rows.push([p.x, -p.y, 1, 0]);
    rhs.push(dst[k]!.x);
    rows.push([p.y, p.x, 0, 1]);
    rhs.push(dst[k]!.y);
  });
  const s = leastSquares(rows, rhs, 4);
  if (!s) throw new Error('degenerate point set for a similarity fit');
  const [a, b, tx, ty] = s as [number, number, number, number];
  return [a, -b, tx, b, a, ty, 0, 0, 1];
}

/** Least-squares affine map taking src onto dst. */
export function fitAffine(src: readonly Pt[], dst: readonly Pt[]): Matrix3 {
  checkPairs(src, dst, 3);
  // Normalise for conditioning, fit, then undo: A = Td⁻¹ · An · Ts.
  const ts = normaliser(src);
  const td = normaliser(dst);
  const ns = src.map((p) => applyMatrix(ts, p));
  const nd = dst.map((p) => applyMatrix(td, p));
  const rows = ns.map((p) => [p.x, p.y, 1]);
  const sx = leastSquares(
    rows,
    nd.map((p) => p.x),
    3,
  );
  const sy = leastSquares(
    rows,
    nd.map((p) => p.y),
    3,
  );
  if (!sx || !sy) throw new Error('degenerate point set for an affine fit');
  const an: Matrix3 = [sx[0]!, sx[1]!, sx[2]!, sy[0]!, sy[1]!, sy[2]!, 0, 0, 1];
  const tdInv = invert3(td);
  if (!tdInv) throw new Error('degenerate point set for an affine fit');
  return multiply(multiply(tdInv, an), ts);
}

/**
 * Least-squares homography taking src onto dst: normalised DLT with h22 = 1, refined by
 * Gauss–Newton on the transfer error |H(src) - dst|² (the geometric residual).
 */
export function fitHomography(src: readonly Pt[], dst: readonly Pt[], iterations = 6): Matrix3 {
  checkPairs(src, dst, 4);
  const ts = normaliser(src);
  const td = normaliser(dst);
  const n = src.length;
  // Normalised coordinates in flat arrays (this runs for every frame pair: keep it allocation-light).
  const sx = new Float64Array(n);
  const sy = new Float64Array(n);
  const dx = new Float64Array(n);
  const dy = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const a = applyMatrix(ts, src[k]!);
    const b = applyMatrix(td, dst[k]!);
    sx[k] = a.x;
    sy[k] = a.y;
    dx[k] = b.x;
    dy[k] = b.y;
  }
  const ata = new Float64Array(64);
  const atb = new Float64Array(8);
  const j1 = new Float64Array(8);
  const j2 = new Float64Array(8);
  // j1 has zeros at 3–5 and j2 at 0–2 (set once here): the x and y rows of one point.
  const accumulate = (r1: number, r2: number): void => {
    for (let p = 0; p < 8; p++) {
      const a1 = j1[p]!;
      const a2 = j2[p]!;
      atb[p] = atb[p]! + a1 * r1 + a2 * r2;
      for (let q = p; q < 8; q++) ata[p * 8 + q] = ata[p * 8 + q]! + a1 * j1[q]! + a2 * j2[q]!;
    }
  };
  const solveAccumulated = (): number[] | null => {
    for (let p = 0; p < 8; p++) for (let q = 0; q < p; q++) ata[p * 8 + q] = ata[q * 8 + p]!;
    return solveSymmetric8(ata, atb);
  };
  const setRows = (a0: number, a1: number, a2: number, a6: number, a7: number, b6: number, b7: number): void => {
    j1[0] = a0;
    j1[1] = a1;
    j1[2] = a2;
    j1[6] = a6;
    j1[7] = a7;
    j2[3] = a0;
    j2[4] = a1;
    j2[5] = a2;
    j2[6] = b6;
    j2[7] = b7;
  };
  // Linear start (DLT with h22 = 1): u·(h6 x + h7 y + 1) = h0 x + h1 y + h2, likewise v.
  for (let k = 0; k < n; k++) {
    const x = sx[k]!;
    const y = sy[k]!;
    const u = dx[k]!;
    const v = dy[k]!;
    setRows(x, y, 1, -u * x, -u * y, -v * x, -v * y);
    accumulate(u, v);
  }
  let h: number[] =
    solveAccumulated() ??
    affineStart(
      src.map((_, k) => ({ x: sx[k]!, y: sy[k]! })),
      dst.map((_, k) => ({ x: dx[k]!, y: dy[k]! })),
    );
  // Gauss–Newton on the geometric (transfer) error, in normalised coordinates.
  const sse = (v: readonly number[]): number => {
    let s = 0;
    for (let k = 0; k < n; k++) {
      const w = v[6]! * sx[k]! + v[7]! * sy[k]! + 1;
      const eu = (v[0]! * sx[k]! + v[1]! * sy[k]! + v[2]!) / w - dx[k]!;
      const ev = (v[3]! * sx[k]! + v[4]! * sy[k]! + v[5]!) / w - dy[k]!;
      s += eu * eu + ev * ev;
    }
    return s;
  };
  let current = sse(h);
  for (let it = 0; it < iterations; it++) {
    ata.fill(0);
    atb.fill(0);
    for (let k = 0; k < n; k++) {
      const x = sx[k]!;
      const y = sy[k]!;
      const w = h[6]! * x + h[7]! * y + 1;
      const u = (h[0]! * x + h[1]! * y + h[2]!) / w;
      const v = (h[3]! * x + h[4]! * y + h[5]!) / w;
      setRows(x / w, y / w, 1 / w, (-u * x) / w, (-u * y) / w, (-v * x) / w, (-v * y) / w);
      accumulate(dx[k]! - u, dy[k]! - v);
    }
    const step = solveAccumulated();
    if (!step) break;
    const next: number[] = h.map((v, i) => v + step[i]!);
    const value = sse(next);
    if (!(value < current)) break;
    const gain = current - value;
    h = next;
    current = value;
    // Converged: the squared error moves by less than a millionth (residuals to ~0.05 %).
    if (gain <= 1e-6 * current + 1e-18) break;
  }
  const hn: Matrix3 = [h[0]!, h[1]!, h[2]!, h[3]!, h[4]!, h[5]!, h[6]!, h[7]!, 1];
  const tdInv = invert3(td);
  if (!tdInv) throw new Error('degenerate point set for a homography fit');
  const m = multiply(multiply(tdInv, hn), ts);
  const scale = m[8];
  return (Math.abs(scale) > 1e-12 ? m.map((v) => v / scale) : m) as unknown as Matrix3;
}

/** Solves the 8x8 system a·x = b in place (Gaussian elimination, partial pivoting); null if singular. */
function solveSymmetric8(a: Float64Array, b: Float64Array): number[] | null {
  const n = 8;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]!) > Math.abs(a[p * n + c]!)) p = r;
    const pivot = a[p * n + c]!;
    if (!Number.isFinite(pivot) || Math.abs(pivot) < 1e-12) return null;
    if (p !== c) {
      for (let k = 0; k < n; k++) {
        const t = a[c * n + k]!;
        a[c * n + k] = a[p * n + k]!;
        a[p * n + k] = t;
      }
      const t = b[c]!;
      b[c] = b[p]!;
      b[p] = t;
    }
    for (let r = c + 1; r < n; r++) {
      const f = a[r * n + c]! / pivot;
      if (f === 0) continue;
      for (let k = c; k < n; k++) a[r * n + k] = a[r * n + k]! - f * a[c * n + k]!;
      b[r] = b[r]! - f * b[c]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let v = b[r]!;
    for (let k = r + 1; k < n; k++) v -= a[r * n + k]! * x[k]!;
    x[r] = v / a[r * n + r]!;
  }
  return x;
}

/** Collinear or repeated points: start from the affine map (a homography with h6 = h7 = 0). */
function affineStart(src: readonly Pt[], dst: readonly Pt[]): number[] {
  const a = fitAffine(src, dst);
  return [a[0], a[1], a[2], a[3], a[4], a[5], 0, 0];
}

export function fitPlanar(model: PlanarModel, src: readonly Pt[], dst: readonly Pt[]): Matrix3 {
  return model === 'similarity' ? fitSimilarity(src, dst) : model === 'affine' ? fitAffine(src, dst) : fitHomography(src, dst);
}

/** Root-mean-square distance between m(src) and dst, in dst's pixels. */
export function rmsResidual(m: Matrix3, src: readonly Pt[], dst: readonly Pt[]): number {
  checkPairs(src, dst, 1);
  let s = 0;
  src.forEach((p, k) => {
    const q = applyMatrix(m, p);
    s += (q.x - dst[k]!.x) ** 2 + (q.y - dst[k]!.y) ** 2;
  });
  return Math.sqrt(s / src.length);
}

const mean = (pts: readonly Pt[], from: number, to: number): Pt => {
  let x = 0;
  let y = 0;
  for (let i = from; i <= to; i++) {
    x += pts[i]!.x;
    y += pts[i]!.y;
  }
  const n = to - from + 1;
  return { x: x / n, y: y / n };
};

/** Distance between the eye centroids of 68 iBUG landmarks (points 36–41 and 42–47), pixels. */
export function interOcularDistance(landmarks68: readonly Pt[]): number {
  if (landmarks68.length < 48) throw new Error(`expected 68 landmarks, got ${landmarks68.length}`);
  const l = mean(landmarks68, 36, 41);
  const r = mean(landmarks68, 42, 47);
  return Math.hypot(l.x - r.x, l.y - r.y);
}

/**
 * Flatness residual between two views of the same landmarks: the RMS error left by the best
 * `model` fit from `a` to `b`, divided by the mean inter-ocular distance of the two views (so it
 * does not depend on face size). About 0 (landmark noise) for a flat surface, larger for a
 * turning head or a changing face.
 */
export function planarResidual(a: readonly Pt[], b: readonly Pt[], model: PlanarModel = 'homography'): number {
  const m = fitPlanar(model, a, b);
  const iod = (interOcularDistance(a) + interOcularDistance(b)) / 2;
  return iod > 0 ? rmsResidual(m, a, b) / iod : Number.POSITIVE_INFINITY;
}
