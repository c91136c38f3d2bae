/**
 * The light challenge's measurement (light-sample.ts) and check (light-check.ts) on synthetic
 * frames (test/helpers/light-frames.ts): a flat "background" with a skin-coloured face box,
 * camera noise, per-frame auto-exposure and white-balance gains, and the screen's reflection
 * rendered by tools/liveness-synthetic/light.ts (applyLight) for the flash on screen `lag` ms
 * before each frame. The thresholds (LIGHT_THRESHOLDS) come from the physics and noise reasoning written
 * beside them, not from these frames: these tests check the behaviour each case calls for.
 */
import { describe, expect, it } from 'vitest';
import { createLightSequence } from '../../src/domain/liveness/light.js';
import { judgeLight, LIGHT_THRESHOLDS, type LightVerdict } from '../../src/domain/liveness/light-check.js';
import { measureLightSample } from '../../src/domain/liveness/light-sample.js';
import { baseImage, bytes, film, NEAR, type Scene } from '../helpers/light-frames.js';

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
