/**
 * The light challenge's per-frame measurement: the mean colour of the face's skin and of the
 * background, from a decoded frame and the face box the engine found in it. Pure, no I/O; the
 * engine runs it on the pixels it has already decoded (src/adapters/engine/worker.ts), and
 * light-check.ts judges the samples of an attempt against the issued sequence.
 *
 * Regions (face box = the engine's face rectangle, clipped to the image):
 *  - skin: an ellipse in the lower two thirds of the box (cheeks, nose, mouth, chin), without the
 *    eye corners either side of the nose bridge — eyes, brows and hair do not reflect like skin
 *    (specular cornea, dark hair) and move with blinks;
 *  - background: the top strip of the frame and the upper two thirds of its side strips, outside
 *    the face box grown by BACKGROUND_FACE_MARGIN. Not the bottom strip: it holds the shoulders
 *    and chest, which the screen lights as much as the face. What the screen barely lights (a
 *    wall ~1 m behind the user gets ~10× less light than a face at 30 cm) is the reference that
 *    cancels the camera's auto-exposure and white balance.
 */
export interface LightSample {
  /** Milliseconds since the attempt's first frame. */
  t: number;
  /** Mean sRGB (0–255) of the skin region, or null without a face (or an empty region). */
  skin: readonly [number, number, number] | null;
  /** Mean sRGB (0–255) of the background region, or null when it is empty. */
  background: readonly [number, number, number] | null;
  /** Face box area ÷ frame area (0 without a face). */
  faceFraction: number;
}

/** What the engine attaches to one analysed frame (the time comes from the client's timestamps). */
export type LightMeasure = Omit<LightSample, 't'>;

export interface LightImage {
  width: number;
  height: number;
  /** 3 (RGB) or 4 (RGBA); the first three channels are read. */
  channels: number;
  data: Uint8Array;
}

export interface LightFaceBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Width of the frame's border strips that form the background, as a fraction of the shorter side. */
export const BACKGROUND_STRIP = 0.12;
/** The face box is grown by this fraction of its size on each side before background pixels are taken. */
export const BACKGROUND_FACE_MARGIN = 0.25;
/** About this many pixels are read per region at most (a regular subsampling grid): means of 10^4 pixels are exact enough. */
const TARGET_PIXELS = 20_000;

type Rgb = readonly [number, number, number];

function stride(area: number): number {
  return Math.max(1, Math.floor(Math.sqrt(area / TARGET_PIXELS)));
}

/** Mean of the pixels of [x0, x1) × [y0, y1) that `keep` accepts, on a grid of step `step`. */
function meanOver(
  img: LightImage,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  step: number,
  keep: (x: number, y: number) => boolean,
): Rgb | null {
  let r = 0;
  let g = 0;
  let b = 0;
  let n = 0;
  const { width, channels, data } = img;
  for (let y = y0; y < y1; y += step) {
    for (let x = x0; x < x1; x += step) {
      if (!keep(x, y)) continue;
      const i = (y * width + x) * channels;
      r += data[i]!;
      g += data[i + 1]!;
      b += data[i + 2]!;
      n++;
    }
  }
  return n === 0 ? null : [r / n, g / n, b / n];
}

/** Skin and background means and the face's share of the frame. */
export function measureLightSample(img: LightImage, face: LightFaceBox | null): LightMeasure {
  const { width: w, height: h } = img;
  if (!(w > 0 && h > 0) || img.channels < 3 || img.data.length < w * h * img.channels) {
    throw new Error('measureLightSample: the image is empty or its data is shorter than width × height × channels');
  }
  // The face box, clipped to the image (integer pixel bounds).
  let box: { x0: number; y0: number; x1: number; y1: number } | null = null;
  if (face && face.width > 0 && face.height > 0) {
    const x0 = Math.max(0, Math.floor(face.left));
    const y0 = Math.max(0, Math.floor(face.top));
    const x1 = Math.min(w, Math.ceil(face.left + face.width));
    const y1 = Math.min(h, Math.ceil(face.top + face.height));
    if (x1 > x0 && y1 > y0) box = { x0, y0, x1, y1 };
  }

  let skin: Rgb | null = null;
  if (box && face) {
    const cx = face.left + face.width / 2;
    const cy = face.top + 0.62 * face.height;
    const ax = 0.34 * face.width;
    const ay = 0.26 * face.height;
    const eyeLine = face.top + 0.5 * face.height;
    const bridge = 0.1 * face.width;
    const inSkin = (x: number, y: number): boolean => {
      const dx = (x + 0.5 - cx) / ax;
      const dy = (y + 0.5 - cy) / ay;
      if (dx * dx + dy * dy > 1) return false;
      // Above the eye line only the nose bridge: the eyes sit either side of it.
      return y + 0.5 >= eyeLine || Math.abs(x + 0.5 - cx) <= bridge;
    };
    const sx0 = Math.max(box.x0, Math.floor(cx - ax));
    const sx1 = Math.min(box.x1, Math.ceil(cx + ax));
    const sy0 = Math.max(box.y0, Math.floor(cy - ay));
    const sy1 = Math.min(box.y1, Math.ceil(cy + ay));
    skin = meanOver(img, sx0, sy0, sx1, sy1, stride(Math.PI * ax * ay), inSkin);
  }

  const strip = Math.max(1, Math.round(BACKGROUND_STRIP * Math.min(w, h)));
  const sideBottom = Math.round((2 * h) / 3);
  const grown =
    box && face
      ? {
          x0: face.left - BACKGROUND_FACE_MARGIN * face.width,
          y0: face.top - BACKGROUND_FACE_MARGIN * face.height,
          x1: face.left + (1 + BACKGROUND_FACE_MARGIN) * face.width,
          y1: face.top + (1 + BACKGROUND_FACE_MARGIN) * face.height,
        }
      : null;
  const inBackground = (x: number, y: number): boolean => {
    const inStrip = y < strip || (y < sideBottom && (x < strip || x >= w - strip));
    if (!inStrip) return false;
    return !(grown && x + 0.5 >= grown.x0 && x + 0.5 < grown.x1 && y + 0.5 >= grown.y0 && y + 0.5 < grown.y1);
  };
  const background = meanOver(img, 0, 0, w, sideBottom, stride(strip * (w + 2 * sideBottom)), inBackground);

  const faceFraction = box ? ((box.x1 - box.x0) * (box.y1 - box.y0)) / (w * h) : 0;
  return { skin, background, faceFraction };
}
