/** The light challenge's simulation (tools/liveness-synthetic/light.ts): the physics the bench relies on. */
import { describe, expect, it } from 'vitest';
import type { LightFlash } from '../../src/domain/liveness/types.js';
import { SCREEN_LOOKS } from '../../tools/liveness-synthetic/attacks.js';
import { rng } from '../../tools/liveness-synthetic/landmarks.js';
import {
  LIT_PARAM_RANGES,
  renderLitAttempt,
  renderSecondScreenAttempt,
  sampleLitParams,
  sampleSecondScreen,
  screenAt,
  type FaceBox,
  type LitParams,
} from '../../tools/liveness-synthetic/light.js';
import { loadRgb, type RgbImage } from '../../tools/liveness-synthetic/render.js';

const W = 160;
const H = 120;
const BOX: FaceBox = { left: 60, top: 30, width: 40, height: 50 };

/** A skin-coloured face box on a dark grey background. */
function scene(): RgbImage {
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 3;
      const face = x >= BOX.left && x < BOX.left + BOX.width && y >= BOX.top && y < BOX.top + BOX.height;
      data.set(face ? [190, 140, 115] : [40, 40, 40], o);
    }
  }
  return { width: W, height: H, data };
}

/** Mean RGB of a region of a decoded frame. */
function mean(img: RgbImage, r: { x0: number; x1: number; y0: number; y1: number }): [number, number, number] {
  const m: [number, number, number] = [0, 0, 0];
  let n = 0;
  for (let y = r.y0; y < r.y1; y++) {
    for (let x = r.x0; x < r.x1; x++) {
      for (let c = 0; c < 3; c++) m[c] = m[c]! + img.data[(y * img.width + x) * 3 + c]!;
      n++;
    }
  }
  return [m[0] / n, m[1] / n, m[2] / n];
}
const FACE = { x0: 70, x1: 90, y0: 45, y1: 70 };
const CORNER = { x0: 0, x1: 20, y0: 0, y1: 20 };

/** A steady camera: no noise, no lag, no adaptation, exact timing; strength 0.5 at this face size. */
const steady = (o: Partial<LitParams> = {}): LitParams =>
  sampleLitParams(rng(1), {
    strength: 0.5,
    referenceFaceWidth: BOX.width,
    backgroundRatio: 0.02,
    specular: 0,
    crosstalk: 0,
    latencyMs: 0,
    jitterMs: 0,
    aeStrength: 0,
    awbStrength: 0,
    noiseSigma: 0,
    jpegQuality: 95,
    ...o,
  });

const RED: LightFlash[] = [{ color: 'RED', durationMs: 1000 }];
const BLUE: LightFlash[] = [{ color: 'BLUE', durationMs: 1000 }];

