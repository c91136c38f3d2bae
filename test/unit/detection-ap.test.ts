/**
 * Detection accuracy maths (tools/detection-ap.ts, used by bench/detect-accuracy.ts): tiny cases
 * whose expected values are worked out by hand in the comments.
 */
import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  iou,
  matchedIous,
  matchImage,
  median,
  nonMaxSuppression,
  recallAt,
  type Box,
  type Detection,
} from '../../tools/detection-ap.js';

const box = (x: number, y: number, width: number, height = width): Box => ({ x, y, width, height });
const det = (b: Box, score: number): Detection => ({ ...b, score });

describe('iou', () => {
  it('is intersection over union', () => {
    // 10x10 boxes shifted by 5: intersection 5*10 = 50, union 100 + 100 - 50 = 150 -> 1/3.
    expect(iou(box(0, 0, 10), box(5, 0, 10))).toBeCloseTo(1 / 3, 12);
    expect(iou(box(0, 0, 10), box(0, 0, 10))).toBe(1);
    expect(iou(box(0, 0, 10), box(10, 0, 10))).toBe(0); // touching edges
  });
});

describe('average precision', () => {
  it('is 1 for a perfect detector', () => {
    // Every detection is exactly a face: precision 1 at recall 1/3, 2/3, 1 -> AP = 1.
    const image1 = [box(0, 0, 20), box(50, 50, 40)];
    const image2 = [box(10, 10, 30)];
    const matches = [matchImage(image1, [det(image1[0]!, 0.9), det(image1[1]!, 0.8)]), matchImage(image2, [det(image2[0]!, 0.7)])];
    const r = averagePrecision(matches);
    expect(r.ap).toBe(1);
    expect(r.curve.map((p) => [p.recall, p.precision])).toEqual([
      [1 / 3, 1],
      [2 / 3, 1],
      [1, 1],
    ]);
    expect(recallAt(matches, 0.5).recall).toBe(1);
  });

  it('is the recall when every detection is right but some faces are missed', () => {
    // Two faces, one found: precision 1 up to recall 1/2, nothing after -> AP = 1/2 * 1 = 0.5.
    const faces = [box(0, 0, 20), box(100, 0, 20)];
    expect(averagePrecision([matchImage(faces, [det(faces[0]!, 0.9)])]).ap).toBeCloseTo(0.5, 12);
  });

  it('one false positive ranked above all true positives', () => {
    // Two faces; scores 0.9 (FP, far away), 0.8 (TP), 0.7 (TP).
    //   t=0.9: R 0,   P 0/1
    //   t=0.8: R 1/2, P 1/2
    //   t=0.7: R 1,   P 2/3
    // Monotone envelope: 2/3 everywhere. AP = (1/2 - 0) * 2/3 + (1 - 1/2) * 2/3 = 2/3.
    const faces = [box(0, 0, 20), box(100, 0, 20)];
    const r = averagePrecision([matchImage(faces, [det(box(300, 300, 20), 0.9), det(faces[0]!, 0.8), det(faces[1]!, 0.7)])]);
    expect(r.ap).toBeCloseTo(2 / 3, 12);
    expect([r.truePositives, r.falsePositives, r.positives]).toEqual([2, 1, 2]);
  });

  it('ignores detections of faces under 16 px, and those faces are not positives', () => {
    // A 40 px face (counted) and a 10 px face (ignored). Detections: the small face at 0.95
    // (ignored), the big face at 0.6 (TP), a stray box at 0.5 (FP). One positive.
    //   t=0.6: R 1, P 1/1;  t=0.5: R 1, P 1/2. Envelope at t=0.6 is 1 -> AP = 1 * 1 = 1.
    // (Counted as an FP instead, the 0.95 box would give P 1/2 at R 1 -> AP 0.5.)
    const faces = [box(0, 0, 40), box(100, 100, 10)];
    const m = matchImage(faces, [det(faces[1]!, 0.95), det(faces[0]!, 0.6), det(box(200, 0, 30), 0.5)]);
    expect(m.positives).toBe(1);
    expect(m.detections.map((d) => d.outcome)).toEqual(['ignored', 'tp', 'fp']);
    expect(averagePrecision([m]).ap).toBe(1);
    // The size rule uses the shorter side: 40x15 is under 16.
    expect(matchImage([box(0, 0, 40, 15)], []).positives).toBe(0);
    // No counted face at all: AP is undefined.
    expect(averagePrecision([matchImage([box(0, 0, 10)], [det(box(0, 0, 10), 0.9)])]).ap).toBeNaN();
  });

  it('counts a duplicate detection of one face as a false positive', () => {
    // Faces A (0,0,40) and B (100,0,40). Detections: A at 0.9, A shifted by 2 px at 0.8
    // (IoU 38*40 / (3200 - 1520) = 0.905, but A is taken -> FP), B at 0.7.
    //   t=0.9: R 1/2, P 1;  t=0.8: R 1/2, P 1/2;  t=0.7: R 1, P 2/3.
    // Envelope: 1, 2/3, 2/3. AP = 1/2 * 1 + 0 * 2/3 + 1/2 * 2/3 = 5/6.
    const faces = [box(0, 0, 40), box(100, 0, 40)];
    const m = matchImage(faces, [det(faces[0]!, 0.9), det(box(2, 0, 40), 0.8), det(faces[1]!, 0.7)]);
    expect(m.detections.map((d) => d.outcome)).toEqual(['tp', 'fp', 'tp']);
    expect(averagePrecision([m]).ap).toBeCloseTo(5 / 6, 12);
  });

  it('matches by descending score whatever the input order, and ties are one operating point', () => {
    // Two faces; a TP and an FP both at 0.8, a TP at 0.6.
    //   t=0.8: R 1/2, P 1/2;  t=0.6: R 1, P 2/3. Envelope 2/3, 2/3 -> AP = 2/3 in either order.
    const faces = [box(0, 0, 20), box(100, 0, 20)];
    const dets = [det(faces[0]!, 0.8), det(box(300, 0, 20), 0.8), det(faces[1]!, 0.6)];
    expect(averagePrecision([matchImage(faces, dets)]).ap).toBeCloseTo(2 / 3, 12);
    expect(averagePrecision([matchImage(faces, [...dets].reverse())]).ap).toBeCloseTo(2 / 3, 12);
  });

  it('a detection under the IoU threshold is a false positive and the face stays missed', () => {
    // 20 px face, detection shifted by 8 px: IoU 12*20 / (800 - 240) = 0.43 < 0.5.
    const m = matchImage([box(0, 0, 20)], [det(box(8, 0, 20), 0.9)]);
    expect(m.detections[0]!.outcome).toBe('fp');
    expect(m.detections[0]!.iou).toBeCloseTo(240 / 560, 12);
    expect(m.faces[0]!.matchedScore).toBeNull();
    expect(averagePrecision([m]).ap).toBe(0);
  });

  it('each face is matched once: a later detection takes the best face still free', () => {
    // Faces A (0,0,20) and B (4,0,20). Detection 1 = A (0.9) takes A. Detection 2 at (1,0,20):
    // IoU with A 19*20 / (800 - 380) = 0.905 (taken), with B 17*20 / (800 - 340) = 0.739 -> B.
    const faces = [box(0, 0, 20), box(4, 0, 20)];
    const m = matchImage(faces, [det(faces[0]!, 0.9), det(box(1, 0, 20), 0.8)]);
    expect(m.detections.map((d) => [d.outcome, d.face])).toEqual([
      ['tp', 0],
      ['tp', 1],
    ]);
    expect(m.detections[1]!.iou).toBeCloseTo(340 / 460, 12);
  });
});

