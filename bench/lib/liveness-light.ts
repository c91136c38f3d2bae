/**
 * The light challenge's attempts for bench/liveness.ts, rendered from the close-up with the physical
 * model of tools/liveness-synthetic/light.ts and analysed by the real engine; light samples are
 * measured (the product's measureLightSample) on the DECODED uploaded JPEGs with the face box the
 * engine found in them, and judged by the product's judgeLight.
 *
 * LIGHT WINDOW. The product films the light at ~10 fps, from the first flash (t = 0), before the
 * motion part. The bench's light window is the longest the part allows at 10 fps (stride 1): all of
 * the part's frames (tuning part: 21 frames, t = 0–2000 ms; held-out part: 22 frames, t = 0–2100
 * ms), one window per part. The issued sequence is createLightSequence's (the product's issuer)
 * cut to its leading flashes that END at least maxLagMs (300 ms, the check's largest lag) before
 * the window's last frame, and at least 3 flashes: 3–6 flashes where the product issues 6–10 (the
 * footage is too short for a whole sequence; a shorter sequence is easier for a recording to match
 * by chance, so (g) is measured on a harder case than the product's).
 *
 * Per part, per draw: camera and light parameters drawn from LIT_PARAM_RANGES, a sequence, and
 *   genuine  the light window filmed while the screen shows that sequence;
 *   (g)      the same frames submitted to a session that issued ANOTHER sequence (a recording of a
 *            genuine attempt, injected or replayed without any new reflection);
 *   (h)      the light window filmed with the screen idle (a recording with no reflection);
 *   (f)      the unlit light window replayed on a second screen (phone or monitor look) in front of
 *            the camera while the capture screen shows the issued sequence (glare, see light.ts).
 *
 * MOTION. The product's attempt shows the light, then the motion part (stepsStartMs = light end +
 * 500 ms); the footage is too short for both one after the other, so pairLitAttempts gives each
 * draw the motion window of the same part it is paired with (draw d of a part <-> the part's
 * (d mod W)-th motion window, W windows in buildAttempts' order: the bench's draws are a multiple
 * of W, so every motion window is paired with as many draws). The lit attempt's decision is that
 * window's motion decision joined with the light outcome (withLight). The motion window of
 * genuine, (g) and (h) is the genuine window (a recording of the person moves as the person
 * did); that of (f) is the screen video replay window (c2) with the same config, start and screen
 * look as the draw's second screen.
 */
import { createLightSequence } from '../../src/domain/liveness/light.js';
import type { LightFlash } from '../../src/domain/liveness/types.js';
import { faceCentre, SCREEN_LOOKS } from '../../tools/liveness-synthetic/attacks.js';
import { rng } from '../../tools/liveness-synthetic/landmarks.js';
import {
  renderLitAttempt,
  renderSecondScreenAttempt,
  sampleLitParams,
  sampleSecondScreen,
  type FaceBox,
  type LitParams,
  type SecondScreenParams,
} from '../../tools/liveness-synthetic/light.js';
import { loadRgb, type RgbImage } from '../../tools/liveness-synthetic/render.js';
import { LIGHT_THRESHOLDS, measureLightSample, type LightSample } from './light-judge.js';
import { FPS, PARTS, type Analyser, type CapturedFrame, type Sequence } from './liveness-data.js';
import type { Attempt, LightEvidence, Part } from './liveness-eval.js';

/** The light window of a part: all its frames at 10 fps, from its first. */
export function lightWindowOf(part: Part): { start: number; count: number; times: number[]; name: string } {
  const { first, end } = PARTS[part];
  const count = end - first;
  const times = Array.from({ length: count }, (_, i) => Math.round((i * 1000) / FPS));
  return { start: first, count, times, name: `${count} frames @${FPS} fps, light only (${(times[count - 1]! / 1000).toFixed(1)} s)` };
}

export interface LitDraw {
  id: string;
  part: Part;
  /** Index of the draw within its part (pairs it with a motion window). */
  index: number;
  params: LitParams;
  secondScreen: Omit<SecondScreenParams, 'look'> & { look: 'phone' | 'monitor' };
  issued: LightFlash[];
  other: LightFlash[];
  /** Light samples of the light window: filmed under `issued`, with the screen idle, replayed on a second screen under `issued`. */
  samples: { lit: LightSample[]; dark: LightSample[]; second: LightSample[] };
  /** Id of the paired motion window (set by pairLitAttempts). */
  motionWindow?: string;
}

/** The leading flashes of `flashes` that end by `maxMs` (at least 3). */
export function fitSequence(flashes: readonly LightFlash[], maxMs: number): LightFlash[] {
  const out: LightFlash[] = [];
  let end = 0;
  for (const f of flashes) {
    if (out.length >= 3 && end + f.durationMs > maxMs) break;
    out.push(f);
    end += f.durationMs;
  }
  return out;
}

const sameSequence = (a: readonly LightFlash[], b: readonly LightFlash[]): boolean =>
  a.length === b.length && a.every((f, i) => f.color === b[i]!.color && f.durationMs === b[i]!.durationMs);

