/**
 * Synthetic landmark sequences for the liveness unit tests and the benchmark's sanity checks
 * (shared by test/ and bench/, hence here):
 * a crude 3-D 68-point face (iBUG layout, depth included) that can be rotated, deformed and
 * projected with a pinhole camera, and flat (photo-like) copies of it moved by 2-D maps.
 * Pure functions, deterministic (seeded noise). Not a face model for anything but geometry tests.
 */
import type { FrameAnalysis, FrameFace } from '../../src/domain/liveness/types.js';

export interface P3 {
  x: number;
  y: number;
  z: number;
}
export interface P2 {
  x: number;
  y: number;
}

/**
 * 68 points in face units (inter-ocular distance 70), x to the image right, y down, z away from
 * the camera (the nose tip is nearest). `mouthOpen` (0–1) opens the lips, `blink` (0–1) closes
 * the eyes: the non-rigid part of a live face.
 */
export function face3d(opts: { mouthOpen?: number; blink?: number } = {}): P3[] {
  const mouthOpen = opts.mouthOpen ?? 0;
  const blink = opts.blink ?? 0;
  const pts: P3[] = [];
  for (let k = 0; k <= 16; k++) {
    const a = (Math.PI * k) / 16;
    pts.push({ x: -72 * Math.cos(a), y: -10 + 92 * Math.sin(a), z: 20 + 70 * Math.abs(Math.cos(a)) });
  }
  for (let k = 0; k < 5; k++) pts.push({ x: -58 + 10 * k, y: -48 + (k === 2 ? -4 : k === 1 || k === 3 ? -3 : 0), z: 8 });
  for (let k = 0; k < 5; k++) pts.push({ x: 18 + 10 * k, y: -48 + (k === 2 ? -4 : k === 1 || k === 3 ? -3 : 0), z: 8 });
  for (let k = 0; k < 4; k++) pts.push({ x: 0, y: -32 + 13 * k, z: -8 - 11 * k });
  for (let k = 0; k < 5; k++) pts.push({ x: -16 + 8 * k, y: 16 - (k === 2 ? 2 : 0), z: -22 - (k === 2 ? 8 : k === 1 || k === 3 ? 4 : 0) });
  const eye = (cx: number): void => {
    const open = 5 * (1 - blink);
    const ring: Array<[number, number]> = [
      [-13, 0],
      [-6, -open],
      [6, -open],
      [13, 0],
      [6, open],
      [-6, open],
    ];
    for (const [dx, dy] of ring) pts.push({ x: cx + dx, y: -25 + dy, z: 12 });
  };
  eye(-35);
  eye(35);
  const lip = 4 + 14 * mouthOpen;
  for (let k = 0; k < 12; k++) {
    const a = Math.PI + (2 * Math.PI * k) / 12;
    const ry = Math.sin(a) > 0 ? 10 + lip : 10;
    pts.push({ x: 28 * Math.cos(a), y: 44 + ry * Math.sin(a), z: -6 + 10 * Math.abs(Math.cos(a)) });
  }
  for (let k = 0; k < 8; k++) {
    const a = Math.PI + (2 * Math.PI * k) / 8;
    const ry = Math.sin(a) > 0 ? lip : 3;
    pts.push({ x: 18 * Math.cos(a), y: 44 + ry * Math.sin(a), z: -8 });
  }
  return pts;
}

