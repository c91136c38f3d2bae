/**
 * STAND-IN for the light challenge's product modules (src/domain/liveness/light-sample.ts and
 * light-check.ts, built on branch wt-light), with their contract's shapes, so bench:liveness runs
 * before they are merged. bench/lib/light-judge.ts is the only importer; once the product modules
 * are merged it re-exports them instead and this file goes.
 *
 * measureLightSample: mean sRGB of the face box's central part (skin) and of the image outside
 * the head's surroundings (background), and the face box's share of the image.
 * judgeLight: log-chromaticity of skin minus background (a global cast — white balance, a tinted
 * glare over the whole picture — moves both alike and cancels), centred over the sequence, against
 * the issued colours (centred), normalised correlation, best over a camera lag of 0–400 ms.
 */
import type { FaceRectangle } from '../../src/domain/types.js';
import { LIGHT_RGB, lightDurationMs } from '../../src/domain/liveness/light.js';
import type { LightFlash } from '../../src/domain/liveness/types.js';

export interface LightImage {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

export interface LightSample {
  t: number;
  skin: readonly [number, number, number];
  background: readonly [number, number, number];
  faceFraction: number;
}

export type LightOutcome = 'REFLECTED' | 'NOT_REFLECTED' | 'SEQUENCE_MISMATCH' | 'TOO_DARK' | 'TOO_BRIGHT' | 'FACE_TOO_FAR' | 'UNJUDGEABLE';

export interface LightJudgement {
  outcome: LightOutcome;
  score: number;
  lagMs: number;
}

export const LIGHT_THRESHOLDS = {
  minSamples: 6,
  minFaceFraction: 0.01,
  minSkinLevel: 20,
  maxSkinLevel: 240,
  /** Normalised correlation at or above which the reflection follows the sequence. */
  minScore: 0.5,
  /** RMS of the centred skin-minus-background log-chromaticity below which nothing was reflected. */
  minAmplitude: 0.01,
  maxLagMs: 400,
};
export type LightThresholds = typeof LIGHT_THRESHOLDS;

export function measureLightSample(img: LightImage, box: FaceRectangle | null): Omit<LightSample, 't'> {
  const { width, height, channels, data } = img;
  const skin = [0, 0, 0];
  const bg = [0, 0, 0];
  let ns = 0;
  let nb = 0;
  const inner = box && {
    x0: box.left + 0.25 * box.width,
    x1: box.left + 0.75 * box.width,
    y0: box.top + 0.3 * box.height,
    y1: box.top + 0.8 * box.height,
  };
  const outer = box && {
    x0: box.left - box.width,
    x1: box.left + 2 * box.width,
    y0: box.top - box.height,
    y1: height,
  };
  for (let y = 0; y < height; y += 2) {
    for (let x = 0; x < width; x += 2) {
      const o = (y * width + x) * channels;
      if (inner && x >= inner.x0 && x < inner.x1 && y >= inner.y0 && y < inner.y1) {
        for (let c = 0; c < 3; c++) skin[c] = skin[c]! + data[o + c]!;
        ns++;
      } else if (!outer || x < outer.x0 || x >= outer.x1 || y < outer.y0 || y >= outer.y1) {
        for (let c = 0; c < 3; c++) bg[c] = bg[c]! + data[o + c]!;
        nb++;
      }
    }
  }
  const mean = (s: number[], n: number): [number, number, number] => (n ? [s[0]! / n, s[1]! / n, s[2]! / n] : [0, 0, 0]);
  return {
    skin: mean(skin, ns),
    background: mean(bg, nb),
    faceFraction: box ? (box.width * box.height) / (width * height) : 0,
  };
}

function logChroma(c: readonly [number, number, number]): [number, number, number] {
  const l = c.map((v) => Math.log(v + 2));
  const m = (l[0]! + l[1]! + l[2]!) / 3;
  return [l[0]! - m, l[1]! - m, l[2]! - m];
}

function colourAt(flashes: readonly LightFlash[], t: number): [number, number, number] | null {
  let start = 0;
  for (const f of flashes) {
    if (t >= start && t < start + f.durationMs) {
      const c = LIGHT_RGB[f.color];
      const m = (c[0] + c[1] + c[2]) / 3;
      return [(c[0] - m) / 255, (c[1] - m) / 255, (c[2] - m) / 255];
    }
    start += f.durationMs;
  }
  return null;
}

export function judgeLight(
  samples: readonly LightSample[],
  flashes: readonly LightFlash[],
  th: LightThresholds = LIGHT_THRESHOLDS,
): LightJudgement {
  const none = (outcome: LightOutcome): LightJudgement => ({ outcome, score: Number.NaN, lagMs: Number.NaN });
  if (samples.length < th.minSamples || flashes.length === 0) return none('UNJUDGEABLE');
  const ff = samples.map((s) => s.faceFraction).sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
  if (ff < th.minFaceFraction) return none('FACE_TOO_FAR');
  const level = samples.reduce((s, x) => s + (x.skin[0] + x.skin[1] + x.skin[2]) / 3, 0) / samples.length;
  if (level < th.minSkinLevel) return none('TOO_DARK');
  if (level > th.maxSkinLevel) return none('TOO_BRIGHT');
  const signal = samples.map((s) => {
    const a = logChroma(s.skin);
    const b = logChroma(s.background);
    return [a[0] - b[0], a[1] - b[1], a[2] - b[2]] as const;
  });
  const duration = lightDurationMs(flashes);
  let best: LightJudgement = { outcome: 'NOT_REFLECTED', score: -Infinity, lagMs: 0 };
  let bestAmplitude = 0;
  for (let lag = 0; lag <= th.maxLagMs; lag += 20) {
    const idx = samples.flatMap((s, i) => (s.t - lag >= 0 && s.t - lag < duration ? [i] : []));
    if (idx.length < th.minSamples) continue;
    const mean = [0, 1, 2].map((c) => idx.reduce((acc, i) => acc + signal[i]![c]!, 0) / idx.length);
    let dot = 0;
    let mm = 0;
    let ee = 0;
    for (const i of idx) {
      const e = colourAt(flashes, samples[i]!.t - lag)!;
      for (let c = 0; c < 3; c++) {
        const m = signal[i]![c]! - mean[c]!;
        dot += m * e[c]!;
        mm += m * m;
        ee += e[c]! * e[c]!;
      }
    }
    const score = mm > 0 && ee > 0 ? dot / Math.sqrt(mm * ee) : 0;
    if (score > best.score) {
      best = { outcome: 'NOT_REFLECTED', score, lagMs: lag };
      bestAmplitude = Math.sqrt(mm / (3 * idx.length));
    }
  }
  if (!Number.isFinite(best.score)) return none('UNJUDGEABLE');
  const outcome: LightOutcome =
    best.score >= th.minScore ? 'REFLECTED' : bestAmplitude >= th.minAmplitude ? 'SEQUENCE_MISMATCH' : 'NOT_REFLECTED';
  return { ...best, outcome };
}
