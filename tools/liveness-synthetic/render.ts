/**
 * Presentation-attack rendering for bench/liveness.ts and the liveness unit tests: raw-RGB image
 * operations that turn real frames into what a camera would see of a photo, a print or a screen
 * held in front of it. sharp has no perspective warp, so warps are done here by inverse mapping
 * with bilinear sampling; everything else (resize, blur, JPEG) goes through sharp.
 */
import sharp from 'sharp';
import { fitHomography, invert3, type Matrix3, type Pt } from '../../src/domain/liveness/flatness.js';

export interface RgbImage {
  width: number;
  height: number;
  /** RGB, 3 bytes per pixel, row-major. */
  data: Uint8Array;
}

export async function loadRgb(input: string | Buffer): Promise<RgbImage> {
  const { data, info } = await sharp(input).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

export async function encodeJpeg(img: RgbImage, quality = 90): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
}

export async function resize(
  img: RgbImage,
  width: number,
  height: number,
  kernel: 'nearest' | 'linear' | 'cubic' | 'lanczos3' = 'linear',
): Promise<RgbImage> {
  const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

export async function blur(img: RgbImage, sigma: number): Promise<RgbImage> {
  if (sigma < 0.3) return img;
  const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .blur(sigma)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

/**
 * Output image of `width` x `height` where each pixel (u, v) takes the source's colour at
 * inverse·(u, v) (bilinear), or `fill` outside the source.
 */
export function warpInverse(
  src: RgbImage,
  inverse: Matrix3,
  width: number,
  height: number,
  fill: readonly [number, number, number] = [24, 20, 18],
): RgbImage {
  const out = new Uint8Array(width * height * 3);
  const { data, width: sw, height: sh } = src;
  const [a, b, c, d, e, f, g, h, i] = inverse;
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      const w = g * u + h * v + i;
      const x = (a * u + b * v + c) / w;
      const y = (d * u + e * v + f) / w;
      const o = (v * width + u) * 3;
      if (!(x >= 0 && y >= 0 && x <= sw - 1 && y <= sh - 1)) {
        out[o] = fill[0];
        out[o + 1] = fill[1];
        out[o + 2] = fill[2];
        continue;
      }
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      const x1 = Math.min(x0 + 1, sw - 1);
      const y1 = Math.min(y0 + 1, sh - 1);
      const fx = x - x0;
      const fy = y - y0;
      const p00 = (y0 * sw + x0) * 3;
      const p01 = (y0 * sw + x1) * 3;
      const p10 = (y1 * sw + x0) * 3;
      const p11 = (y1 * sw + x1) * 3;
      for (let ch = 0; ch < 3; ch++) {
        const top = data[p00 + ch]! * (1 - fx) + data[p01 + ch]! * fx;
        const bottom = data[p10 + ch]! * (1 - fx) + data[p11 + ch]! * fx;
        out[o + ch] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return { width, height, data: out };
}

/** Warps by a forward map (source -> output). */
export function warpForward(
  src: RgbImage,
  forward: Matrix3,
  width = src.width,
  height = src.height,
  fill?: readonly [number, number, number],
): RgbImage {
  const inv = invert3(forward);
  if (!inv) throw new Error('singular warp');
  return warpInverse(src, inv, width, height, fill);
}

/** Similarity map (scale, rotation in degrees, translation) about a centre. */
export function similarityAbout(center: Pt, scale: number, rotationDeg: number, tx: number, ty: number): Matrix3 {
  const r = (rotationDeg * Math.PI) / 180;
  const c = Math.cos(r) * scale;
  const s = Math.sin(r) * scale;
  return [c, -s, center.x + tx - c * center.x + s * center.y, s, c, center.y + ty - s * center.x - c * center.y, 0, 0, 1];
}

/**
 * The image seen by a pinhole camera when a flat sheet showing `size` (the source image, its
 * pixel (x, y) at plane coordinates (x − pivot.x, y − pivot.y)) is rotated about the pivot by yaw
 * (about the vertical axis; positive turns the sheet's right edge away) and pitch (about the
 * horizontal axis), then placed so the pivot projects to itself at the frontal pose. `focal` is
 * the camera focal length in pixels and `distance` the pivot's distance in pixels of the sheet:
 * distance ≈ focal keeps the frontal scale at 1; a smaller ratio brings the sheet closer (stronger
 * perspective). Returns the forward homography source -> output.
 */
export function sheetHomography(
  size: { width: number; height: number },
  pivot: Pt,
  o: { yawDeg: number; pitchDeg: number; rollDeg?: number; focal: number; distance: number; shift?: Pt },
): Matrix3 {
  const ya = (o.yawDeg * Math.PI) / 180;
  const pa = (o.pitchDeg * Math.PI) / 180;
  const ra = ((o.rollDeg ?? 0) * Math.PI) / 180;
  const project = (x: number, y: number): Pt => {
    // Plane point relative to the pivot, z = 0; rotate (roll, then pitch about x, then yaw about y).
    let X = x - pivot.x;
    let Y = y - pivot.y;
    let Z = 0;
    [X, Y] = [X * Math.cos(ra) - Y * Math.sin(ra), X * Math.sin(ra) + Y * Math.cos(ra)];
    [Y, Z] = [Y * Math.cos(pa) - Z * Math.sin(pa), Y * Math.sin(pa) + Z * Math.cos(pa)];
    [X, Z] = [X * Math.cos(ya) + Z * Math.sin(ya), -X * Math.sin(ya) + Z * Math.cos(ya)];
    const depth = o.distance + Z;
    const k = o.focal / depth;
    return { x: pivot.x + (o.shift?.x ?? 0) + X * k, y: pivot.y + (o.shift?.y ?? 0) + Y * k };
  };
  const corners: Pt[] = [
    { x: 0, y: 0 },
    { x: size.width, y: 0 },
    { x: size.width, y: size.height },
    { x: 0, y: size.height },
    { x: pivot.x, y: pivot.y },
  ];
  return fitHomography(
    corners,
    corners.map((p) => project(p.x, p.y)),
  );
}

/** Per-channel tone curve: out = 255 · gain · (in/255)^gamma + offset, clamped. */
export function tone(
  img: RgbImage,
  o: { gamma?: number; gain?: readonly [number, number, number]; offset?: number; contrast?: number },
): RgbImage {
  const gamma = o.gamma ?? 1;
  const gain = o.gain ?? [1, 1, 1];
  const contrast = o.contrast ?? 1;
  const offset = o.offset ?? 0;
  const luts = gain.map((gn) => {
    const lut = new Uint8Array(256);
    for (let v = 0; v < 256; v++) {
      const x = 255 * gn * Math.pow(v / 255, gamma);
      lut[v] = Math.max(0, Math.min(255, Math.round(128 + contrast * (x - 128) + offset)));
    }
    return lut;
  });
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < img.data.length; i++) out[i] = luts[i % 3]![img.data[i]!]!;
  return { ...img, data: out };
}

/**
 * A screen's pixel grid beating against the camera's: a multiplicative pattern of two close
 * spatial frequencies (visible moiré bands) plus the fine sub-pixel stripes.
 */
export function moire(img: RgbImage, o: { amplitude: number; period: number; angleDeg: number }): RgbImage {
  const out = new Uint8Array(img.data.length);
  const a1 = (o.angleDeg * Math.PI) / 180;
  const a2 = a1 + 0.06;
  const k1 = (2 * Math.PI) / o.period;
  const k2 = (2 * Math.PI) / (o.period * 1.07);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const p1 = Math.sin(k1 * (x * Math.cos(a1) + y * Math.sin(a1)));
      const p2 = Math.sin(k2 * (x * Math.cos(a2) + y * Math.sin(a2)));
      const m = 1 + o.amplitude * 0.5 * (p1 + p2);
      const o3 = (y * img.width + x) * 3;
      // Sub-pixel stripes: R, G, B columns slightly out of phase.
      for (let ch = 0; ch < 3; ch++) {
        const stripe = 1 + 0.04 * Math.sin(((x * 3 + ch) * 2 * Math.PI) / 3);
        out[o3 + ch] = Math.max(0, Math.min(255, Math.round(img.data[o3 + ch]! * m * stripe)));
      }
    }
  }
  return { ...img, data: out };
}

/** Adds Gaussian noise of `sigma` grey levels (seeded). */
export function addNoise(img: RgbImage, sigma: number, random: () => number): RgbImage {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < img.data.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - random()));
    const t = 2 * Math.PI * random();
    out[i] = Math.max(0, Math.min(255, Math.round(img.data[i]! + sigma * r * Math.cos(t))));
    if (i + 1 < img.data.length) out[i + 1] = Math.max(0, Math.min(255, Math.round(img.data[i + 1]! + sigma * r * Math.sin(t))));
  }
  return { ...img, data: out };
}

/** Pastes `img` scaled by `scale` with its point `anchor` at `at` on a canvas of the given size and colour. */
export function placeOnCanvas(
  img: RgbImage,
  o: { width: number; height: number; scale: number; anchor: Pt; at: Pt; fill?: readonly [number, number, number] },
): RgbImage {
  const m: Matrix3 = [o.scale, 0, o.at.x - o.scale * o.anchor.x, 0, o.scale, o.at.y - o.scale * o.anchor.y, 0, 0, 1];
  return warpForward(img, m, o.width, o.height, o.fill ?? [30, 26, 24]);
}
