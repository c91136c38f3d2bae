/** YuNet input, decoding, NMS and the multi-scale plan: synthetic tensors, then one real photo. */
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/adapters/engine/decode.js';
import { detectorBoxToLandmarkBox } from '../../src/adapters/engine/landmarks.js';
import { createYunetSession, loadOrt } from '../../src/adapters/engine/models.js';
import { locateFaces, yunetRunner } from '../../src/adapters/engine/pipeline.js';
import { wholeImageInput } from '../../src/adapters/engine/provider.js';
import {
  decodeYunet,
  iou,
  nonMaxSuppression,
  padToDivisor,
  planTiles,
  toImage,
  touchesInnerEdge,
  wholePassSize,
  yunetInput,
  type YunetBox,
} from '../../src/adapters/engine/yunet.js';
import { face } from '../helpers/paths.js';

/** All-zero outputs for a padW x padH input: every score 0. */
function emptyOutputs(padW: number, padH: number): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const s of [8, 16, 32]) {
    const n = (padW / s) * (padH / s);
    out[`cls_${s}`] = new Float32Array(n);
    out[`obj_${s}`] = new Float32Array(n);
    out[`bbox_${s}`] = new Float32Array(n * 4);
    out[`kps_${s}`] = new Float32Array(n * 10);
  }
  return out;
}

describe('yunet input', () => {
  it('pads to multiples of 32 as OpenCV does', () => {
    expect([1, 31, 32, 33, 640, 641].map(padToDivisor)).toEqual([32, 32, 32, 64, 640, 672]);
  });

  it('copies RGB into BGR planes, zero-padded bottom/right', () => {
    // 2 x 1 image: red pixel, then (10, 20, 30).
    const t = yunetInput(Uint8Array.from([255, 0, 0, 10, 20, 30]), 2, 1, 2, 1);
    expect([t.padW, t.padH]).toEqual([32, 32]);
    const plane = 32 * 32;
    expect(t.data.length).toBe(3 * plane);
    expect([t.data[0], t.data[1]]).toEqual([0, 30]); // B
    expect([t.data[plane], t.data[plane + 1]]).toEqual([0, 20]); // G
    expect([t.data[2 * plane], t.data[2 * plane + 1]]).toEqual([255, 10]); // R
    expect(t.data[32]).toBe(0); // padding row
  });

  it('resizes bilinearly with aligned pixel centres', () => {
    // 4 x 1 grey ramp 0, 100, 200, 300→255 halved to 2 x 1: centres at 0.5 and 2.5 -> 50 and 227.5.
    const rgb = Uint8Array.from([0, 100, 200, 255].flatMap((v) => [v, v, v]));
    const t = yunetInput(rgb, 4, 1, 2, 1);
    expect(t.data[0]).toBeCloseTo(50, 5);
    expect(t.data[1]).toBeCloseTo(227.5, 5);
  });
});

