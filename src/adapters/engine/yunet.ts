/**
 * YuNet (libfacedetection's `yunet_s_dynamic.onnx`, the network of OpenCV zoo's
 * face_detection_yunet_2023mar) input preparation, output decoding, non-max suppression and the
 * multi-scale plan. Pure functions: the worker runs the ONNX session and hands the raw outputs here.
 *
 * Input: BGR, raw 0–255 float32, NCHW, H and W padded bottom/right with 0 to multiples of 32
 * (OpenCV's FaceDetectorYN: `blobFromImage` with no scaling, no mean, no channel swap).
 * Outputs per stride s in 8, 16, 32 (N = H/s · W/s cells, row-major): `cls_s` and `obj_s`
 * [1,N,1] (sigmoid already applied), `bbox_s` [1,N,4] and `kps_s` [1,N,10].
 */
import type { Rect } from './geometry.js';

export const YUNET_STRIDES = [8, 16, 32] as const;
export const YUNET_DIVISOR = 32;
/** OpenCV FaceDetectorYN's default NMS IoU. */
export const YUNET_NMS_IOU = 0.3;

export interface YunetBox {
  score: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /**
   * Five keypoints, flat [x, y] x 5: the subject's right eye (image left), left eye, nose tip,
   * right mouth corner (image left), left mouth corner.
   */
  keypoints: number[];
}

export type YunetOutputs = Readonly<Record<string, ArrayLike<number>>>;

/** H or W padded up to YuNet's divisor (OpenCV: `(int((n - 1) / 32) + 1) * 32`). */
export const padToDivisor = (n: number): number => (Math.floor((n - 1) / YUNET_DIVISOR) + 1) * YUNET_DIVISOR;

export interface YunetTensor {
  /** 1 x 3 x padH x padW, planes B, G, R, 0–255, zero padding bottom/right. */
  data: Float32Array;
  padW: number;
  padH: number;
}

/**
 * A w x h RGB image resized (bilinear, pixel centres aligned as OpenCV's INTER_LINEAR) to
 * targetW x targetH, turned into YuNet's BGR planar float input and padded to multiples of 32.
 * When the sizes are equal it is a plain copy.
 */
export function yunetInput(rgb: Uint8Array, w: number, h: number, targetW: number, targetH: number): YunetTensor {
  if (rgb.length < w * h * 3) throw new Error(`yunet: expected ${w * h * 3} RGB bytes, got ${rgb.length}`);
  const padW = padToDivisor(targetW);
  const padH = padToDivisor(targetH);
  const plane = padW * padH;
  const data = new Float32Array(3 * plane);
  if (w === targetW && h === targetH) {
    for (let y = 0; y < h; y++) {
      let src = y * w * 3;
      let dst = y * padW;
      for (let x = 0; x < w; x++, src += 3, dst++) {
        data[dst] = rgb[src + 2]!;
        data[plane + dst] = rgb[src + 1]!;
        data[2 * plane + dst] = rgb[src]!;
      }
    }
    return { data, padW, padH };
  }
  const sx = w / targetW;
  const sy = h / targetH;
  // Column taps are the same for every row: compute them once.
  const x0s = new Int32Array(targetW);
  const x1s = new Int32Array(targetW);
  const fxs = new Float32Array(targetW);
  for (let x = 0; x < targetW; x++) {
    const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), w - 1);
    const x0 = Math.floor(fx);
    x0s[x] = x0 * 3;
    x1s[x] = Math.min(x0 + 1, w - 1) * 3;
    fxs[x] = fx - x0;
  }
  const B = 0;
  const G = plane;
  const R = 2 * plane;
  for (let y = 0; y < targetH; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), h - 1);
    const y0 = Math.floor(fy);
    const r0 = y0 * w * 3;
    const r1 = Math.min(y0 + 1, h - 1) * w * 3;
    const wy = fy - y0;
    const row = y * padW;
    for (let x = 0; x < targetW; x++) {
      const a = r0 + x0s[x]!;
      const b = r0 + x1s[x]!;
      const c = r1 + x0s[x]!;
      const d = r1 + x1s[x]!;
      const wx = fxs[x]!;
      // Channel by channel, unrolled: red, green, blue into planes R, G, B.
      let top = rgb[a]! + (rgb[b]! - rgb[a]!) * wx;
      let bottom = rgb[c]! + (rgb[d]! - rgb[c]!) * wx;
      data[R + row + x] = top + (bottom - top) * wy;
      top = rgb[a + 1]! + (rgb[b + 1]! - rgb[a + 1]!) * wx;
      bottom = rgb[c + 1]! + (rgb[d + 1]! - rgb[c + 1]!) * wx;
      data[G + row + x] = top + (bottom - top) * wy;
      top = rgb[a + 2]! + (rgb[b + 2]! - rgb[a + 2]!) * wx;
      bottom = rgb[c + 2]! + (rgb[d + 2]! - rgb[c + 2]!) * wx;
      data[B + row + x] = top + (bottom - top) * wy;
    }
  }
  return { data, padW, padH };
}

