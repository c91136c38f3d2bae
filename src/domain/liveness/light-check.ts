/**
 * The light challenge's check: does the light reflected by the face follow the issued sequence
 * of screen colours, in time and in colour? Pure, deterministic, no I/O.
 *
 * PHYSICS. The screen adds light to the face: in linear RGB a skin pixel is
 * albedo_c × (ambient_c + k × screen_c), so the screen changes ln(skin_c) by about
 * k × screen_c / ambient_c — a change whose direction in colour space is the screen colour's
 * (for near-white ambient light), whatever the skin's albedo. The camera's auto-exposure and
 * white balance multiply every pixel by per-channel gains: dividing by the background (which the
 * screen barely lights, light-sample.ts) cancels them, and removing the mean over the channels
 * cancels what changes all channels alike (the face moving closer, a shadow). So per frame:
 *
 *   x_c = ln(lin(skin_c)) − ln(lin(background_c)),  chroma = x − mean_c(x)   (a vector summing to 0)
 *
 * and the flash of colour C on screen predicts a chroma change along e(C) = s − mean(s), s the
 * screen colour in linear RGB (LIGHT_RGB: 0 or 1 per channel). The attempt's median chroma is
 * subtracted (the skin's own colour under the ambient light), leaving what the flashes did.
 *
 * TIME. Frame timestamps are ms since the first frame; the sequence starts at t = 0. The camera
 * shows a flash some time after the page paints it (display latency, exposure, the frame's
 * delivery): the lag is searched in 0–maxLagMs and the best one kept. A frame judged at lag L
 * belongs to the flash on screen at t − L, unless it is within edgeGuardMs of a change of colour
 * (an exposure that straddles two flashes shows a mix).
 *
 * SCORE. The normalised correlation, over the judged frames, between the observed chroma and
 * the chroma the sequence predicts (centred): 1 = the face's colour changed exactly as the
 * flashes, 0 = unrelated. A recording cannot follow a random sequence it did not know; a second
 * screen in front of the camera reflects the flashes on the "face" and on the "background"
 * alike, which the ratio to the background cancels.
 *
 * OUTCOMES, in order:
 *   UNJUDGEABLE        fewer than minFrames frames with a face inside the light window, or the
 *                      frames cover less than minFlashCoverage of the flashes
 *   REFLECTED          chroma varies (amplitude ≥ minAmplitude) and score ≥ minScore
 *   FACE_TOO_FAR       median face box < minFaceFraction of the frame (too little screen light
 *                      reaches it to judge) \
 *   TOO_DARK           median skin luma < minSkinLuma                    } honest "uncertain":
 *   TOO_BRIGHT         median skin channel maximum > maxSkinLevel        /  the test could not see
 *   NOT_REFLECTED      no chroma variation beyond noise (amplitude < minAmplitude)
 *   SEQUENCE_MISMATCH  variation present but not the issued sequence (score < minScore)
 * A clear reflection is accepted even in a poor scene (it was seen); a poor scene without one is
 * uncertain, never spoof.
 *
 * Limit: nothing in a frame tells a dim screen in a very bright room (daylight by a window)
 * from no reflection at all: the camera's auto-exposure hides the ambient level. There the
 * reflection is below minAmplitude and an honest user gets NOT_REFLECTED; the capture page asks
 * for maximum brightness and a normally lit room.
 */
import { LIGHT_RGB, lightDurationMs } from './light.js';
import type { LightSample } from './light-sample.js';
import type { LightColor, LightFlash } from './types.js';

export type LightOutcome = 'REFLECTED' | 'NOT_REFLECTED' | 'SEQUENCE_MISMATCH' | 'TOO_DARK' | 'TOO_BRIGHT' | 'FACE_TOO_FAR' | 'UNJUDGEABLE';

export interface LightVerdict {
  outcome: LightOutcome;
  /** Normalised correlation (−1..1) of observed and expected chroma at the best lag; higher = more consistent with the issued sequence; 0 when not computed. */
  score: number;
  /** The camera lag that gave the best score, ms. */
  lagMs: number;
  /** RMS chroma variation over the light window (ln units; 0.01 ≈ a 1 % change of one channel relative to the others). */
  amplitude: number;
  /** Frames judged at the best lag. */
  frames: number;
}

