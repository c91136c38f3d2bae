/**
 * Image-quality attributes of a face crop, on Azure's scales (value 0–1 plus a level).
 * Pure functions over an RGB crop; the worker hands in the face's aligned crop.
 *
 * These are classical measurements, not learned models:
 * - blur: variance of the Laplacian of the luminance (sharp edges give high variance);
 * - exposure: mean luminance of the face;
 * - noise: Immerkær's fast noise-sigma estimate (a Laplacian-difference mask that cancels
 *   image structure up to second order, leaving sensor/JPEG noise).
 * The constants that map them to 0–1 were set on the shared photos and degraded copies of
 * them (blurred, darkened, brightened, noised); test/unit/quality.test.ts checks the ordering.
 */

import type { Level, QualityMeasures } from '../../domain/types.js';

/** Side of the square luminance patch all measures run on, so values do not depend on face size. */
export const PATCH = 96;

/** Resamples an RGB crop to a PATCH x PATCH luminance patch (area average). */
export function luminancePatch(rgb: Uint8Array, width: number, height: number): Float32Array {
  const out = new Float32Array(PATCH * PATCH);
  for (let py = 0; py < PATCH; py++) {
    const y0 = Math.floor((py * height) / PATCH);
    const y1 = Math.max(y0 + 1, Math.floor(((py + 1) * height) / PATCH));
    for (let px = 0; px < PATCH; px++) {
      const x0 = Math.floor((px * width) / PATCH);
      const x1 = Math.max(x0 + 1, Math.floor(((px + 1) * width) / PATCH));
      let sum = 0;
      let n = 0;
      for (let y = y0; y < y1 && y < height; y++) {
        for (let x = x0; x < x1 && x < width; x++) {
          const o = (y * width + x) * 3;
          sum += 0.299 * rgb[o]! + 0.587 * rgb[o + 1]! + 0.114 * rgb[o + 2]!;
          n++;
        }
      }
      out[py * PATCH + px] = n ? sum / n : 0;
    }
  }
  return out;
}

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));
const round2 = (v: number): number => Math.round(v * 100) / 100;

function laplacianVariance(p: Float32Array): number {
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let y = 1; y < PATCH - 1; y++) {
    for (let x = 1; x < PATCH - 1; x++) {
      const i = y * PATCH + x;
      const lap = p[i - PATCH]! + p[i + PATCH]! + p[i - 1]! + p[i + 1]! - 4 * p[i]!;
      sum += lap;
      sumSq += lap * lap;
      n++;
    }
  }
  const mean = sum / n;
  return sumSq / n - mean * mean;
}

/**
 * Immerkaer's noise sigma on the luminance at native resolution (averaging down would hide
 * the very noise we are measuring).
 */
function noiseSigma(rgb: Uint8Array, width: number, height: number): number {
  if (width < 3 || height < 3) return 0;
  const lum = new Float32Array(width * height);
  for (let i = 0; i < lum.length; i++) lum[i] = 0.299 * rgb[i * 3]! + 0.587 * rgb[i * 3 + 1]! + 0.114 * rgb[i * 3 + 2]!;
  let acc = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const v =
        lum[i - width - 1]! -
        2 * lum[i - width]! +
        lum[i - width + 1]! -
        2 * lum[i - 1]! +
        4 * lum[i]! -
        2 * lum[i + 1]! +
        lum[i + width - 1]! -
        2 * lum[i + width]! +
        lum[i + width + 1]!;
      acc += Math.abs(v);
    }
  }
  return (Math.sqrt(Math.PI / 2) * acc) / (6 * (width - 2) * (height - 2));
}

/** Laplacian variance at which blur is 0.5: sharp faces sit well above it, blurred ones below. */
const BLUR_HALF = 60;
/** Noise sigma (grey levels) that maps to 1.0. */
const NOISE_FULL = 16;

export function measureQuality(rgb: Uint8Array, width: number, height: number): QualityMeasures {
  const patch = luminancePatch(rgb, width, height);
  const blurValue = round2(clamp01(BLUR_HALF / (BLUR_HALF + laplacianVariance(patch))));
  let mean = 0;
  for (const v of patch) mean += v;
  mean /= patch.length;
  const exposureValue = round2(clamp01(mean / 255));
  const noiseValue = round2(clamp01(noiseSigma(rgb, width, height) / NOISE_FULL));
  return {
    blur: { blurLevel: blurValue < 0.25 ? 'low' : blurValue < 0.75 ? 'medium' : 'high', value: blurValue },
    exposure: {
      exposureLevel: exposureValue < 0.25 ? 'underExposure' : exposureValue < 0.75 ? 'goodExposure' : 'overExposure',
      value: exposureValue,
    },
    noise: { noiseLevel: noiseValue < 0.3 ? 'low' : noiseValue < 0.7 ? 'medium' : 'high', value: noiseValue },
  };
}

export interface RecognitionQualityInput {
  quality: QualityMeasures;
  /** Face rectangle height in pixels. */
  faceSize: number;
  yaw: number;
  pitch: number;
}

/**
 * Azure's `qualityForRecognition` levels. Azure recommends "high" for enrolment (faces of at
 * least 200 px, frontal, sharp, well lit) and at least "medium" for identification.
 */
export function qualityForRecognition({ quality, faceSize, yaw, pitch }: RecognitionQualityInput): Level {
  const pose = Math.max(Math.abs(yaw), Math.abs(pitch));
  if (
    faceSize < 48 ||
    pose > 45 ||
    quality.blur.blurLevel === 'high' ||
    (quality.exposure.exposureLevel !== 'goodExposure' && (quality.exposure.value < 0.1 || quality.exposure.value > 0.9)) ||
    quality.noise.noiseLevel === 'high'
  ) {
    return 'low';
  }
  if (
    faceSize >= 100 &&
    pose <= 25 &&
    quality.blur.blurLevel === 'low' &&
    quality.exposure.exposureLevel === 'goodExposure' &&
    quality.noise.noiseLevel === 'low'
  ) {
    return 'high';
  }
  return 'medium';
}