const clamp01 = (v: number): number => Math.min(Math.max(v, 0), 1);

function output(outputs: YunetOutputs, name: string, length: number): ArrayLike<number> {
  const o = outputs[name];
  if (!o) throw new Error(`yunet: output ${name} missing`);
  if (o.length !== length) throw new Error(`yunet: ${name} has ${o.length} values, expected ${length}`);
  return o;
}

/**
 * OpenCV FaceDetectorYN's decode: score = sqrt(clamp01(cls) * clamp01(obj)); for the cell at
 * column c, row r of stride s: cx = (c + dx)·s, cy = (r + dy)·s, w = exp(dw)·s, h = exp(dh)·s,
 * keypoint k = ((c + kx)·s, (r + ky)·s). Coordinates are in input (padded tensor) pixels.
 */
export function decodeYunet(outputs: YunetOutputs, padW: number, padH: number, scoreThreshold: number): YunetBox[] {
  const boxes: YunetBox[] = [];
  for (const s of YUNET_STRIDES) {
    const cols = Math.floor(padW / s);
    const rows = Math.floor(padH / s);
    const n = cols * rows;
    const cls = output(outputs, `cls_${s}`, n);
    const obj = output(outputs, `obj_${s}`, n);
    const bbox = output(outputs, `bbox_${s}`, n * 4);
    const kps = output(outputs, `kps_${s}`, n * 10);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const i = r * cols + c;
        const score = Math.sqrt(clamp01(cls[i]!) * clamp01(obj[i]!));
        if (score < scoreThreshold) continue;
        const cx = (c + bbox[i * 4]!) * s;
        const cy = (r + bbox[i * 4 + 1]!) * s;
        const w = Math.exp(bbox[i * 4 + 2]!) * s;
        const h = Math.exp(bbox[i * 4 + 3]!) * s;
        const keypoints: number[] = [];
        for (let k = 0; k < 5; k++) keypoints.push((kps[i * 10 + 2 * k]! + c) * s, (kps[i * 10 + 2 * k + 1]! + r) * s);
        boxes.push({ score, x0: cx - w / 2, y0: cy - h / 2, x1: cx + w / 2, y1: cy + h / 2, keypoints });
      }
    }
  }
  return boxes;
}