/** Light samples of uploaded frames: decoded, measured in the engine's face box. */
async function samplesOf(frames: readonly CapturedFrame[], times: readonly number[]): Promise<LightSample[]> {
  return Promise.all(
    frames.map(async (f, i) => {
      const img = await loadRgb(f.jpeg);
      const box = f.analysis.faces[0]?.faceRectangle ?? null;
      return { t: times[i]!, ...measureLightSample({ ...img, channels: 3 }, box) };
    }),
  );
}

/**
 * Renders, analyses and samples the light windows: `draws[part]` draws per part, deterministic
 * from `seed`.
 */
export async function buildLitDraws(
  analyser: Analyser,
  closeup: Sequence,
  closeImages: readonly RgbImage[],
  draws: Record<Part, number>,
  seed: number,
  log: (s: string) => void,
): Promise<LitDraw[]> {
  const all: LitDraw[] = [];
  let n = 0;
  for (const part of Object.keys(PARTS) as Part[]) {
    for (let d = 0; d < draws[part]; d++) all.push(await oneDraw(analyser, closeup, closeImages, part, d, seed + 1000 * n++));
    log(
      `  light: ${draws[part]} ${part} draws of the ${lightWindowOf(part).name} window rendered and analysed (${analyser.frames} frames so far)`,
    );
  }
  return all;
}

async function oneDraw(
  analyser: Analyser,
  closeup: Sequence,
  closeImages: readonly RgbImage[],
  part: Part,
  index: number,
  seed: number,
): Promise<LitDraw> {
  const random = rng(seed);
  const bytes = (size: number): Uint8Array => Uint8Array.from({ length: size }, () => Math.floor(random() * 256));
  const w = lightWindowOf(part);
  const idx = Array.from({ length: w.count }, (_, i) => w.start + i);
  const maxMs = w.times[w.count - 1]! - LIGHT_THRESHOLDS.maxLagMs;
  const issued = fitSequence(createLightSequence(bytes), maxMs);
  let other = fitSequence(createLightSequence(bytes), maxMs);
  while (sameSequence(other, issued)) other = fitSequence(createLightSequence(bytes), maxMs);
  const params = sampleLitParams(random);
  const look = index % 2 === 0 ? 'phone' : 'monitor';
  const screen = sampleSecondScreen(random, SCREEN_LOOKS[look]!);
  const images = idx.map((i) => closeImages[i]!);
  const boxes: Array<FaceBox | null> = idx.map((i) => closeup.frames[i]!.analysis.faces[0]?.faceRectangle ?? null);
  const centre = faceCentre(closeup.frames[idx[Math.floor(idx.length / 2)]!]!.analysis);

  const sampled = async (jpegs: readonly Buffer[]): Promise<LightSample[]> => {
    const frames = await Promise.all(
      jpegs.map(async (jpeg, i) => ({ jpeg, analysis: await analyser.analyse(jpeg, images[i]!.width, images[i]!.height) })),
    );
    return samplesOf(frames, w.times);
  };
  const lit = await sampled(await renderLitAttempt(images, w.times, boxes, issued, params, random));
  const dark = await sampled(await renderLitAttempt(images, w.times, boxes, [], params, random));
  const second = await sampled(await renderSecondScreenAttempt(images, w.times, centre, issued, params, screen, random));
  const { look: _look, ...rest } = screen;
  return {
    id: `${part}/light${w.count}f/d${index}`,
    part,
    index,
    params,
    secondScreen: { ...rest, look },
    issued,
    other,
    samples: { lit, dark, second },
  };
}

/**
 * The lit attempts: each draw's light evidence joined to the motion window it is paired with (see
 * the module comment). `genuine` are the bona fide motion windows, `attacks` must hold the screen
 * video replay windows (ids `c2-<look>/...`, as buildAttempts names them).
 */
export function pairLitAttempts(draws: readonly LitDraw[], genuine: readonly Attempt[], attacks: readonly Attempt[]): Attempt[] {
  const out: Attempt[] = [];
  for (const draw of draws) {
    const windows = genuine.filter((g) => g.part === draw.part);
    const w = windows[draw.index % windows.length];
    if (!w) throw new Error(`no motion window in the ${draw.part} part`);
    const replayId = w.id.replace(/^genuine\//, `c2-${draw.secondScreen.look}/`);
    const replay = attacks.find((a) => a.id === replayId);
    if (!replay) throw new Error(`no screen video replay window ${replayId}`);
    draw.motionWindow = w.id;
    const ev = (samples: LightSample[], issued: LightFlash[]): LightEvidence => ({ samples, issued });
    const tag = `${draw.id}+${w.id}`;
    out.push(
      { ...w, id: `genuine/${tag}`, variant: 'lit by the issued sequence', light: ev(draw.samples.lit, draw.issued) },
      // The recording of the genuine attempt, for a new session: another sequence was issued. (Re-encoded
      // bytes in practice; the digest check is not what this row measures.)
      { ...w, id: `g/${tag}`, species: 'g', variant: "another sequence's reflection", light: ev(draw.samples.lit, draw.other) },
      { ...w, id: `h/${tag}`, species: 'h', variant: 'no reflection', light: ev(draw.samples.dark, draw.issued) },
      {
        ...replay,
        id: `f/${draw.id}+${replay.id}`,
        species: 'f',
        variant: `second screen (${draw.secondScreen.look})`,
        light: ev(draw.samples.second, draw.issued),
      },
    );
  }
  return out;
}