describe('recall and IoU summaries', () => {
  it('recall at a threshold, overall and by face size band', () => {
    // Counted faces of 20, 50, 100 and 200 px (and a 10 px one, ignored). Found: 20 px at 0.3,
    // 50 px at 0.9, 200 px at 0.6. At 0.5: 50 and 200 -> 2/4. At 0: 3/4.
    // Bands at 0.5: 16–32: 0/1, 32–64: 1/1, 64–128: 0/1, >=128: 1/1.
    const faces = [box(0, 0, 20), box(100, 0, 50), box(200, 0, 100), box(400, 0, 200), box(700, 0, 10)];
    const m = [matchImage(faces, [det(faces[0]!, 0.3), det(faces[1]!, 0.9), det(faces[3]!, 0.6)])];
    expect(recallAt(m, 0.5)).toEqual({ recall: 0.5, n: 4 });
    expect(recallAt(m, 0).recall).toBe(0.75);
    expect(recallAt(m, 0.5, [16, 32])).toEqual({ recall: 0, n: 1 });
    expect(recallAt(m, 0.5, [32, 64])).toEqual({ recall: 1, n: 1 });
    expect(recallAt(m, 0.5, [64, 128])).toEqual({ recall: 0, n: 1 });
    expect(recallAt(m, 0.5, [128, Infinity])).toEqual({ recall: 1, n: 1 });
  });

  it('median IoU of matched pairs', () => {
    // Two matches: IoU 1 and (shifted by 2 on a 20 px face) 18*20 / (800 - 360) = 9/11. Median = (1 + 9/11) / 2.
    const faces = [box(0, 0, 20), box(100, 0, 20)];
    const m = [matchImage(faces, [det(faces[0]!, 0.9), det(box(102, 0, 20), 0.8), det(box(300, 0, 20), 0.7)])];
    const ious = matchedIous(m);
    expect(ious).toHaveLength(2);
    expect(median(ious)).toBeCloseTo((1 + 9 / 11) / 2, 12);
    expect(matchedIous(m, 0.85)).toEqual([1]);
    expect(median([])).toBeNaN();
  });
});

describe('non-max suppression', () => {
  it('keeps the best of overlapping boxes and distinct ones', () => {
    // (1,0,10) overlaps (0,0,10) with IoU 9/11 > 0.3 -> dropped; (50,0,10) is apart.
    const kept = nonMaxSuppression([det(box(0, 0, 10), 0.7), det(box(1, 0, 10), 0.9), det(box(50, 0, 10), 0.8)], 0.3);
    expect(kept.map((k) => k.score)).toEqual([0.9, 0.8]);
  });
});