export function iou(a: YunetBox, b: YunetBox): number {
  const ix = Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0));
  const iy = Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));
  const inter = ix * iy;
  const union = (a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy non-max suppression, highest score first (a suppressed box never suppresses others). */
export function nonMaxSuppression(boxes: readonly YunetBox[], iouThreshold: number, maxBoxes = Infinity): YunetBox[] {
  const sorted = [...boxes].sort((p, q) => q.score - p.score);
  const kept: YunetBox[] = [];
  for (const box of sorted) {
    if (kept.length >= maxBoxes) break;
    if (kept.every((k) => iou(k, box) <= iouThreshold)) kept.push(box);
  }
  return kept;
}

/** Maps a box from a pass's input pixels to image pixels: image = offset + input · scale. */
export function toImage(b: YunetBox, offsetX: number, offsetY: number, scaleX: number, scaleY: number): YunetBox {
  return {
    score: b.score,
    x0: offsetX + b.x0 * scaleX,
    y0: offsetY + b.y0 * scaleY,
    x1: offsetX + b.x1 * scaleX,
    y1: offsetY + b.y1 * scaleY,
    keypoints: b.keypoints.map((v, i) => (i % 2 === 0 ? offsetX + v * scaleX : offsetY + v * scaleY)),
  };
}

// ---- Multi-scale plan -------------------------------------------------------------------------

/** Long side of the whole-image pass. */
export const WHOLE_SIDE = 640;
/** Images whose long side is above this also get tiles. */
export const TILE_ABOVE = 960;
/** Bounds of the adaptive tile side, image pixels (each tile runs at ≤ WHOLE_SIDE). */
export const TILE_SOURCE = { min: 640, max: 1280 } as const;
/** Fraction of a tile shared with its neighbour. */
export const TILE_OVERLAP = 0.25;
/**
 * The smallest face (detector pixels) YuNet is trusted to find. Measured by pasting four shared
 * portraits, scaled, into a grey 640 x 640 canvas: at 20 px wide every face scored 0.88–0.92,
 * at 16 px 0.60–0.89, at 12 px 0.31–0.86. Tiles are added only when a minFaceSize face would be
 * smaller than this in the whole-image pass, and are sized so that it is at least this big.
 */
export const MIN_DETECTOR_FACE = 20;

export interface Tile extends Rect {
  /** Input size the tile is resized to. */
  targetW: number;
  targetH: number;
  /**
   * Upscaled tiles only: boxes with a longer side above this (image pixels) are dropped. A face
   * up to the overlap's size lies whole in some tile; a bigger one may be cut, and a tile's box of
   * its visible part can outscore the whole pass's (which sees it whole and big enough anyway).
   */
  maxFace?: number;
}

/**
 * The whole-image pass: a large image scaled down so its long side is WHOLE_SIDE. A smaller one
 * is scaled up only when a minFaceSize face would be under MIN_DETECTOR_FACE px (minFaceSize < 20),
 * by as much as that takes and at most to WHOLE_SIDE: with the default 36 px floor, every face
 * that may be returned is already big enough at 1x, and a 2x upscale costs ~4x the inference.
 */
export function wholePassSize(width: number, height: number, minFaceSize: number): { targetW: number; targetH: number } {
  const long = Math.max(width, height);
  const scale = long > WHOLE_SIDE ? WHOLE_SIDE / long : Math.min(WHOLE_SIDE / long, Math.max(1, MIN_DETECTOR_FACE / minFaceSize));
  return { targetW: Math.max(1, Math.round(width * scale)), targetH: Math.max(1, Math.round(height * scale)) };
}

/**
 * Splits `length` into as few spans of at most `size` as cover it with TILE_OVERLAP overlap
 * between neighbours: equal spans, first at 0, last at the end. Returns [start, length] pairs.
 */
function spans(length: number, size: number): Array<[number, number]> {
  if (length <= size) return [[0, length]];
  const count = Math.ceil((length - size * TILE_OVERLAP) / (size * (1 - TILE_OVERLAP)));
  const span = Math.ceil(length / (count - (count - 1) * TILE_OVERLAP));
  const step = (length - span) / (count - 1);
  return Array.from({ length: count }, (_, i) => [Math.round(i * step), span] as [number, number]);
}

/**
 * Tiles. A small image (long side ≤ TILE_ABOVE) gets upscaled tiles only when minFaceSize is small
 * (upscaledTiles). A large image gets none when the whole-image pass already shows a minFaceSize
 * face at ≥ MIN_DETECTOR_FACE px. Otherwise a grid of tiles at most
 * `side` image pixels on each side (TILE_SOURCE.min–max: the largest at which a minFaceSize face
 * still reaches MIN_DETECTOR_FACE px at WHOLE_SIDE), neighbours overlapping by TILE_OVERLAP, each
 * run at ≤ WHOLE_SIDE on its long side and never upscaled.
 *
 * E.g. 1920 x 1280 at minFaceSize 36: side 1152, 2 x 2 tiles of 1098 x 732 run at 640 x 427
 * (0.58x, a 36 px face is 21 px) — four more passes of the whole-image pass's size.
 */
export function planTiles(width: number, height: number, minFaceSize: number): Tile[] {
  const long = Math.max(width, height);
  if (long <= TILE_ABOVE) return upscaledTiles(width, height, minFaceSize);
  if ((minFaceSize * WHOLE_SIDE) / long >= MIN_DETECTOR_FACE) return [];
  const side = Math.round(Math.min(Math.max((WHOLE_SIDE * minFaceSize) / MIN_DETECTOR_FACE, TILE_SOURCE.min), TILE_SOURCE.max));
  const tiles: Tile[] = [];
  for (const [y, th] of spans(height, side)) {
    for (const [x, tw] of spans(width, side)) {
      const scale = Math.min(1, WHOLE_SIDE / Math.max(tw, th));
      tiles.push({
        x,
        y,
        width: tw,
        height: th,
        targetW: Math.max(1, Math.round(tw * scale)),
        targetH: Math.max(1, Math.round(th * scale)),
      });
    }
  }
  return tiles;
}

/**
 * Small images asked for small faces: the size (detector pixels) a minFaceSize face is brought to
 * by upscaled tiles. On the tune half of the masks set (400 px photos, minFaceSize 16) AP@0.5 went
 * 0.765 -> 0.787 / 0.801 / 0.839 / 0.819 at 20 / 24 / 28 / 32 / 36 px: YuNet finds 16–32 px faces
 * far more often once they are ~32 px, beyond the 20 px it merely tolerates.
 */
export const UPSCALE_FACE = 32;
/** Cost bound of the upscaled tiles: the upscaled image's long side at most this. */
export const UPSCALED_SIDE_MAX = 1024;
/** Upscaled tiles only when they magnify at least this much more than the whole-image pass. */
const UPSCALE_GAIN_MIN = 1.25;

/**
 * Tiles over a small image (long side ≤ TILE_ABOVE) upscaled so a minFaceSize face reaches
 * UPSCALE_FACE px (bounded by UPSCALED_SIDE_MAX): the image at that scale cut into WHOLE_SIDE
 * tiles with TILE_OVERLAP. None when that is no bigger than the whole-image pass by
 * UPSCALE_GAIN_MIN, so the default minFaceSize 36 never gets any (scale ≤ 1).
 *
 * E.g. 400 x 300 at minFaceSize 16: 2x, two tiles of 320 x 300 run at 640 x 600, keeping faces
 * up to 80 px (the overlap).
 */
function upscaledTiles(width: number, height: number, minFaceSize: number): Tile[] {
  const long = Math.max(width, height);
  const whole = Math.min(WHOLE_SIDE / long, Math.max(1, MIN_DETECTOR_FACE / minFaceSize));
  const scale = Math.min(UPSCALE_FACE / minFaceSize, UPSCALED_SIDE_MAX / long);
  if (scale <= 1 || scale < whole * UPSCALE_GAIN_MIN) return [];
  const side = Math.floor(WHOLE_SIDE / scale);
  const maxFace = Math.floor(side * TILE_OVERLAP);
  const tiles: Tile[] = [];
  for (const [y, th] of spans(height, side)) {
    for (const [x, tw] of spans(width, side)) {
      tiles.push({
        x,
        y,
        width: tw,
        height: th,
        targetW: Math.max(1, Math.round(tw * scale)),
        targetH: Math.max(1, Math.round(th * scale)),
        maxFace,
      });
    }
  }
  return tiles;
}

/**
 * True when a box found in a tile touches one of the tile's inner edges (an edge that is not the
 * image's): the face is probably cut there, and the overlap shows it whole in a neighbour tile
 * or in the whole-image pass. Box and tile in image pixels.
 */
export function touchesInnerEdge(b: YunetBox, tile: Rect, imageWidth: number, imageHeight: number, margin: number): boolean {
  return (
    (tile.x > 0 && b.x0 <= tile.x + margin) ||
    (tile.y > 0 && b.y0 <= tile.y + margin) ||
    (tile.x + tile.width < imageWidth && b.x1 >= tile.x + tile.width - margin) ||
    (tile.y + tile.height < imageHeight && b.y1 >= tile.y + tile.height - margin)
  );
}