export const LIGHT_THRESHOLDS = Object.freeze({
  /**
   * Largest camera lag searched, ms: a frame shows what the screen painted up to ~1 display
   * frame (16 ms) + the display's response (~10–30 ms) + the exposure (≤ 33 ms) + the capture
   * pipeline's delivery (~50–150 ms on phones) earlier. 300 ms covers that with margin and stays
   * below the shortest flash (LIGHT_DURATIONS_MS: 300), so the search cannot slide a whole flash.
   */
  maxLagMs: 300,
  /** Lag search step, ms: a quarter of a 10 fps frame interval. */
  lagStepMs: 25,
  /**
   * Frames this close (ms) to a change of colour are not judged: at 30 fps an exposure lasts up
   * to 33 ms, and the display switches over ~10 ms, so such a frame can show either flash or a mix.
   */
  edgeGuardMs: 40,
  /**
   * Fewest judged frames. The capture page films at ~10 fps: a 6-flash sequence (≥ 1.8 s) gives
   * ≥ 12 frames after the edge guards. Fewer than 10 (under ~1.5 per flash, e.g. a 3 fps
   * camera) leaves single frames to stand for a flash, where one noisy frame decides.
   */
  minFrames: 10,
  /**
   * Fraction of the flashes that must hold at least one judged frame. At ~10 fps a 300 ms flash
   * holds 2 frames after the edge guards; a dropped frame or two must not make an honest
   * attempt unjudgeable, but a sequence mostly unseen cannot be judged.
   */
  minFlashCoverage: 0.75,
  /**
   * Chroma RMS below which nothing changed beyond noise (NOT_REFLECTED). Expected signal: a phone
   * at maximum brightness (~500 cd/m², ~0.01 m²) lights a face at 30 cm with ~50 lux, a single
   * primary ~15–25 lux; against ~300 lux of indoor light that changes one channel's linear value
   * by 5–8 %, a chroma RMS of ~0.03–0.05 over a sequence (a laptop screen or a dim room: more).
   * Noise: the mean of thousands of skin pixels has sensor noise ≪ 0.1 %; head motion and JPEG
   * change the skin/background chroma by a few 0.1 %. 0.008 sits between the two (4× below the
   * expected signal, ~2× above the noise).
   */
  minAmplitude: 0.008,
  /**
   * Correlation at or above which the reflection follows the sequence. With signal-to-noise
   * amplitude ratio q the correlation is about q / √(1 + q²): 0.6 is reached at q = 0.75, so an
   * honest reflection half drowned in noise passes. Against it, a variation unrelated to the
   * sequence correlates with it by ~±1/√(2 × frames) (two chroma dimensions, ~30–50 frames:
   * σ ≈ 0.1–0.13, plus the lag search's ~13 tries): 0.6 is ~4σ. Another issued sequence (a
   * recording of an earlier attempt) is checked in test/unit/liveness-light.test.ts.
   */
  minScore: 0.6,
  /**
   * Median face box ÷ frame area below which the face is too far for the screen's light: at
   * 0.03 the face spans ~17 % of a 4:3 frame's width, ~60–70 cm from a phone or laptop camera,
   * where the screen's illuminance (∝ 1/d²) is ~¼ of that at 35 cm.
   */
  minFaceFraction: 0.03,
  /**
   * Median skin luma (Rec. 601, 0–255) below which the skin is too dark to measure: at 30, a 5 %
   * change is 1.5 levels — the size of 8-bit quantisation plus the sensor noise of a camera at
   * high gain.
   */
  minSkinLuma: 30,
  /**
   * Median skin level (the brightest channel's mean, 0–255) above which the skin is clipped: at
   * 235 in the mean a large share of the pixels are at 255, where added light changes nothing.
   */
  maxSkinLevel: 235,
});

export type LightThresholds = { readonly [K in keyof typeof LIGHT_THRESHOLDS]: number };

type Vec3 = [number, number, number];

