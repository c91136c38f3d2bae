/**
 * From face-api's 68 iBUG landmarks (0-based) to Azure's 27 named landmarks, and the crop
 * boxes face-api's networks expect. Pure functions.
 *
 * Azure "left" is image left (the subject's right), as in Azure's own responses.
 */
import { AZURE_LANDMARK_NAMES, type AzureLandmarkName, type AzureLandmarks } from '../../domain/types.js';
import { centroid, type Point, type Rect } from './geometry.js';

/** Which 68-point indices are averaged for each Azure landmark (DESIGN.md mapping). */
const SOURCES: Record<AzureLandmarkName, readonly number[]> = {
  pupilLeft: [36, 37, 38, 39, 40, 41],
  pupilRight: [42, 43, 44, 45, 46, 47],
  noseTip: [30],
  mouthLeft: [48],
  mouthRight: [54],
  eyebrowLeftOuter: [17],
  eyebrowLeftInner: [21],
  eyeLeftOuter: [36],
  eyeLeftTop: [37, 38],
  eyeLeftBottom: [40, 41],
  eyeLeftInner: [39],
  eyebrowRightInner: [22],
  eyebrowRightOuter: [26],
  eyeRightInner: [42],
  eyeRightTop: [43, 44],
  eyeRightBottom: [46, 47],
  eyeRightOuter: [45],
  noseRootLeft: [27, 39],
  noseRootRight: [27, 42],
  noseLeftAlarTop: [29, 31],
  noseRightAlarTop: [29, 35],
  noseLeftAlarOutTip: [31],
  noseRightAlarOutTip: [35],
  upperLipTop: [51],
  upperLipBottom: [62],
  underLipTop: [66],
  underLipBottom: [57],
};

/** Azure reports landmarks with one decimal place. */
const round1 = (v: number): number => Math.round(v * 10) / 10;

/**
 * Azure's 27 points from the 68. For a face cut by the image edge the model extrapolates
 * points beyond it; those are clamped to the image border, as a pixel position must lie in it.
 */
export function toAzureLandmarks(points68: readonly Point[], imageWidth: number, imageHeight: number): AzureLandmarks {
  if (points68.length !== 68) throw new Error(`expected 68 landmarks, got ${points68.length}`);
  const clamp = (v: number, max: number): number => Math.min(Math.max(v, 0), max);
  const out = {} as AzureLandmarks;
  for (const name of AZURE_LANDMARK_NAMES) {
    const c = centroid(SOURCES[name].map((i) => points68[i]!));
    out[name] = { x: round1(clamp(c.x, imageWidth)), y: round1(clamp(c.y, imageHeight)) };
  }
  return out;
}

/** Unpacks the flat [x0, y0, x1, y1, ...] landmark array the worker returns. */
export function unpackPoints(flat: ArrayLike<number>): Point[] {
  const pts: Point[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pts.push({ x: flat[i]!, y: flat[i + 1]! });
  return pts;
}

/**
 * The box face-api's `faceRecognitionNet` was used with: face-api's dlib-style alignment
 * (`FaceLandmarks.align(null, { useDlibAlignment: true })`), computed from the eye and mouth
 * centres. Reproducing it exactly keeps our descriptors on face-api's calibrated scale.
 */
export function dlibAlignedBox(points68: readonly Point[], imageWidth: number, imageHeight: number): Rect {
  const leftEye = centroid(points68.slice(36, 42));
  const rightEye = centroid(points68.slice(42, 48));
  const mouth = centroid(points68.slice(48, 68));
  const eyeToMouth = (Math.hypot(mouth.x - leftEye.x, mouth.y - leftEye.y) + Math.hypot(mouth.x - rightEye.x, mouth.y - rightEye.y)) / 2;
  const size = Math.floor(eyeToMouth / 0.45);
  const ref = centroid([leftEye, rightEye, mouth]);
  const x = Math.floor(Math.max(0, ref.x - 0.5 * size));
  const y = Math.floor(Math.max(0, ref.y - 0.43 * size));
  return { x, y, width: Math.min(size, imageWidth + x), height: Math.min(size, imageHeight + y) };
}

/**
 * Maps a YuNet box onto the box shape face-api's SSD detector produces, which is what
 * `faceLandmark68Net` was trained on. Least-squares fit over the 26 faces of the shared photos
 * found by both detectors (bench/fit-landmark-box.ts: x' = x + dx·w, y' = y + dy·h, w' = sw·w,
 * h' = sh·h): mean IoU with SSD's box 0.877, against 0.860 for YuNet's raw box. YuNet's boxes
 * are already close to SSD's; the map only shifts them slightly down and right and trims them.
 * The box is the raw one (it may extend beyond the image); the caller clips it.
 */
export const YUNET_TO_LANDMARK_BOX = Object.freeze({ dx: 0.0108, dy: 0.0237, sw: 0.9603, sh: 0.9593 });

export function detectorBoxToLandmarkBox(box: Rect): Rect {
  const { dx, dy, sw, sh } = YUNET_TO_LANDMARK_BOX;
  return { x: box.x + dx * box.width, y: box.y + dy * box.height, width: box.width * sw, height: box.height * sh };
}
