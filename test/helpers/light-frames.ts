/**
 * Synthetic frames for the light challenge's tests: a flat background with a skin-coloured face
 * box, camera noise, per-frame auto-exposure and white-balance gains, and the screen's
 * reflection rendered by tools/liveness-synthetic/applyLight for the flash on screen `lagMs`
 * before each frame — measured with measureLightSample, as the engine measures real frames.
 */
import { LIGHT_RGB, lightDurationMs } from '../../src/domain/liveness/light.js';
import { measureLightSample, type LightMeasure, type LightSample } from '../../src/domain/liveness/light-sample.js';
import type { LightFlash } from '../../src/domain/liveness/types.js';
import { rng } from '../../tools/liveness-synthetic/landmarks.js';
import { applyLight, type FaceBox } from '../../tools/liveness-synthetic/light.js';
import type { RgbImage } from '../../tools/liveness-synthetic/render.js';

type Rgb = readonly [number, number, number];

/** A deterministic random byte source (createLightSequence, createChallenge). */
export function bytes(seed: number): (n: number) => Uint8Array {
  const r = rng(seed);
  return (n) => Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

export interface Scene {
  width: number;
  height: number;
  face: FaceBox;
  skin: Rgb;
  background: Rgb;
}

/** A selfie at ~35 cm: the face box is 36 % of the frame's width (faceFraction ≈ 0.18). */
export const NEAR: Scene = {
  width: 320,
  height: 240,
  face: { left: 100, top: 50, width: 115, height: 120 },
  skin: [196, 148, 122],
  background: [132, 128, 120],
};

export function baseImage(scene: Scene, random: () => number, noise: number): RgbImage {
  const data = new Uint8Array(scene.width * scene.height * 3);
  const { face } = scene;
  for (let y = 0; y < scene.height; y++) {
    for (let x = 0; x < scene.width; x++) {
      const inFace = x >= face.left && x < face.left + face.width && y >= face.top && y < face.top + face.height;
      const base = inFace ? scene.skin : scene.background;
      for (let c = 0; c < 3; c++) data[(y * scene.width + x) * 3 + c] = Math.round(base[c]! + noise * (random() - 0.5) * 2);
    }
  }
  return { width: scene.width, height: scene.height, data };
}

/** Per-channel gains on the whole frame: the camera's auto-exposure and white balance drifting. */
function cameraGains(img: RgbImage, gains: readonly number[]): RgbImage {
  const data = img.data.map((v, i) => Math.min(255, Math.round(v * gains[i % 3]!)));
  return { width: img.width, height: img.height, data };
}

/** The flash on screen at `t` ms after the sequence started, if any. */
export function flashAt(flashes: readonly LightFlash[], t: number): LightFlash | undefined {
  let start = 0;
  for (const f of flashes) {
    if (t >= start && t < start + f.durationMs) return f;
    start += f.durationMs;
  }
  return undefined;
}

export interface Filming {
  scene?: Scene;
  /** The sequence the screen showed (what is rendered onto the face). */
  shown: readonly LightFlash[];
  /** Screen light as a fraction of the ambient light (applyLight). */
  strength: number;
  /** Camera lag, ms: a frame at t shows the flash on screen at t − lagMs. Default 120. */
  lagMs?: number;
  seed?: number;
  /** Reflect the flash on the whole frame (a second screen in front of the camera), not on the face. */
  wholeFrame?: boolean;
}

/** The light measure of a frame filmed at each of `times` (ms since the first frame). */
export function lightMeasures(times: readonly number[], o: Filming): LightMeasure[] {
  const scene = o.scene ?? NEAR;
  const random = rng(o.seed ?? 1);
  const lag = o.lagMs ?? 120;
  return times.map((t) => {
    let img = baseImage(scene, random, 6);
    const onScreen = flashAt(o.shown, t - lag);
    if (onScreen) {
      const box = o.wholeFrame ? { left: -scene.width, top: -scene.height, width: 3 * scene.width, height: 3 * scene.height } : scene.face;
      img = applyLight(img, box, LIGHT_RGB[onScreen.color], o.strength);
    }
    // Auto-exposure ±8 % and white balance ±3 % per channel, changing every frame.
    const exposure = 1 + (random() - 0.5) * 0.16;
    img = cameraGains(
      img,
      [0, 1, 2].map(() => exposure * (1 + (random() - 0.5) * 0.06)),
    );
    return measureLightSample({ width: img.width, height: img.height, channels: 3, data: img.data }, scene.face);
  });
}

/** Frames at ~fps (±8 ms jitter) over the sequence and 500 ms after it, measured. */
export function film(o: Filming & { fps?: number }): LightSample[] {
  const random = rng((o.seed ?? 1) + 7919);
  const interval = 1000 / (o.fps ?? 10);
  const end = lightDurationMs(o.shown) + 500;
  const times: number[] = [];
  for (let k = 0; ; k++) {
    const t = k === 0 ? 0 : Math.round(k * interval + (random() - 0.5) * 16);
    if (t > end) break;
    times.push(t);
  }
  const measures = lightMeasures(times, o);
  return times.map((t, i) => ({ t, ...measures[i]! }));
}