describe('yunet decoding', () => {
  it('decodes one confident cell of each stride by hand', () => {
    const padW = 64;
    const padH = 32;
    const out = emptyOutputs(padW, padH);
    // Stride 8: 8 columns x 4 rows; cell (c=3, r=2) is index 2*8+3 = 19.
    out.cls_8![19] = 0.81;
    out.obj_8![19] = 1.2; // clamped to 1 -> score sqrt(0.81) = 0.9
    out.bbox_8!.set([0.5, -0.25, Math.log(4), Math.log(2)], 19 * 4);
    out.kps_8!.set([0, 0, 1, 0, 0.5, 0.5, 0, 1, 1, 1], 19 * 10);
    // Stride 32: 2 columns x 1 row; cell (c=1, r=0), score sqrt(0.64 * 0.25) = 0.4 (under threshold).
    out.cls_32![1] = 0.64;
    out.obj_32![1] = 0.25;
    const boxes = decodeYunet(out, padW, padH, 0.5);
    expect(boxes).toHaveLength(1);
    const b = boxes[0]!;
    expect(b.score).toBeCloseTo(0.9, 6);
    // cx = (3 + 0.5) * 8 = 28, cy = (2 - 0.25) * 8 = 14, w = 4 * 8 = 32, h = 2 * 8 = 16.
    expect(b.x0).toBeCloseTo(12, 4);
    expect(b.x1).toBeCloseTo(44, 4);
    expect(b.y0).toBeCloseTo(6, 4);
    expect(b.y1).toBeCloseTo(22, 4);
    // Keypoint k = ((c + kx) * 8, (r + ky) * 8).
    expect(b.keypoints.map((v) => Math.round(v * 1000) / 1000)).toEqual([24, 16, 32, 16, 28, 20, 24, 24, 32, 24]);
    expect(decodeYunet(out, padW, padH, 0.3)).toHaveLength(2);
  });

  it('rejects outputs of the wrong size or missing', () => {
    const out = emptyOutputs(32, 32);
    expect(() => decodeYunet(out, 64, 32, 0.5)).toThrow(/expected/);
    const { kps_16: _drop, ...missing } = out;
    expect(() => decodeYunet(missing, 32, 32, 0.5)).toThrow(/missing/);
  });

  it('non-max suppression keeps the best of overlapping boxes and distinct ones', () => {
    const b = (score: number, x: number): YunetBox => ({ score, x0: x, y0: 0, x1: x + 10, y1: 10, keypoints: [] });
    expect(nonMaxSuppression([b(0.7, 0), b(0.9, 1), b(0.8, 50)], 0.3).map((k) => k.score)).toEqual([0.9, 0.8]);
    expect(iou(b(1, 0), b(1, 0))).toBe(1);
    expect(iou(b(1, 0), b(1, 20))).toBe(0);
    // IoU of boxes shifted by 5 of 10 is 50/150 = 0.33 > 0.3: suppressed.
    expect(nonMaxSuppression([b(0.9, 0), b(0.8, 5)], 0.3)).toHaveLength(1);
  });

  it('maps a pass box into image pixels', () => {
    const m = toImage({ score: 1, x0: 10, y0: 20, x1: 30, y1: 40, keypoints: [10, 20] }, 100, 200, 2, 3);
    expect(m).toEqual({ score: 1, x0: 120, y0: 260, x1: 160, y1: 320, keypoints: [120, 260] });
  });
});