describe('renderLitAttempt', () => {
  it('a flash tints the skin toward its colour, and the far background barely', async () => {
    const img = scene();
    const dark = steady({ idleLevel: 0 });
    const [idle] = await renderLitAttempt([img], [0], [BOX], [], dark, rng(2));
    const [red] = await renderLitAttempt([img], [0], [BOX], RED, dark, rng(2));
    const [blue] = await renderLitAttempt([img], [0], [BOX], BLUE, dark, rng(2));
    const f0 = mean(await loadRgb(idle!), FACE);
    const fr = mean(await loadRgb(red!), FACE);
    const fb = mean(await loadRgb(blue!), FACE);
    expect(fr[0] - f0[0]).toBeGreaterThan(15);
    expect(Math.abs(fr[2] - f0[2])).toBeLessThan((fr[0] - f0[0]) / 4);
    expect(fb[2] - f0[2]).toBeGreaterThan(10);
    // Skin reflects red more than blue: in linear light the red flash adds more (albedo-weighted).
    const lin = (v: number): number => ((v / 255 + 0.055) / 1.055) ** 2.4;
    expect(lin(fr[0]) - lin(f0[0])).toBeGreaterThan(lin(fb[2]) - lin(f0[2]));
    const b0 = mean(await loadRgb(idle!), CORNER);
    const br = mean(await loadRgb(red!), CORNER);
    expect(br[0] - b0[0]).toBeLessThan((fr[0] - f0[0]) / 3);
  });

  it('auto-exposure with a lag: the flash fades back over the time constant', async () => {
    const img = scene();
    const p = steady({ aeStrength: 1, aeTauS: 0.3, meterFaceWeight: 0.8 });
    const times = [0, 100, 200, 400, 700, 1000, 1300];
    const flashes: LightFlash[] = [{ color: 'YELLOW', durationMs: 5000 }];
    const frames = await renderLitAttempt(
      times.map(() => img),
      times,
      times.map(() => BOX),
      flashes,
      p,
      rng(3),
    );
    const levels = await Promise.all(frames.map(async (f) => mean(await loadRgb(f), FACE)[1]));
    // Bright at the first frames, then pulled back toward the idle level as the gain adapts.
    expect(levels[1]!).toBeGreaterThan(levels[6]! + 5);
    for (let i = 2; i < levels.length; i++) expect(levels[i]!).toBeLessThanOrEqual(levels[i - 1]! + 1);
  });

  it('with the screen idle, an adapting camera does not drift', async () => {
    const img = scene();
    const p = steady({ aeStrength: 1, aeTauS: 0.2, awbStrength: 0.8, awbTauS: 0.3, crosstalk: 0.15, idleLevel: 0.4 });
    const times = [0, 500, 1000, 1500];
    const frames = await renderLitAttempt(
      times.map(() => img),
      times,
      times.map(() => BOX),
      [],
      p,
      rng(7),
    );
    const levels = await Promise.all(frames.map(async (f) => mean(await loadRgb(f), FACE)));
    for (const l of levels) for (let c = 0; c < 3; c++) expect(Math.abs(l[c]! - levels[0]![c]!)).toBeLessThan(1);
  });

  it('the light falls with the square of the distance (a face half as wide gets a quarter)', async () => {
    const img = scene();
    const [idle] = await renderLitAttempt([img], [0], [BOX], [], steady(), rng(2));
    const [near] = await renderLitAttempt([img], [0], [BOX], RED, steady(), rng(2));
    const [far] = await renderLitAttempt([img], [0], [BOX], RED, steady({ referenceFaceWidth: 2 * BOX.width }), rng(2));
    const r0 = mean(await loadRgb(idle!), FACE)[0];
    expect(mean(await loadRgb(far!), FACE)[0] - r0).toBeLessThan((mean(await loadRgb(near!), FACE)[0] - r0) / 2);
  });

  it('the screen shows the idle grey before and after the flashes', () => {
    const p = { idleLevel: 0.2, crosstalk: 0 };
    expect(screenAt(RED, -1, p)).toEqual([0.2, 0.2, 0.2]);
    expect(screenAt(RED, 10, p)).toEqual([1, 0, 0]);
    expect(screenAt(RED, 1000, p)).toEqual([0.2, 0.2, 0.2]);
  });

  it('draws every parameter inside its documented range', () => {
    const random = rng(4);
    for (let i = 0; i < 200; i++) {
      const p = sampleLitParams(random);
      for (const [k, r] of Object.entries(LIT_PARAM_RANGES)) {
        const v = p[k as keyof LitParams];
        expect(v).toBeGreaterThanOrEqual(k === 'jpegQuality' ? Math.round(r.min) : r.min);
        expect(v).toBeLessThanOrEqual(k === 'jpegQuality' ? Math.round(r.max) : r.max);
      }
    }
  });
});

describe('renderSecondScreenAttempt', () => {
  it('the glare is the screen colour over the whole display, not the skin albedo', async () => {
    const img = scene();
    const p = steady();
    const screen = { ...sampleSecondScreen(rng(5), SCREEN_LOOKS.monitor!), glare: 0.2, haze: 1, yawDeg: 0, pitchDeg: 0 };
    const [idle] = await renderSecondScreenAttempt([img], [0], { x: 80, y: 60 }, [], p, screen, rng(6));
    const [blue] = await renderSecondScreenAttempt([img], [0], { x: 80, y: 60 }, BLUE, p, screen, rng(6));
    const i0 = await loadRgb(idle!);
    const i1 = await loadRgb(blue!);
    const region = { x0: 30, x1: 50, y0: 40, y1: 60 }; // shown background, on the display
    const dFace = mean(i1, FACE)[2] - mean(i0, FACE)[2];
    const dBackground = mean(i1, region)[2] - mean(i0, region)[2];
    expect(dBackground).toBeGreaterThan(10);
    // The shown background brightens at least as much as the shown face (sRGB: more, being darker).
    expect(dBackground).toBeGreaterThanOrEqual(dFace - 2);
  });
});