/** Rotates about the face's centre: yaw about y (positive = toward the image right), pitch about x (positive = up), roll about z. */
export function rotate(points: readonly P3[], yawDeg: number, pitchDeg = 0, rollDeg = 0): P3[] {
  const [y, p, r] = [yawDeg, pitchDeg, rollDeg].map((d) => (d * Math.PI) / 180) as [number, number, number];
  return points.map((q) => {
    // Pitch: looking up raises the nose tip (z < 0) in the image (y decreases).
    let { x, y: yy, z } = q;
    const y1 = yy * Math.cos(p) + z * Math.sin(p);
    const z1 = -yy * Math.sin(p) + z * Math.cos(p);
    yy = y1;
    z = z1;
    // Yaw: a positive yaw brings the nose tip (z < 0) toward +x.
    const x2 = x * Math.cos(y) - z * Math.sin(y);
    const z2 = x * Math.sin(y) + z * Math.cos(y);
    x = x2;
    z = z2;
    const x3 = x * Math.cos(r) - yy * Math.sin(r);
    const y3 = x * Math.sin(r) + yy * Math.cos(r);
    return { x: x3, y: y3, z };
  });
}

/** Pinhole projection: the face centre at `distance` face units in front of a camera of focal `focal` px, centred at (cx, cy), `scale` px per face unit at the centre. */
export function project(points: readonly P3[], o: { cx: number; cy: number; pxPerUnit: number; distance?: number }): P2[] {
  const d = o.distance ?? 600;
  return points.map((p) => ({ x: o.cx + (o.pxPerUnit * p.x * d) / (d + p.z), y: o.cy + (o.pxPerUnit * p.y * d) / (d + p.z) }));
}

/** Applies a 3x3 row-major matrix to 2-D points. */
export function mapPoints(points: readonly P2[], m: readonly number[]): P2[] {
  return points.map((p) => {
    const w = m[6]! * p.x + m[7]! * p.y + m[8]!;
    return { x: (m[0]! * p.x + m[1]! * p.y + m[2]!) / w, y: (m[3]! * p.x + m[4]! * p.y + m[5]!) / w };
  });
}

/** Deterministic pseudo-random numbers (mulberry32). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Adds Gaussian noise of `sigma` px to every point. */
export function jitterPoints(points: readonly P2[], sigma: number, random: () => number): P2[] {
  const g = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return points.map((p) => ({ x: p.x + sigma * g(), y: p.y + sigma * g() }));
}

/** A unit-length embedding: a fixed direction per identity plus a little per-frame noise. */
export function embeddingFor(identity: number, random: () => number, noise = 0.01): Float32Array {
  const base = rng(1000 + identity);
  const v = new Float32Array(128);
  let n = 0;
  for (let i = 0; i < 128; i++) {
    v[i] = base() - 0.5 + noise * (random() - 0.5);
    n += v[i]! * v[i]!;
  }
  n = Math.sqrt(n);
  for (let i = 0; i < 128; i++) v[i] = v[i]! / n;
  return v;
}

export interface SyntheticFrameOptions {
  landmarks: P2[];
  yaw: number;
  pitch: number;
  roll?: number;
  identity?: number;
  t: number;
  blur?: number;
  random: () => number;
}

/** One frame with one face whose rectangle is the landmarks' bounding box (slightly enlarged). */
export function frameWith(o: SyntheticFrameOptions): FrameAnalysis {
  return { t: o.t, width: 640, height: 480, faces: [faceWith(o)], light: null };
}

export function faceWith(o: SyntheticFrameOptions): FrameFace {
  const xs = o.landmarks.map((p) => p.x);
  const ys = o.landmarks.map((p) => p.y);
  const left = Math.min(...xs);
  const top = Math.min(...ys);
  const size = Math.max(Math.max(...xs) - left, Math.max(...ys) - top);
  return {
    faceRectangle: { left: Math.round(left), top: Math.round(top), width: Math.round(size), height: Math.round(size) },
    landmarks68: o.landmarks,
    pose: { yaw: o.yaw, pitch: o.pitch, roll: o.roll ?? 0 },
    embedding: embeddingFor(o.identity ?? 0, o.random),
    quality: { blur: o.blur ?? 0.1, exposure: 0.5, noise: 0.1 },
  };
}

