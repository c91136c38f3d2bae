/**
 * The light challenge's attempts for bench/liveness.ts, rendered from the close-up with the physical
 * model of tools/liveness-synthetic/light.ts and analysed by the real engine; light samples are
 * measured on the DECODED uploaded JPEGs with the face box the engine found in them.
 *
 * Per part, per window (every start of each WINDOW_CONFIGS inside the part), per draw: camera and
 * light parameters drawn from LIT_PARAM_RANGES, a sequence from createLightSequence (the product's
 * issuer) cut to the flashes that fit in the 2 s window (3–5 of its 6–10: the footage is short), and
 *   genuine  the window filmed while the screen shows that sequence;
 *   (g)      the same frames submitted to a session that issued ANOTHER sequence (a recording of a
 *            genuine attempt, injected or replayed without any new reflection);
 *   (h)      the window filmed with the screen idle (a recording with no reflection);
 *   (f)      the unlit window replayed on a second screen (phone or monitor look) in front of the
 *            camera while the capture screen shows the issued sequence (glare, see light.ts).
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
import { measureLightSample, type LightSample } from './light-judge.js';
import { digestOf, FPS, PARTS, type Analyser, type CapturedFrame, type Sequence } from './liveness-data.js';
import { spanOf, WINDOW_CONFIGS, type Attempt, type Part, type Species, type WindowConfig } from './liveness-eval.js';

export interface LitDraw {
  id: string;
  part: Part;
  config: string;
  start: number;
  params: LitParams;
  secondScreen: Omit<SecondScreenParams, 'look'> & { look: string };
  issued: LightFlash[];
  other: LightFlash[];
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

export interface LitAttempts {
  attempts: Attempt[];
  draws: LitDraw[];
}

/**
 * Renders, analyses and samples the lit attempts. `draws` per window (per part: `draws.tune`,
 * `draws.held`), deterministic from `seed`.
 */
export async function buildLitAttempts(
  analyser: Analyser,
  closeup: Sequence,
  closeImages: readonly RgbImage[],
  draws: Record<Part, number>,
  seed: number,
  log: (s: string) => void,
): Promise<LitAttempts> {
  const attempts: Attempt[] = [];
  const all: LitDraw[] = [];
  let n = 0;
  for (const [part, range] of Object.entries(PARTS) as Array<[Part, { first: number; end: number }]>) {
    for (const c of WINDOW_CONFIGS) {
      const span = spanOf(c);
      for (let s = range.first; s + span <= range.end; s++) {
        for (let d = 0; d < draws[part]; d++) {
          const made = await oneDraw(analyser, closeup, closeImages, part, c, s, seed + 1000 * n++);
          attempts.push(...made.attempts);
          all.push(made.draw);
        }
      }
      log(`  light: ${part} windows of ${c.name} rendered and analysed (${analyser.frames} frames so far)`);
    }
  }
  return { attempts, draws: all };
}

async function oneDraw(
  analyser: Analyser,
  closeup: Sequence,
  closeImages: readonly RgbImage[],
  part: Part,
  c: WindowConfig,
  start: number,
  seed: number,
): Promise<{ attempts: Attempt[]; draw: LitDraw }> {
  const random = rng(seed);
  const bytes = (size: number): Uint8Array => Uint8Array.from({ length: size }, () => Math.floor(random() * 256));
  const idx = Array.from({ length: c.count }, (_, i) => start + i * c.stride);
  const times = idx.map((_, i) => Math.round((i * c.stride * 1000) / FPS));
  const maxMs = times[times.length - 1]! - 150;
  const issued = fitSequence(createLightSequence(bytes), maxMs);
  let other = fitSequence(createLightSequence(bytes), maxMs);
  while (sameSequence(other, issued)) other = fitSequence(createLightSequence(bytes), maxMs);
  const params = sampleLitParams(random);
  const lookName = seed % 2 === 0 ? 'phone' : 'monitor';
  const screen = sampleSecondScreen(random, SCREEN_LOOKS[lookName]!);
  const images = idx.map((i) => closeImages[i]!);
  const boxes: Array<FaceBox | null> = idx.map((i) => closeup.frames[i]!.analysis.faces[0]?.faceRectangle ?? null);
  const centre = faceCentre(closeup.frames[idx[Math.floor(idx.length / 2)]!]!.analysis);
  const id = `${c.count}f/s${start}/d${seed}`;

  const capture = async (jpegs: readonly Buffer[]): Promise<CapturedFrame[]> =>
    Promise.all(jpegs.map(async (jpeg, i) => ({ jpeg, analysis: await analyser.analyse(jpeg, images[i]!.width, images[i]!.height) })));
  const make = async (species: Species, variant: string, frames: CapturedFrame[], judgedAgainst: LightFlash[]): Promise<Attempt> => ({
    id: `${species}/${id}`,
    species,
    variant,
    config: c.name,
    frames: frames.map((f, i) => ({ ...f.analysis, t: times[i]! })),
    digest: digestOf(frames),
    previousDigests: new Set(),
    part,
    light: { samples: await samplesOf(frames, times), issued: judgedAgainst },
  });

  const lit = await capture(await renderLitAttempt(images, times, boxes, issued, params, random));
  const dark = await capture(await renderLitAttempt(images, times, boxes, [], params, random));
  const second = await capture(await renderSecondScreenAttempt(images, times, centre, issued, params, screen, random));
  const genuine = await make('genuine', 'lit by the issued sequence', lit, issued);
  const attempts = [
    genuine,
    // The recording of the genuine attempt, for a new session: another sequence was issued. (Re-encoded
    // bytes in practice; the digest check is not what this row measures.)
    {
      ...genuine,
      id: `g/${id}`,
      species: 'g' as const,
      variant: "another sequence's reflection",
      light: { samples: genuine.light!.samples, issued: other },
    },
    await make('h', 'no reflection', dark, issued),
    await make('f', `second screen (${lookName})`, second, issued),
  ];
  const { look: _look, ...rest } = screen;
  return { attempts, draw: { id, part, config: c.name, start, params, secondScreen: { ...rest, look: lookName }, issued, other } };
}
