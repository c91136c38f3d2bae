/**
 * Head pose (pitch, roll, yaw in degrees) from 68 landmarks: a weak-perspective (scaled
 * orthographic) fit of a generic 3-D face to six landmarks. Good to a few degrees near frontal,
 * which is what quality gating and liveness challenges need. Pure function.
 *
 * Camera frame: x to image right, y down, z away from the camera. Signs returned:
 * yaw > 0 when the face turns toward the image's right, pitch > 0 when the face looks up,
 * roll > 0 when the face tilts clockwise in the image.
 */
import type { HeadPose } from '../../domain/types.js';
import type { Point } from './geometry.js';

/** Generic face model (OpenCV's classic six points), converted to the camera frame above. */
const MODEL: ReadonlyArray<readonly [index: number, x: number, y: number, z: number]> = [
  [30, 0, 0, 0], // nose tip
  [8, 0, 330, 65], // chin
  [36, -225, -170, 135], // image-left eye, outer corner
  [45, 225, -170, 135], // image-right eye, outer corner
  [48, -150, 150, 125], // mouth, image-left corner
  [54, 150, 150, 125], // mouth, image-right corner
];

type Vec3 = [number, number, number];
const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const norm = (a: Vec3): number => Math.sqrt(dot(a, a));
const scale = (a: Vec3, s: number): Vec3 => [a[0] * s, a[1] * s, a[2] * s];
const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];

/** Solves the 3x3 system m·x = b by Cramer's rule. */
function solve3(m: Vec3[], b: Vec3): Vec3 {
  const det = (c0: Vec3, c1: Vec3, c2: Vec3): number => dot(c0, cross(c1, c2));
  const cols: Vec3[] = [0, 1, 2].map((j) => [m[0]![j]!, m[1]![j]!, m[2]![j]!] as Vec3);
  const d = det(cols[0]!, cols[1]!, cols[2]!);
  return [det(b, cols[1]!, cols[2]!) / d, det(cols[0]!, b, cols[2]!) / d, det(cols[0]!, cols[1]!, b) / d];
}

const deg = (rad: number): number => Math.round(((rad * 180) / Math.PI) * 10) / 10;

export function estimateHeadPose(points68: readonly Point[]): HeadPose {
  const model = MODEL.map(([, x, y, z]) => [x, y, z] as Vec3);
  const image = MODEL.map(([i]) => points68[i]!);
  const mc: Vec3 = scale(
    model.reduce<Vec3>((s, p) => [s[0] + p[0], s[1] + p[1], s[2] + p[2]], [0, 0, 0]),
    1 / model.length,
  );
  const ic = image.reduce((s, p) => ({ x: s.x + p.x / image.length, y: s.y + p.y / image.length }), { x: 0, y: 0 });
  const P = model.map((p) => [p[0] - mc[0], p[1] - mc[1], p[2] - mc[2]] as Vec3);
  // Least squares for the two rows a1, a2 of the 2x3 projection: (PᵀP) a = Pᵀu.
  const PtP: Vec3[] = [0, 1, 2].map((r) => [0, 1, 2].map((c) => P.reduce((s, p) => s + p[r]! * p[c]!, 0)) as Vec3);
  const Ptu = [0, 1, 2].map((r) => P.reduce((s, p, k) => s + p[r]! * (image[k]!.x - ic.x), 0)) as Vec3;
  const Ptv = [0, 1, 2].map((r) => P.reduce((s, p, k) => s + p[r]! * (image[k]!.y - ic.y), 0)) as Vec3;
  const a1 = solve3(PtP, Ptu);
  const a2 = solve3(PtP, Ptv);
  // Nearest rotation: normalise, orthogonalise, complete with the cross product.
  const r1 = scale(a1, 1 / norm(a1));
  const a2o: Vec3 = [a2[0] - dot(a2, r1) * r1[0], a2[1] - dot(a2, r1) * r1[1], a2[2] - dot(a2, r1) * r1[2]];
  const r2 = scale(a2o, 1 / norm(a2o));
  const r3 = cross(r1, r2);
  // R = Rz(roll)·Ry(yaw)·Rx(pitch), rows r1, r2, r3.
  const yaw = Math.asin(Math.max(-1, Math.min(1, -r3[0])));
  const pitch = Math.atan2(r3[1], r3[2]);
  const roll = Math.atan2(r2[0], r1[0]);
  return { pitch: -deg(pitch), roll: deg(roll), yaw: -deg(yaw) };
}