/** sRGB (0–255) -> linear light (0–1). */
function linear(v: number): number {
  const c = Math.min(1, Math.max(0, v / 255));
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/** Linear values below this are treated as this: ln() of black would be −∞. */
const LINEAR_FLOOR = 1e-3;

function chroma(skin: readonly number[], background: readonly number[]): Vec3 {
  const x = [0, 1, 2].map(
    (c) => Math.log(Math.max(LINEAR_FLOOR, linear(skin[c]!))) - Math.log(Math.max(LINEAR_FLOOR, linear(background[c]!))),
  );
  const m = (x[0]! + x[1]! + x[2]!) / 3;
  return [x[0]! - m, x[1]! - m, x[2]! - m];
}

/** The chroma change a flash of this colour predicts (centred linear screen colour). */
function expectedDirection(color: LightColor): Vec3 {
  const s = LIGHT_RGB[color].map((v) => linear(v));
  const m = (s[0]! + s[1]! + s[2]!) / 3;
  return [s[0]! - m, s[1]! - m, s[2]! - m];
}

const median = (values: readonly number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return Number.NaN;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
};

const medianVec = (vs: readonly Vec3[]): Vec3 => [median(vs.map((v) => v[0])), median(vs.map((v) => v[1])), median(vs.map((v) => v[2]))];

const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

interface Judged {
  t: number;
  chroma: Vec3;
}

/** Index of the flash on screen at time `t` (ms from the sequence's start), or -1 outside it or near an edge. */
function flashAt(t: number, starts: readonly number[], flashes: readonly LightFlash[], guardMs: number): number {
  for (let i = 0; i < flashes.length; i++) {
    const start = starts[i]!;
    const end = start + flashes[i]!.durationMs;
    if (t >= start && t < end) return t - start >= guardMs && end - t > guardMs ? i : -1;
  }
  return -1;
}

/** Correlation of observed and expected chroma with frames assigned at lag `lagMs`, and the flashes covered. */
function correlate(
  frames: readonly Judged[],
  flashes: readonly LightFlash[],
  starts: readonly number[],
  lagMs: number,
  th: LightThresholds,
): { score: number; frames: number; covered: number } {
  const picked: Array<{ observed: Vec3; expected: Vec3; flash: number }> = [];
  for (const f of frames) {
    const i = flashAt(f.t - lagMs, starts, flashes, th.edgeGuardMs);
    if (i >= 0) picked.push({ observed: f.chroma, expected: expectedDirection(flashes[i]!.color), flash: i });
  }
  const covered = new Set(picked.map((p) => p.flash)).size;
  if (picked.length < 2) return { score: 0, frames: picked.length, covered };
  const m = medianVec(picked.map((p) => p.observed));
  const mean: Vec3 = [0, 0, 0];
  for (const p of picked) for (let c = 0; c < 3; c++) mean[c] = mean[c]! + p.expected[c]! / picked.length;
  let oe = 0;
  let oo = 0;
  let ee = 0;
  for (const p of picked) {
    const o: Vec3 = [p.observed[0] - m[0], p.observed[1] - m[1], p.observed[2] - m[2]];
    const e: Vec3 = [p.expected[0] - mean[0], p.expected[1] - mean[1], p.expected[2] - mean[2]];
    oe += dot(o, e);
    oo += dot(o, o);
    ee += dot(e, e);
  }
  const score = oo > 0 && ee > 0 ? oe / Math.sqrt(oo * ee) : 0;
  return { score, frames: picked.length, covered };
}

/** Judges an attempt's light samples against the issued flashes (see the module comment). */
export function judgeLight(
  samples: readonly LightSample[],
  flashes: readonly LightFlash[],
  th: LightThresholds = LIGHT_THRESHOLDS,
): LightVerdict {
  const total = lightDurationMs(flashes);
  const verdict = (outcome: LightOutcome, score = 0, lagMs = 0, amplitude = 0, frames = 0): LightVerdict => ({
    outcome,
    score,
    lagMs,
    amplitude,
    frames,
  });
  if (flashes.length === 0 || !(total > 0)) return verdict('UNJUDGEABLE');

  // Frames that can show the sequence: within it, once shifted by some lag in [0, maxLagMs].
  const inWindow = samples.filter((s) => Number.isFinite(s.t) && s.t >= 0 && s.t < total + th.maxLagMs);
  const withFace = inWindow.filter(
    (s): s is LightSample & { skin: readonly [number, number, number]; background: readonly [number, number, number] } =>
      s.skin !== null && s.background !== null,
  );
  if (withFace.length < th.minFrames) return verdict('UNJUDGEABLE', 0, 0, 0, withFace.length);

  const judged: Judged[] = withFace.map((s) => ({ t: s.t, chroma: chroma(s.skin, s.background) }));
  const centre = medianVec(judged.map((j) => j.chroma));
  const amplitude = Math.sqrt(judged.reduce((sum, j) => sum + dot(sub(j.chroma, centre), sub(j.chroma, centre)), 0) / judged.length);

  const starts: number[] = [];
  flashes.reduce((t, f) => (starts.push(t), t + f.durationMs), 0);
  let best = { score: -Infinity, frames: 0, covered: 0, lagMs: 0 };
  for (let lag = 0; lag <= th.maxLagMs; lag += th.lagStepMs) {
    const r = correlate(judged, flashes, starts, lag, th);
    // Only lags at which enough of the sequence is seen compete.
    if (r.frames < th.minFrames || r.covered < th.minFlashCoverage * flashes.length) continue;
    if (r.score > best.score) best = { ...r, lagMs: lag };
  }
  if (best.score === -Infinity) return verdict('UNJUDGEABLE', 0, 0, amplitude, 0);
  const done = (outcome: LightOutcome): LightVerdict => verdict(outcome, best.score, best.lagMs, amplitude, best.frames);

  if (amplitude >= th.minAmplitude && best.score >= th.minScore) return done('REFLECTED');
  if (median(withFace.map((s) => s.faceFraction)) < th.minFaceFraction) return done('FACE_TOO_FAR');
  const luma = withFace.map((s) => 0.299 * s.skin[0] + 0.587 * s.skin[1] + 0.114 * s.skin[2]);
  if (median(luma) < th.minSkinLuma) return done('TOO_DARK');
  if (median(withFace.map((s) => Math.max(...s.skin))) > th.maxSkinLevel) return done('TOO_BRIGHT');
  if (amplitude < th.minAmplitude) return done('NOT_REFLECTED');
  return done('SEQUENCE_MISMATCH');
}

const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
