/**
 * face-api's landmark and recognition nets on onnxruntime (facenets.ts): the hand-built input
 * matches face-api's padToSquare + resizeBilinear, and on a real face both nets give face-api's
 * own outputs (landmarks and descriptor) to float rounding.
 */
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/adapters/engine/decode.js';
import {
  createFaceNets,
  LANDMARK_INPUT,
  landmarksFromOutput,
  RECOGNITION_INPUT,
  runOnCrops,
  writeNetInput,
} from '../../src/adapters/engine/facenets.js';
import { clipRect, cropRgb, type Rect } from '../../src/adapters/engine/geometry.js';
import { detectorBoxToLandmarkBox, dlibAlignedBox, unpackPoints } from '../../src/adapters/engine/landmarks.js';
import { loadModels } from '../../src/adapters/engine/models.js';
import { locateFaces, yunetRunner } from '../../src/adapters/engine/pipeline.js';
import { wholeImageInput } from '../../src/adapters/engine/provider.js';
import { face } from '../helpers/paths.js';

const MEAN = [122.782, 117.001, 104.298];

describe('writeNetInput', () => {
  it('pads a wide crop to a centred square (planar, mean-subtracted, / 255)', () => {
    // A 4 x 2 crop at (1, 1) of a 6 x 4 image; net size 4 = the padded side, so no resampling.
    const rgb = new Uint8Array(6 * 4 * 3).map((_, i) => i % 251);
    const r: Rect = { x: 1, y: 1, width: 4, height: 2 };
    const out = new Float32Array(3 * 16);
    writeNetInput(rgb, 6, r, 4, out, 0);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 4; y++) {
        for (let x = 0; x < 4; x++) {
          // face-api pads round(diff / 2) = 1 row after and the remaining 1 before.
          const v = y === 0 || y === 3 ? 0 : rgb[((1 + y - 1) * 6 + 1 + x) * 3 + c]!;
          expect(out[c * 16 + y * 4 + x]).toBeCloseTo((v - MEAN[c]!) / 255, 6);
        }
      }
    }
  });

  it('resamples bilinearly without corner alignment', () => {
    // A 4 x 4 grey ramp along x, shrunk to 2 x 2: source columns 0 and 2 (ratio 2, no interpolation).
    const rgb = new Uint8Array(4 * 4 * 3).map((_, i) => Math.floor(i / 3) % 4).map((v) => v * 10);
    const out = new Float32Array(3 * 4);
    writeNetInput(rgb, 4, { x: 0, y: 0, width: 4, height: 4 }, 2, out, 0);
    expect(Array.from(out.subarray(0, 4), (v) => Math.round(v * 255 + MEAN[0]!))).toEqual([0, 20, 0, 20]);
  });
});

describe('face-api nets on onnxruntime', () => {
  it('give face-api landmarks and descriptor on a real face', async () => {
    const models = await loadModels();
    const img = await decodeImage(face('people/obama/1.jpg'), { maxPixels: 100_000_000 });
    const whole = await wholeImageInput(img, 36);
    const [b] = await locateFaces(yunetRunner(models.ort, models.yunet), {
      width: img.width,
      height: img.height,
      rgb: img.data,
      detectorInput: whole.input,
      detectorWidth: whole.width,
      detectorHeight: whole.height,
      minScore: 0.75,
      minFaceSize: 36,
    });
    const box = clipRect(
      detectorBoxToLandmarkBox({ x: b!.x0, y: b!.y0, width: b!.x1 - b!.x0, height: b!.y1 - b!.y0 }),
      img.width,
      img.height,
    );

    // face-api's own path, as the engine ran it before: int32 crop tensors into its nets.
    const tf = models.tf;
    const crop = tf.tensor3d(cropRgb(img.data, img.width, box), [box.height, box.width, 3], 'int32');
    const lms = (await models.faceapi.nets.faceLandmark68Net.detectLandmarks([crop])) as Array<{
      positions: Array<{ x: number; y: number }>;
    }>;
    crop.dispose();
    const expected = lms[0]!.positions.map((p) => ({ x: p.x + box.x, y: p.y + box.y }));
    const aligned = clipRect(dlibAlignedBox(expected, img.width, img.height), img.width, img.height);
    const alignedCrop = tf.tensor3d(cropRgb(img.data, img.width, aligned), [aligned.height, aligned.width, 3], 'int32');
    const descriptors = (await models.faceapi.nets.faceRecognitionNet.computeFaceDescriptor([alignedCrop])) as Float32Array[];
    alignedCrop.dispose();

    const nets = await createFaceNets(models);
    const points = unpackPoints(
      landmarksFromOutput(await runOnCrops(models, nets.landmarks, LANDMARK_INPUT, img.data, img.width, [box]), 0, box),
    );
    points.forEach((p, i) => {
      expect(Math.abs(p.x - expected[i]!.x)).toBeLessThan(0.01);
      expect(Math.abs(p.y - expected[i]!.y)).toBeLessThan(0.01);
    });
    const embedding = await runOnCrops(models, nets.recognition, RECOGNITION_INPUT, img.data, img.width, [aligned]);
    expect(embedding).toHaveLength(128);
    const distance = Math.hypot(...Array.from(embedding, (v, i) => v - descriptors[0]![i]!));
    expect(distance).toBeLessThan(1e-3);
  }, 60_000);
});
