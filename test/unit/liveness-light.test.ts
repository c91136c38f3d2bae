/**
 * The light challenge's measurement (light-sample.ts) and check (light-check.ts) on synthetic
 * frames: a flat "background" with a skin-coloured face box, camera noise, per-frame
 * auto-exposure and white-balance gains, and the screen's reflection rendered by
 * tools/liveness-synthetic/light.ts (applyLight) for the flash on screen `lag` ms before each
 * frame. The thresholds (LIGHT_THRESHOLDS) come from the physics and noise reasoning written
 * beside them, not from these frames: these tests check the behaviour each case calls for.
 */
import { describe, expect, it } from 'vitest';
import { createLightSequence, LIGHT_RGB, lightDurationMs } from '../../src/domain/liveness/light.js';
import { judgeLight, LIGHT_THRESHOLDS, type LightVerdict } from '../../src/domain/liveness/light-check.js';
import { measureLightSample, type LightSample } from '../../src/domain/liveness/light-sample.js';
import type { LightFlash } from '../../src/domain/liveness/types.js';
import { applyLight, type FaceBox } from '../../tools/liveness-synthetic/light.js';
import { rng } from '../../tools/liveness-synthetic/landmarks.js';
import type { RgbImage } from '../../tools/liveness-synthetic/render.js';

type Rgb = readonly [number, number, number];

