/** Pure engine functions: geometry, landmark mapping, head pose (YuNet decoding: yunet.test.ts). */
import { describe, expect, it } from 'vitest';
import { clipRect, cropRgb } from '../../src/adapters/engine/geometry.js';
import { estimateHeadPose } from '../../src/adapters/engine/headpose.js';
import { AZURE_LANDMARK_NAMES } from '../../src/domain/types.js';
import { dlibAlignedBox, toAzureLandmarks } from '../../src/adapters/engine/landmarks.js';

describe('geometry', () => {
  it('clips rectangles to the image the way face-api does', () => {
    expect(clipRect({ x: -5.5, y: 2.7, width: 20, height: 200 }, 100, 50)).toEqual({ x: 0, y: 2, width: 14, height: 47 });
  });

  it('crops RGB rows exactly', () => {
    const rgb = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => i); // 4 wide, 3 high
    expect(Array.from(cropRgb(rgb, 4, { x: 1, y: 1, width: 2, height: 2 }))).toEqual([15, 16, 17, 18, 19, 20, 27, 28, 29, 30, 31, 32]);
  });
});

/** A synthetic 68-point face: only the points the mappings read need to be meaningful. */
function syntheticFace(): Array<{ x: number; y: number }> {
  const pts = Array.from({ length: 68 }, (_, i) => ({ x: 100 + i, y: 100 + i }));
  for (let i = 36; i < 42; i++) pts[i] = { x: 80 + (i - 36) * 4, y: 100 }; // image-left eye
  for (let i = 42; i < 48; i++) pts[i] = { x: 140 + (i - 42) * 4, y: 100 }; // image-right eye
  for (let i = 48; i < 68; i++) pts[i] = { x: 110 + (i - 48), y: 160 }; // mouth
  pts[30] = { x: 120, y: 130 };
  return pts;
}

describe('Azure landmarks from the 68 points', () => {
  it('gives all 27 names, pupils at the eye centroids, clamped to the image', () => {
    const lm = toAzureLandmarks(syntheticFace(), 1000, 1000);
    expect(Object.keys(lm)).toEqual([...AZURE_LANDMARK_NAMES]);
    expect(lm.pupilLeft).toEqual({ x: 90, y: 100 });
    expect(lm.pupilRight).toEqual({ x: 150, y: 100 });
    expect(lm.noseTip).toEqual({ x: 120, y: 130 });
    const clamped = toAzureLandmarks(
      syntheticFace().map((p) => ({ x: p.x - 100, y: p.y })),
      1000,
      1000,
    );
    expect(clamped.pupilLeft.x).toBe(0);
  });

  it('reproduces face-api dlib alignment box from eye and mouth centres', () => {
    const box = dlibAlignedBox(syntheticFace(), 1000, 1000);
    // Eye centres (90,100) and (150,100), mouth centre (119.5,160): mean distance 67.08 / 0.45.
    const size = Math.floor((Math.hypot(29.5, 60) + Math.hypot(30.5, 60)) / 2 / 0.45);
    expect(size).toBe(149);
    expect(box).toEqual({
      x: Math.floor((90 + 150 + 119.5) / 3 - 0.5 * size),
      y: Math.floor((100 + 100 + 160) / 3 - 0.43 * size),
      width: size,
      height: size,
    });
  });
});

describe('head pose', () => {
  // Projects the generic 3-D model points after a known rotation, then recovers the angles.
  const MODEL: Array<[number, number, number, number]> = [
    [30, 0, 0, 0],
    [8, 0, 330, 65],
    [36, -225, -170, 135],
    [45, 225, -170, 135],
    [48, -150, 150, 125],
    [54, 150, 150, 125],
  ];
  function project(yawDeg: number, pitchDeg: number, rollDeg: number): Array<{ x: number; y: number }> {
    const [y, p, r] = [yawDeg, pitchDeg, rollDeg].map((d) => (d * Math.PI) / 180) as [number, number, number];
    const rot = (v: [number, number, number]): [number, number, number] => {
      // Rx(pitch) then Ry(yaw) then Rz(roll), camera frame: x right, y down, z away.
      let [a, b, c] = v;
      [b, c] = [b * Math.cos(p) - c * Math.sin(p), b * Math.sin(p) + c * Math.cos(p)];
      [a, c] = [a * Math.cos(y) + c * Math.sin(y), -a * Math.sin(y) + c * Math.cos(y)];
      [a, b] = [a * Math.cos(r) - b * Math.sin(r), a * Math.sin(r) + b * Math.cos(r)];
      return [a, b, c];
    };
    const pts = Array.from({ length: 68 }, () => ({ x: 0, y: 0 }));
    for (const [i, ...v] of MODEL) {
      const [a, b] = rot(v);
      pts[i] = { x: 300 + a * 0.4, y: 300 + b * 0.4 };
    }
    return pts;
  }

  it('is near zero for a frontal face', () => {
    const pose = estimateHeadPose(project(0, 0, 0));
    for (const v of Object.values(pose)) expect(Math.abs(v)).toBeLessThan(0.5);
  });

  it('recovers known rotations to within a degree', () => {
    for (const [yaw, pitch, roll] of [
      [20, 0, 0],
      [-30, 0, 0],
      [0, 0, 15],
      [10, 0, -10],
    ] as const) {
      const pose = estimateHeadPose(project(yaw, pitch, roll));
      expect(Math.abs(Math.abs(pose.yaw) - Math.abs(yaw)), `yaw ${yaw}`).toBeLessThan(1);
      expect(Math.abs(Math.abs(pose.roll) - Math.abs(roll)), `roll ${roll}`).toBeLessThan(1);
    }
  });

  it('signs: yaw > 0 when the nose moves toward the image right, roll > 0 clockwise', () => {
    const turned = project(20, 0, 0);
    const noseRight = turned[30]!.x > (turned[36]!.x + turned[45]!.x) / 2;
    expect(Math.sign(estimateHeadPose(turned).yaw)).toBe(noseRight ? 1 : -1);
    const tilted = project(0, 0, 15); // image-right eye lower than the left: clockwise on screen
    expect(tilted[45]!.y).toBeGreaterThan(tilted[36]!.y);
    expect(estimateHeadPose(tilted).roll).toBeGreaterThan(0);
  });

  it('pitch > 0 when the face looks up (nose tip rises toward the eyes)', () => {
    const up = project(0, 15, 0);
    const level = project(0, 0, 0);
    const noseToEyes = (pts: Array<{ x: number; y: number }>): number => pts[30]!.y - (pts[36]!.y + pts[45]!.y) / 2;
    const looksUp = noseToEyes(up) < noseToEyes(level);
    expect(Math.sign(estimateHeadPose(up).pitch)).toBe(looksUp ? 1 : -1);
  });
});
