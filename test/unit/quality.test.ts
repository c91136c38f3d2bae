/** Quality measures on a real face crop and degraded copies of it (blur, dark, bright, noise). */
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { QualityMeasures } from '../../src/domain/types.js';
import { measureQuality, qualityForRecognition } from '../../src/adapters/engine/quality.js';
import { face } from '../helpers/paths.js';

// The face region of people/obama/1.jpg (as the detector reports it).
const REGION = { left: 361, top: 148, width: 263, height: 263 };

async function measure(pipeline: sharp.Sharp): Promise<QualityMeasures> {
  const { data, info } = await pipeline.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return measureQuality(new Uint8Array(data), info.width, info.height);
}

const crop = (): sharp.Sharp => sharp(face('people/obama/1.jpg')).extract(REGION);

let original: QualityMeasures;
beforeAll(async () => {
  original = await measure(crop());
});

describe('quality measures', () => {
  it('a sharp, well-lit studio portrait: low blur, good exposure, low noise', () => {
    expect(original.blur.blurLevel).toBe('low');
    expect(original.exposure.exposureLevel).toBe('goodExposure');
    expect(original.noise.noiseLevel).toBe('low');
  });

  it('blurring raises blur to medium or high', async () => {
    const blurred = await measure(crop().blur(4));
    expect(blurred.blur.value).toBeGreaterThan(original.blur.value + 0.3);
    expect(blurred.blur.blurLevel).not.toBe('low');
  });

  it('darkening gives underExposure, brightening overExposure', async () => {
    expect((await measure(crop().linear(0.2, 0))).exposure.exposureLevel).toBe('underExposure');
    expect((await measure(crop().linear(1.2, 120))).exposure.exposureLevel).toBe('overExposure');
  });

  it('added sensor-like noise raises noise to medium or high', async () => {
    const { data, info } = await crop().raw().toBuffer({ resolveWithObject: true });
    let seed = 42;
    const gaussian = (): number => {
      // Box–Muller on a small deterministic LCG, so the test is repeatable.
      const next = (): number => ((seed = (seed * 1664525 + 1013904223) % 4294967296) + 1) / 4294967297;
      return Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
    };
    const noisy = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) noisy[i] = Math.max(0, Math.min(255, Math.round(data[i]! + 20 * gaussian())));
    const q = measureQuality(noisy, info.width, info.height);
    expect(q.noise.value).toBeGreaterThan(original.noise.value + 0.3);
    expect(q.noise.noiseLevel).not.toBe('low');
  });

  it('qualityForRecognition: high for a large sharp frontal face, lower when small, turned or blurred', async () => {
    expect(qualityForRecognition({ quality: original, faceSize: 263, yaw: 0, pitch: -9 })).toBe('high');
    expect(qualityForRecognition({ quality: original, faceSize: 70, yaw: 0, pitch: 0 })).toBe('medium');
    expect(qualityForRecognition({ quality: original, faceSize: 40, yaw: 0, pitch: 0 })).toBe('low');
    expect(qualityForRecognition({ quality: original, faceSize: 263, yaw: 60, pitch: 0 })).toBe('low');
    const blurred = await measure(crop().blur(8));
    expect(qualityForRecognition({ quality: blurred, faceSize: 263, yaw: 0, pitch: 0 })).not.toBe('high');
  });
});