export interface LiveSequenceOptions {
  /** Yaw (degrees) of each frame; pitch in `pitch` (same length) or 0. */
  yaw: readonly number[];
  pitch?: readonly number[];
  /** Milliseconds between frames. */
  dt?: number;
  seed?: number;
  /** Landmark noise, px. */
  sigma?: number;
  /** px per face unit (0.014 x 70 = ~100 px inter-ocular... default gives ~60 px). */
  pxPerUnit?: number;
  identity?: number;
  /** Talking / blinking: mouth opening and blink per frame (0–1), default a gentle talk. */
  mouth?: readonly number[];
}

/** A live head: the 3-D face turned along the yaw/pitch trajectory, talking a little, projected, with noise. */
export function liveSequence(o: LiveSequenceOptions): FrameAnalysis[] {
  const random = rng(o.seed ?? 1);
  const dt = o.dt ?? 100;
  return o.yaw.map((yaw, i) => {
    const pitch = o.pitch?.[i] ?? 0;
    const mouthOpen = o.mouth?.[i] ?? 0.3 + 0.3 * Math.sin(i * 1.3);
    const pts = project(rotate(face3d({ mouthOpen }), yaw, pitch), { cx: 320, cy: 240, pxPerUnit: o.pxPerUnit ?? 0.9 });
    const landmarks = jitterPoints(pts, o.sigma ?? 0.4, random);
    return frameWith({
      landmarks,
      yaw: yaw + 1.5 * (random() - 0.5),
      pitch: pitch + 1.5 * (random() - 0.5),
      identity: o.identity,
      t: i * dt,
      random,
    });
  });
}

export interface PhotoSequenceOptions {
  frames: number;
  dt?: number;
  seed?: number;
  sigma?: number;
  /** Hand jitter: translation (px), rotation (degrees), scale (fraction), per frame. */
  shift?: number;
  rotationDeg?: number;
  scale?: number;
  /** A perspective tilt of the photo plane per frame (homography terms), 0 for none. */
  perspective?: number;
  yaw?: number;
  pitch?: number;
  identity?: number;
}

/** A flat photo of the face (one frontal projection) moved by small random similarity/perspective maps, with landmark noise. */
export function photoSequence(o: PhotoSequenceOptions): FrameAnalysis[] {
  const random = rng(o.seed ?? 7);
  const dt = o.dt ?? 100;
  const yaw = o.yaw ?? 3;
  const pitch = o.pitch ?? -2;
  const base = project(rotate(face3d({ mouthOpen: 0.2 }), yaw, pitch), { cx: 320, cy: 240, pxPerUnit: 0.9 });
  const out: FrameAnalysis[] = [];
  for (let i = 0; i < o.frames; i++) {
    const s = 1 + (o.scale ?? 0.02) * (random() - 0.5) * 2;
    const r = ((o.rotationDeg ?? 2) * (random() - 0.5) * 2 * Math.PI) / 180;
    const tx = (o.shift ?? 4) * (random() - 0.5) * 2;
    const ty = (o.shift ?? 4) * (random() - 0.5) * 2;
    const px = (o.perspective ?? 0) * (random() - 0.5) * 2;
    const py = (o.perspective ?? 0) * (random() - 0.5) * 2;
    // About the face centre (320, 240): translate, map, translate back.
    const c = Math.cos(r) * s;
    const sn = Math.sin(r) * s;
    const moved = base.map((p) => {
      const x = p.x - 320;
      const y = p.y - 240;
      const w = 1 + px * x + py * y;
      return { x: 320 + tx + (c * x - sn * y) / w, y: 240 + ty + (sn * x + c * y) / w };
    });
    const landmarks = jitterPoints(moved, o.sigma ?? 0.4, random);
    out.push(
      frameWith({
        landmarks,
        yaw: yaw + 1.5 * (random() - 0.5),
        pitch: pitch + 1.5 * (random() - 0.5),
        identity: o.identity,
        t: i * dt,
        random,
      }),
    );
  }
  return out;
}