/** A deterministic random byte source for createLightSequence. */
function bytes(seed: number): (n: number) => Uint8Array {
  const r = rng(seed);
  return (n) => Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

interface Scene {
  width: number;
  height: number;
  face: FaceBox;
  skin: Rgb;
  background: Rgb;
}

const W = 320;
const H = 240;
/** A selfie at ~35 cm: the face box is 36 % of the frame's width (faceFraction ≈ 0.18). */
const NEAR: Scene = {
  width: W,
  height: H,
  face: { left: 100, top: 50, width: 115, height: 120 },
  skin: [196, 148, 122],
  background: [132, 128, 120],
};

function baseImage(scene: Scene, random: () => number, noise: number): RgbImage {
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

interface Filming {
  scene?: Scene;
  /** The sequence the screen showed (what is rendered onto the face). */
  shown: readonly LightFlash[];
  /** Screen light as a fraction of the ambient light (applyLight). */
  strength: number;
  /** Camera lag, ms: a frame at t shows the flash on screen at t − lagMs. */
  lagMs?: number;
  /** Added to every frame's timestamp (a recording out of step with the issued sequence). */
  shiftMs?: number;
  fps?: number;
  seed?: number;
  /** Reflect the flash on the whole frame (a second screen in front of the camera), not on the face. */
  wholeFrame?: boolean;
}

/** Frames at ~fps (±8 ms jitter) over the sequence and 500 ms after it, measured. */
function film(o: Filming): LightSample[] {
  const scene = o.scene ?? NEAR;
  const random = rng(o.seed ?? 1);
  const lag = o.lagMs ?? 120;
  const interval = 1000 / (o.fps ?? 10);
  const total = lightDurationMs(o.shown);
  const samples: LightSample[] = [];
  for (let k = 0; ; k++) {
    const t = k === 0 ? 0 : Math.round(k * interval + (random() - 0.5) * 16);
    if (t > total + 500) break;
    let img = baseImage(scene, random, 6);
    let start = 0;
    const onScreen = o.shown.find((f) => {
      const hit = t - lag >= start && t - lag < start + f.durationMs;
      start += f.durationMs;
      return hit;
    });
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
    const m = measureLightSample({ width: img.width, height: img.height, channels: 3, data: img.data }, scene.face);
    samples.push({ t: t + (o.shiftMs ?? 0), ...m });
  }
  return samples;
}

const SEQ = createLightSequence(bytes(7));
const OTHER = createLightSequence(bytes(8));

describe('measureLightSample', () => {
  const scene: Scene = {
    width: 200,
    height: 150,
    face: { left: 60, top: 30, width: 80, height: 90 },
    skin: [200, 150, 120],
    background: [40, 90, 160],
  };
  const img = baseImage(scene, () => 0.5, 0);

  it('reads the skin inside the face box and the background outside it, and the face box share of the frame', () => {
    const m = measureLightSample({ width: img.width, height: img.height, channels: 3, data: img.data }, scene.face);
    expect(m.skin).toEqual([200, 150, 120]);
    expect(m.background).toEqual([40, 90, 160]);
    expect(m.faceFraction).toBeCloseTo((80 * 90) / (200 * 150), 10);
  });

  it('reads RGBA, and leaves out the eyes and the forehead: a dark band across the eyes and hair on top change nothing', () => {
    const rgba = new Uint8Array(200 * 150 * 4);
    for (let p = 0; p < 200 * 150; p++) {
      rgba.set(img.data.subarray(p * 3, p * 3 + 3), p * 4);
      rgba[p * 4 + 3] = 255;
      const x = p % 200;
      const y = Math.floor(p / 200);
      const inFaceX = x >= 60 && x < 140;
      // Hair over the top 30 % of the face box; eyes: dark patches either side of the nose at 35–48 % of its height.
      const hair = inFaceX && y >= 30 && y < 30 + 0.3 * 90;
      const eye = y >= 30 + 0.35 * 90 && y < 30 + 0.48 * 90 && ((x >= 68 && x < 90) || (x >= 110 && x < 132));
      if (hair || eye) rgba.set([20, 15, 10], p * 4);
    }
    const m = measureLightSample({ width: 200, height: 150, channels: 4, data: rgba }, scene.face);
    expect(m.skin).toEqual([200, 150, 120]);
    expect(m.background).toEqual([40, 90, 160]);
  });

  it('without a face: no skin, the border as background, faceFraction 0', () => {
    const m = measureLightSample({ width: img.width, height: img.height, channels: 3, data: img.data }, null);
    expect(m).toEqual({ skin: null, background: [40, 90, 160], faceFraction: 0 });
  });

  it('clips a face box that leaves the image', () => {
    const m = measureLightSample(
      { width: img.width, height: img.height, channels: 3, data: img.data },
      { left: 150, top: 100, width: 100, height: 100 },
    );
    expect(m.faceFraction).toBeCloseTo((50 * 50) / (200 * 150), 10);
  });
});

describe('judgeLight on synthetic frames', () => {
  const expectOutcome = (v: LightVerdict, outcome: LightVerdict['outcome']): void => {
    expect(v.outcome, JSON.stringify(v)).toBe(outcome);
  };

  it('the issued sequence reflected by the face (5 % of the ambient light, 120 ms camera lag, auto-exposure drifting) is REFLECTED', () => {
    const v = judgeLight(film({ shown: SEQ, strength: 0.05 }), SEQ);
    expectOutcome(v, 'REFLECTED');
    expect(v.score).toBeGreaterThan(LIGHT_THRESHOLDS.minScore);
    expect(Math.abs(v.lagMs - 120)).toBeLessThanOrEqual(50);
    expect(v.amplitude).toBeGreaterThan(LIGHT_THRESHOLDS.minAmplitude);
  });

  it('also at 6 fps and with no lag, and with a faint reflection (2 %)', () => {
    expectOutcome(judgeLight(film({ shown: SEQ, strength: 0.05, fps: 6, lagMs: 0, seed: 2 }), SEQ), 'REFLECTED');
    expectOutcome(judgeLight(film({ shown: SEQ, strength: 0.02, seed: 3 }), SEQ), 'REFLECTED');
  });

  it('the same reflection shifted in time beyond the lag window is not REFLECTED', () => {
    // The frames show the sequence 600 ms later than issued (lag 120 + 600 > maxLagMs).
    const v = judgeLight(film({ shown: SEQ, strength: 0.05, lagMs: 720 }), SEQ);
    expect(v.outcome).not.toBe('REFLECTED');
    expect(v.score).toBeLessThan(LIGHT_THRESHOLDS.minScore);
  });

  it('another sequence reflected (a recording of an earlier challenge) is SEQUENCE_MISMATCH', () => {
    expect(OTHER).not.toEqual(SEQ);
    const v = judgeLight(film({ shown: OTHER, strength: 0.05 }), SEQ);
    expectOutcome(v, 'SEQUENCE_MISMATCH');
    expect(v.score).toBeLessThan(LIGHT_THRESHOLDS.minScore);
  });

  it('a recording of one sequence answers few others: at most 2 % of 300 random issued sequences', () => {
    const samples = film({ shown: SEQ, strength: 0.05, seed: 4 });
    let reflected = 0;
    for (let s = 0; s < 300; s++) {
      const issued = createLightSequence(bytes(1000 + s));
      if (judgeLight(samples, issued).outcome === 'REFLECTED') reflected++;
    }
    expect(reflected).toBeLessThanOrEqual(6);
  });

  it('no reflection (a replayed video, a photo) is NOT_REFLECTED', () => {
    const v = judgeLight(film({ shown: SEQ, strength: 0 }), SEQ);
    expectOutcome(v, 'NOT_REFLECTED');
    expect(v.amplitude).toBeLessThan(LIGHT_THRESHOLDS.minAmplitude);
  });

  it('a second screen in front of the camera, lit by the flashes as a whole, does not pass: the background changes with the face', () => {
    const v = judgeLight(film({ shown: SEQ, strength: 0.05, wholeFrame: true }), SEQ);
    expectOutcome(v, 'NOT_REFLECTED');
  });

  it('a dark scene without a visible reflection is TOO_DARK (uncertain), not a spoof', () => {
    const dark: Scene = { ...NEAR, skin: [24, 17, 13], background: [20, 19, 18] };
    expectOutcome(judgeLight(film({ scene: dark, shown: SEQ, strength: 0 }), SEQ), 'TOO_DARK');
  });

  it('a clipped, overexposed face without a visible reflection is TOO_BRIGHT', () => {
    const bright: Scene = { ...NEAR, skin: [250, 244, 238], background: [200, 200, 200] };
    expectOutcome(judgeLight(film({ scene: bright, shown: SEQ, strength: 0 }), SEQ), 'TOO_BRIGHT');
  });

  it('a small, far face without a visible reflection is FACE_TOO_FAR', () => {
    const far: Scene = { ...NEAR, face: { left: 150, top: 90, width: 40, height: 44 } };
    expectOutcome(judgeLight(film({ scene: far, shown: SEQ, strength: 0 }), SEQ), 'FACE_TOO_FAR');
  });

  it('too few frames inside the light window (2 fps, or no face) is UNJUDGEABLE', () => {
    expectOutcome(judgeLight(film({ shown: SEQ, strength: 0.05, fps: 2 }), SEQ), 'UNJUDGEABLE');
    const faceless = film({ shown: SEQ, strength: 0.05 }).map((s) => ({ ...s, skin: null, faceFraction: 0 }));
    expectOutcome(judgeLight(faceless, SEQ), 'UNJUDGEABLE');
    expectOutcome(judgeLight(film({ shown: SEQ, strength: 0.05 }), []), 'UNJUDGEABLE');
  });
});