describe('multi-scale plan', () => {
  it('the whole pass shrinks large images to 640 and upscales small ones only for tiny faces', () => {
    expect(wholePassSize(1920, 1280, 36)).toEqual({ targetW: 640, targetH: 427 });
    expect(wholePassSize(320, 240, 36)).toEqual({ targetW: 320, targetH: 240 });
    expect(wholePassSize(320, 240, 10)).toEqual({ targetW: 640, targetH: 480 });
    expect(wholePassSize(200, 100, 8)).toEqual({ targetW: 500, targetH: 250 });
  });

  it('adds overlapping tiles only to large images, covering them, never upscaled', () => {
    expect(planTiles(960, 960, 36)).toEqual([]);
    expect(planTiles(1920, 1280, 200)).toEqual([]); // a 200 px face is 67 px in the whole pass
    const tiles = planTiles(1920, 1280, 36);
    expect(tiles.length).toBe(4);
    expect(tiles.every((t) => t.maxFace === undefined)).toBe(true);
    for (const t of tiles) {
      expect(Math.max(t.targetW, t.targetH)).toBeLessThanOrEqual(640);
      expect(t.targetW / t.width).toBeLessThanOrEqual(1);
      // A 36 px face reaches 20 px in the tile.
      expect((36 * t.targetW) / t.width).toBeGreaterThanOrEqual(19.9);
      expect(t.x + t.width).toBeLessThanOrEqual(1920);
      expect(t.y + t.height).toBeLessThanOrEqual(1280);
    }
    expect(Math.max(...tiles.map((t) => t.x + t.width))).toBe(1920);
    expect(Math.max(...tiles.map((t) => t.y + t.height))).toBe(1280);
    // Neighbours overlap by at least a quarter of a tile.
    const xs = [...new Set(tiles.map((t) => t.x))].sort((a, b) => a - b);
    expect(xs[0]! + tiles[0]!.width - xs[1]!).toBeGreaterThanOrEqual(0.25 * tiles[0]!.width);
    // A smaller minFaceSize gives smaller tiles, so more of them.
    expect(planTiles(1920, 1280, 16).length).toBeGreaterThan(tiles.length);
  });

  it('upscales small images in tiles only for small minFaceSize, bounded', () => {
    expect(planTiles(640, 480, 36)).toEqual([]); // the default: the whole pass alone
    expect(planTiles(640, 480, 26)).toEqual([]); // 1.23x: not worth it
    const tiles = planTiles(400, 300, 16);
    expect(tiles).toHaveLength(2);
    for (const t of tiles) {
      expect(Math.max(t.targetW, t.targetH)).toBeLessThanOrEqual(640);
      expect(t.targetW / t.width).toBeCloseTo(2, 1); // a 16 px face reaches 32 px
      expect(t.maxFace).toBe(80); // faces bigger than the overlap are left to the whole pass
    }
    expect(Math.max(...tiles.map((t) => t.x + t.width))).toBe(400);
    // The upscaled image is at most 1024 px long: a 900 px image at 16 gets ~1.14x, 2 x 2 tiles.
    const big = planTiles(900, 700, 16);
    expect(big.length).toBeLessThanOrEqual(4);
    for (const t of big) expect(t.targetW / t.width).toBeLessThanOrEqual(1024 / 900 + 0.01);
  });

  it('a tile box at an inner tile edge is taken as cut, at the image edge it is not', () => {
    const tile = { x: 0, y: 0, width: 100, height: 100 };
    const box = (x0: number, x1: number): YunetBox => ({ score: 1, x0, y0: 10, x1, y1: 50, keypoints: [] });
    expect(touchesInnerEdge(box(0, 40), tile, 200, 100, 2)).toBe(false);
    expect(touchesInnerEdge(box(60, 99), tile, 200, 100, 2)).toBe(true);
    expect(touchesInnerEdge(box(60, 99), tile, 100, 100, 2)).toBe(false);
  });

  it('the landmark hand-off moves a YuNet box toward the SSD box shape', () => {
    const r = detectorBoxToLandmarkBox({ x: 100, y: 100, width: 100, height: 100 });
    expect(r.x).toBeGreaterThan(100);
    expect(r.width).toBeLessThan(100);
    expect(r.width).toBeGreaterThan(90);
  });
});

describe('yunet on a real photo', () => {
  it('finds the one face of people/obama/1.jpg with its keypoints inside the box', async () => {
    const ort = loadOrt();
    const run = yunetRunner(ort, await createYunetSession(ort));
    const img = await decodeImage(face('people/obama/1.jpg'), { maxPixels: 100_000_000 });
    const whole = await wholeImageInput(img, 36);
    const boxes = await locateFaces(run, {
      width: img.width,
      height: img.height,
      rgb: img.data,
      detectorInput: whole.input,
      detectorWidth: whole.width,
      detectorHeight: whole.height,
      minScore: 0.75,
      minFaceSize: 36,
    });
    expect(boxes).toHaveLength(1);
    const b = boxes[0]!;
    expect(b.score).toBeGreaterThan(0.9);
    // The face is roughly 240 x 330 px around (490, 255) in the 910 x 1137 photo.
    expect(b.x1 - b.x0).toBeGreaterThan(180);
    expect(b.x1 - b.x0).toBeLessThan(320);
    for (let k = 0; k < 5; k++) {
      expect(b.keypoints[2 * k]!).toBeGreaterThan(b.x0);
      expect(b.keypoints[2 * k]!).toBeLessThan(b.x1);
      expect(b.keypoints[2 * k + 1]!).toBeGreaterThan(b.y0);
      expect(b.keypoints[2 * k + 1]!).toBeLessThan(b.y1);
    }
    // Subject's right eye on the image left, eyes above the nose, nose above the mouth.
    expect(b.keypoints[0]!).toBeLessThan(b.keypoints[2]!);
    expect(b.keypoints[1]!).toBeLessThan(b.keypoints[5]!);
    expect(b.keypoints[5]!).toBeLessThan(b.keypoints[7]!);
  });
});
