/**
 * The light challenge's reflection, rendered onto a frame (tests and benches): a screen showing
 * `rgb` in front of the face adds light to the skin. A small model on purpose — additive light
 * on an ellipse inscribed in the face box, in linear RGB, proportional to the pixel's own value
 * (the skin's albedo times the ambient light):
 *
 *   out_c = in_c × (1 + strength × screen_c)      (linear light; screen_c = LIGHT colour, 0–1)
 *
 * so `strength` is the screen's light on the face as a fraction of the ambient light (0.05: a
 * phone at 30 cm in a ~300 lux room, see LIGHT_THRESHOLDS.minAmplitude). The edge of the
 * ellipse is feathered over 10 % of its radius. Nothing outside the face changes (the background
 * is far from the screen); neck, hair and shoulders are not modelled.
 */
import type { RgbImage } from './render.js';

const toLinear = (v: number): number => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
};
const toSrgb = (l: number): number => {
  const c = Math.min(1, Math.max(0, l));
  const v = c <= 0.0031308 ? c * 12.92 : 1.055 * c ** (1 / 2.4) - 0.055;
  return Math.round(v * 255);
};
const LINEAR = Array.from({ length: 256 }, (_, v) => toLinear(v));

export interface FaceBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** A copy of `img` with the screen's light of colour `rgb` (sRGB 0–255) added to the face. */
export function applyLight(img: RgbImage, face: FaceBox, rgb: readonly [number, number, number], strength: number): RgbImage {
  const out = new Uint8Array(img.data);
  if (strength === 0 || face.width <= 0 || face.height <= 0) return { width: img.width, height: img.height, data: out };
  const gain = rgb.map((v) => strength * toLinear(Math.min(255, Math.max(0, v))));
  const cx = face.left + face.width / 2;
  const cy = face.top + face.height / 2;
  const ax = face.width / 2;
  const ay = face.height / 2;
  const x0 = Math.max(0, Math.floor(face.left));
  const x1 = Math.min(img.width, Math.ceil(face.left + face.width));
  const y0 = Math.max(0, Math.floor(face.top));
  const y1 = Math.min(img.height, Math.ceil(face.top + face.height));
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const dx = (x + 0.5 - cx) / ax;
      const dy = (y + 0.5 - cy) / ay;
      const r = Math.sqrt(dx * dx + dy * dy);
      if (r >= 1) continue;
      const weight = r <= 0.9 ? 1 : (1 - r) / 0.1;
      const i = (y * img.width + x) * 3;
      for (let c = 0; c < 3; c++) out[i + c] = toSrgb(LINEAR[img.data[i + c]!]! * (1 + weight * gain[c]!));
    }
  }
  return { width: img.width, height: img.height, data: out };
}
