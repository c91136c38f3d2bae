/**
 * The light challenge, simulated on real footage for bench/liveness.ts: what a camera films when
 * the capture page flashes full-screen colours at a face (a bona fide attempt), at a recording
 * (no reflection, or another sequence's), and at a second screen replaying a recording.
 *
 * PHYSICAL MODEL (renderLitAttempt), per frame at capture time t, in linear light (sRGB decoded):
 *
 *   screen(t)     the capture screen's colour at t − latency (LIGHT_RGB of the flash then shown;
 *                 `idleLevel` grey before the first flash and after the last), seen through the
 *                 sensor's spectral crosstalk (a display's red primary also excites the green and
 *                 blue pixels a little: `crosstalk`);
 *   reflection    lit(x) = frame(x) + k · g(x) · albedo(x) ⊙ screen(t) + spec · face(x) · screen(t)
 *                 albedo(x) = frame(x) ⊘ ambient: the frame's OWN colour divided by the ambient
 *                 light's colour (grey-world estimate over the frame, normalised to mean 1), so a
 *                 skin pixel reflects red light more than blue as skin does, and dark hair little;
 *                 k (`strength`) = screen-white illuminance on the face ÷ ambient illuminance,
 *                 scaled by (face width / `referenceFaceWidth`)² (inverse square: a face twice as
 *                 large in the image is twice as close to the screen);
 *                 g(x) = 1 on the head (an ellipse around the face box), decaying over `spread`
 *                 head radii to `backgroundRatio` (the far wall, out of the screen's reach);
 *                 spec (`specular`): skin shine, screen-coloured, NOT albedo-weighted, head only;
 *   auto-exposure the camera's gain follows the metered luminance (`meterFaceWeight` face-priority
 *                 metering, the rest the whole frame) with a first-order lag: each frame the gain
 *                 moves a fraction 1 − exp(−Δt/τ) (`aeTauS`) toward the gain that would undo the
 *                 flash's brightening (`aeStrength`: 0 = locked exposure, 1 = undoes it fully);
 *   white balance the same, per channel, toward undoing the flash's colour cast (`awbTauS`,
 *                 `awbStrength`), level-neutral: AWB takes back part of the very signal the check
 *                 looks for;
 *   sensor        Gaussian noise (`noiseSigma` grey levels, after the tone curve), clipping at 255,
 *                 then JPEG at `jpegQuality`.
 *
 * Frames' own times are jittered by `jitterMs` (the client's timestamps are those of the capture,
 * the screen's changes are not frame-synchronous).
 *
 * SECOND SCREEN (renderSecondScreenAttempt): the recording WITHOUT light is played on a phone or
 * monitor held in front of the camera (attacks.ts's screen look: resolution, gamma, colour cast,
 * moiré, blur, a perspective tilt), and the capture screen's flashes fall on that screen. A
 * display is emissive — the face it shows does not brighten — and its glass is a flat specular
 * surface: what it sends back to the camera is the capture screen's light reflected by the glass
 * (Fresnel ≈ 4 % at normal incidence) and scattered by the anti-glare coating: a glare of the
 * SCREEN'S colour, not weighted by any skin albedo, spread over the whole display (uniform haze
 * plus a broad blob where the capture screen mirrors), as strong on the shown background as on the
 * shown face. The room around the display is lit like a genuine background. Then the same camera
 * (auto-exposure, white balance, noise, JPEG).
 *
 * Every parameter is drawn per attempt from LIT_PARAM_RANGES (sampleLitParams).
 */
import type { LightFlash } from '../../src/domain/liveness/types.js';
import { LIGHT_RGB } from '../../src/domain/liveness/light.js';
import { screenLook, type ScreenLook } from './attacks.js';
import { encodeJpeg, sheetHomography, warpForward, type RgbImage } from './render.js';
import type { Pt } from '../../src/domain/liveness/flatness.js';

// ---------------------------------------------------------------------------------------------
// applyLight (branch wt-light).

const toLinear = (v: number): number => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
};
const toSrgb = (l: number): number => {
  const c = Math.min(1, Math.max(0, l));
  const v = c <= 0.0031308 ? c * 12.92 : 1.055 * c ** (1 / 2.4) - 0.055;
  return Math.round(v * 255);
};
const LINEAR = Array.from({ length: 256 }, (_, v) => toLinear(v));

export interface FaceBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * applyLight (a small model, for the light check's unit tests):
 * The light challenge's reflection, rendered onto a frame (tests and benches): a screen showing
 * `rgb` in front of the face adds light to the skin. A small model on purpose — additive light
 * on an ellipse inscribed in the face box, in linear RGB, proportional to the pixel's own value
 * (the skin's albedo times the ambient light):
 *
 *   out_c = in_c × (1 + strength × screen_c)      (linear light; screen_c = LIGHT colour, 0–1)
 *
 * so `strength` is the screen's light on the face as a fraction of the ambient light (0.05: a
 * phone at 30 cm in a ~300 lux room, see LIGHT_THRESHOLDS.minAmplitude). The edge of the
 * ellipse is feathered over 10 % of its radius. Nothing outside the face changes (the background
 * is far from the screen); neck, hair and shoulders are not modelled.
 */
/** A copy of `img` with the screen's light of colour `rgb` (sRGB 0–255) added to the face. */
export function applyLight(img: RgbImage, face: FaceBox, rgb: readonly [number, number, number], strength: number): RgbImage {
  const out = new Uint8Array(img.data);
  if (strength === 0 || face.width <= 0 || face.height <= 0) return { width: img.width, height: img.height, data: out };
  const gain = rgb.map((v) => strength * toLinear(Math.min(255, Math.max(0, v))));
  const cx = face.left + face.width / 2;
  const cy = face.top + face.height / 2;
  const ax = face.width / 2;
  const ay = face.height / 2;
  const x0 = Math.max(0, Math.floor(face.left));
  const x1 = Math.min(img.width, Math.ceil(face.left + face.width));
  const y0 = Math.max(0, Math.floor(face.top));
  const y1 = Math.min(img.height, Math.ceil(face.top + face.height));
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const dx = (x + 0.5 - cx) / ax;
      const dy = (y + 0.5 - cy) / ay;
      const r = Math.sqrt(dx * dx + dy * dy);
      if (r >= 1) continue;
      const weight = r <= 0.9 ? 1 : (1 - r) / 0.1;
      const i = (y * img.width + x) * 3;
      for (let c = 0; c < 3; c++) out[i + c] = toSrgb(LINEAR[img.data[i + c]!]! * (1 + weight * gain[c]!));
    }
  }
  return { width: img.width, height: img.height, data: out };
}

// ---------------------------------------------------------------------------------------------
// renderLitAttempt and the second screen (the bench's physical model).

export interface LitParams {
  /** Screen-white illuminance on the face ÷ ambient illuminance, at referenceFaceWidth. */
  strength: number;
  /** Face width (px) at which `strength` holds; the light scales with (width / this)². */
  referenceFaceWidth: number;
  /** The far background's share of the face's reflection. */
  backgroundRatio: number;
  /** How far the light reaches around the head (neck, shoulders), in head radii. */
  spread: number;
  /** Skin shine: screen-coloured reflection, fraction of the ambient face level per unit screen light. */
  specular: number;
  /** Sensor response to the other primaries (off-diagonal of the crosstalk matrix). */
  crosstalk: number;
  /** Screen level (grey, fraction of white) before and after the flashes. */
  idleLevel: number;
  /** Screen change -> sensor: display, capture and encoding latency (ms). */
  latencyMs: number;
  /** Standard deviation of the frame time against the screen's clock (ms). */
  jitterMs: number;
  /** Auto-exposure time constant (s) and strength (0 locked .. 1 undoes the flash). */
  aeTauS: number;
  aeStrength: number;
  /** Face-priority metering weight (0 = whole frame). */
  meterFaceWeight: number;
  /** Auto white balance time constant (s) and strength. */
  awbTauS: number;
  awbStrength: number;
  /** Sensor noise, grey levels. */
  noiseSigma: number;
  jpegQuality: number;
}

/**
 * The ranges parameters are drawn from (uniform, or log-uniform for `log`), and why.
 * strength: a phone at full brightness (~500 cd/m², ~0.01 m²) 30–40 cm from the face gives
 * ~40–60 lx against ~300 lx of office light (0.15); a laptop (~0.06 m², 300 cd/m², 50 cm) ~70 lx;
 * in a dim room (30–50 lx) either exceeds the ambient. 0.05 (bright room, dim screen) to 1.0.
 */
export const LIT_PARAM_RANGES: Readonly<Record<keyof LitParams, { min: number; max: number; log?: boolean }>> = {
  strength: { min: 0.05, max: 1.0, log: true },
  referenceFaceWidth: { min: 90, max: 90 },
  backgroundRatio: { min: 0, max: 0.08 },
  spread: { min: 0.3, max: 1.0 },
  specular: { min: 0, max: 0.08 },
  crosstalk: { min: 0.03, max: 0.15 },
  idleLevel: { min: 0.1, max: 0.4 },
  latencyMs: { min: 40, max: 220 },
  jitterMs: { min: 0, max: 25 },
  aeTauS: { min: 0.15, max: 1.2, log: true },
  aeStrength: { min: 0, max: 1 },
  meterFaceWeight: { min: 0, max: 0.8 },
  awbTauS: { min: 0.3, max: 2.0, log: true },
  awbStrength: { min: 0, max: 0.8 },
  noiseSigma: { min: 1, max: 4 },
  jpegQuality: { min: 60, max: 92 },
};

export function sampleLitParams(random: () => number, overrides: Partial<LitParams> = {}): LitParams {
  const draw = (k: keyof LitParams): number => {
    const r = LIT_PARAM_RANGES[k];
    const u = random();
    return r.log ? Math.exp(Math.log(r.min) + u * (Math.log(r.max) - Math.log(r.min))) : r.min + u * (r.max - r.min);
  };
  const p = Object.fromEntries((Object.keys(LIT_PARAM_RANGES) as Array<keyof LitParams>).map((k) => [k, draw(k)])) as unknown as LitParams;
  return { ...p, jpegQuality: Math.round(p.jpegQuality), ...overrides };
}

// ---------------------------------------------------------------------------------------------
// sRGB <-> linear.

const TO_LINEAR = new Float32Array(256);
for (let v = 0; v < 256; v++) {
  const c = v / 255;
  TO_LINEAR[v] = c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
}
const ENCODE_STEPS = 4096;
const TO_SRGB = new Float32Array(ENCODE_STEPS + 1);
for (let i = 0; i <= ENCODE_STEPS; i++) {
  const c = i / ENCODE_STEPS;
  TO_SRGB[i] = 255 * (c <= 0.0031308 ? 12.92 * c : 1.055 * Math.pow(c, 1 / 2.4) - 0.055);
}
const encode = (linear: number): number => (linear >= 1 ? 255 : linear <= 0 ? 0 : TO_SRGB[Math.round(linear * ENCODE_STEPS)]!);

type Rgb = readonly [number, number, number];

/** The capture screen's colour (linear, as the sensor sees it) at screen time `t` (ms from the first flash). */
export function screenAt(flashes: readonly LightFlash[], t: number, p: Pick<LitParams, 'idleLevel' | 'crosstalk'>): Rgb {
  let start = 0;
  let rgb: Rgb = [p.idleLevel, p.idleLevel, p.idleLevel];
  if (t >= 0) {
    for (const f of flashes) {
      if (t < start + f.durationMs) {
        const c = LIGHT_RGB[f.color];
        rgb = [TO_LINEAR[c[0]]!, TO_LINEAR[c[1]]!, TO_LINEAR[c[2]]!];
        break;
      }
      start += f.durationMs;
    }
  }
  const x = p.crosstalk;
  return [rgb[0] + x * (rgb[1] + rgb[2]), rgb[1] + x * (rgb[0] + rgb[2]), rgb[2] + x * (rgb[0] + rgb[1])];
}

/** Gaussian samples (Box–Muller). */
function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Head ellipse (centre, semi-axes) around a face box: hair above, chin below. */
function headEllipse(b: FaceBox): { cx: number; cy: number; ax: number; ay: number } {
  return { cx: b.left + b.width / 2, cy: b.top + 0.42 * b.height, ax: 0.62 * b.width, ay: 0.78 * b.height };
}

/** Per-pixel reach of the screen's light: 1 on the head, decaying to backgroundRatio. */
function reachMap(width: number, height: number, box: FaceBox | null, p: Pick<LitParams, 'backgroundRatio' | 'spread'>): Float32Array {
  const g = new Float32Array(width * height).fill(p.backgroundRatio);
  if (!box) return g;
  const e = headEllipse(box);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = Math.hypot((x - e.cx) / e.ax, (y - e.cy) / e.ay);
      const near = d <= 1 ? 1 : Math.exp(-(((d - 1) / p.spread) ** 2));
      g[y * width + x] = p.backgroundRatio + (1 - p.backgroundRatio) * near;
    }
  }
  return g;
}

/** Head mask (1 inside the ellipse, soft edge) for the specular term and face-priority metering. */
function headMap(width: number, height: number, box: FaceBox | null): Float32Array {
  const m = new Float32Array(width * height);
  if (!box) return m;
  const e = headEllipse(box);
  for (let y = Math.max(0, Math.floor(e.cy - 1.3 * e.ay)); y < Math.min(height, Math.ceil(e.cy + 1.3 * e.ay)); y++) {
    for (let x = Math.max(0, Math.floor(e.cx - 1.3 * e.ax)); x < Math.min(width, Math.ceil(e.cx + 1.3 * e.ax)); x++) {
      const d = Math.hypot((x - e.cx) / e.ax, (y - e.cy) / e.ay);
      m[y * width + x] = d <= 0.9 ? 1 : d >= 1.2 ? 0 : (1.2 - d) / 0.3;
    }
  }
  return m;
}

/** One frame of a scene in linear light, and how the capture screen's light adds to it. */
interface LitScene {
  width: number;
  height: number;
  /** Linear RGB without the screen's light. */
  base: Float32Array;
  /** Added linear RGB per unit of screen light in each channel: added_c = screen_c · perUnit[3i + c]. */
  perUnit: Float32Array;
  /** Metering weights (sum 1). */
  meter: Float32Array;
}

function luminance(r: number, g: number, b: number): number {
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Per-channel means of (base + screen ⊙ perUnit) under the metering weights. */
function metered(scene: LitScene, screen: Rgb): Rgb {
  const { base, perUnit, meter } = scene;
  let r = 0;
  let g = 0;
  let b = 0;
  for (let i = 0, o = 0; i < meter.length; i++, o += 3) {
    const w = meter[i]!;
    r += w * (base[o]! + screen[0] * perUnit[o]!);
    g += w * (base[o + 1]! + screen[1] * perUnit[o + 1]!);
    b += w * (base[o + 2]! + screen[2] * perUnit[o + 2]!);
  }
  return [r, g, b];
}

function meterWeights(width: number, height: number, head: Float32Array, faceWeight: number): Float32Array {
  const n = width * height;
  let headSum = 0;
  for (let i = 0; i < n; i++) headSum += head[i]!;
  const w = new Float32Array(n);
  const fw = headSum > 0 ? faceWeight : 0;
  for (let i = 0; i < n; i++) w[i] = (1 - fw) / n + (headSum > 0 ? (fw * head[i]!) / headSum : 0);
  return w;
}

/**
 * The camera: exposure and white balance lag, noise, JPEG. `scenes[i]` at `times[i]` (ms since
 * the first frame, the client's timestamps); the screen shows `flashes` from t = 0.
 */
async function film(
  scenes: readonly LitScene[],
  times: readonly number[],
  flashes: readonly LightFlash[],
  p: LitParams,
  random: () => number,
): Promise<Buffer[]> {
  const normal = gaussian(random);
  // The idle screen as the sensor sees it (crosstalk included): the state the camera has converged on.
  const idle = screenAt(flashes, -1, p);
  const out: Buffer[] = [];
  let gain = 1;
  let wb: [number, number, number] = [1, 1, 1];
  let previousT = times[0] ?? 0;
  for (const [i, scene] of scenes.entries()) {
    const t = times[i]!;
    const screen = screenAt(flashes, t + p.jitterMs * normal() - p.latencyMs, p);
    // What the camera would need to undo the flash's change (against the same frame under the idle screen).
    const lit = metered(scene, screen);
    const ref = metered(scene, idle);
    const yLit = luminance(...lit);
    const yRef = luminance(...ref);
    const gainTarget = Math.pow(yRef / Math.max(1e-6, yLit), p.aeStrength);
    const chroma = (c: Rgb, y: number): Rgb => [c[0] / y, c[1] / y, c[2] / y];
    const cLit = chroma(lit, yLit);
    const cRef = chroma(ref, yRef);
    const wbRaw: Rgb = [
      Math.pow(cRef[0] / Math.max(1e-6, cLit[0]), p.awbStrength),
      Math.pow(cRef[1] / Math.max(1e-6, cLit[1]), p.awbStrength),
      Math.pow(cRef[2] / Math.max(1e-6, cLit[2]), p.awbStrength),
    ];
    const wbY = luminance(...wbRaw);
    const wbTarget: Rgb = [wbRaw[0] / wbY, wbRaw[1] / wbY, wbRaw[2] / wbY];
    // The camera has converged on the idle screen before the attempt (gain 1, white balance 1);
    // from there it lags behind the flashes (no step at the first frame: dt = 0).
    const dt = Math.max(0, t - previousT) / 1000;
    const a = 1 - Math.exp(-dt / p.aeTauS);
    const aw = 1 - Math.exp(-dt / p.awbTauS);
    gain += a * (gainTarget - gain);
    wb = [wb[0] + aw * (wbTarget[0] - wb[0]), wb[1] + aw * (wbTarget[1] - wb[1]), wb[2] + aw * (wbTarget[2] - wb[2])];
    previousT = t;
    const { base, perUnit, width, height } = scene;
    const data = new Uint8Array(width * height * 3);
    for (let o = 0; o < data.length; o += 3) {
      for (let c = 0; c < 3; c++) {
        const v = encode(gain * wb[c]! * (base[o + c]! + screen[c]! * perUnit[o + c]!)) + p.noiseSigma * normal();
        data[o + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
      }
    }
    out.push(await encodeJpeg({ width, height, data }, p.jpegQuality));
  }
  return out;
}

/** The ambient light's colour by grey world over the frame (linear), normalised to mean 1. */
function ambientColour(base: Float32Array): Rgb {
  const m = [0, 0, 0];
  for (let o = 0; o < base.length; o += 3) for (let c = 0; c < 3; c++) m[c] = m[c]! + base[o + c]!;
  const mean = (m[0]! + m[1]! + m[2]!) / 3 || 1;
  return [Math.max(0.2, m[0]! / mean), Math.max(0.2, m[1]! / mean), Math.max(0.2, m[2]! / mean)];
}

function linearOf(img: RgbImage): Float32Array {
  const base = new Float32Array(img.data.length);
  for (let i = 0; i < img.data.length; i++) base[i] = TO_LINEAR[img.data[i]!]!;
  return base;
}

/** A real face in front of the capture screen: the scene of one frame. */
function faceScene(img: RgbImage, box: FaceBox | null, p: LitParams): LitScene {
  const { width, height } = img;
  const base = linearOf(img);
  const ambient = ambientColour(base);
  const reach = reachMap(width, height, box, p);
  const head = headMap(width, height, box);
  const k = p.strength * (box ? (box.width / p.referenceFaceWidth) ** 2 : 1);
  // Specular relative to the head's mean ambient level.
  let headLevel = 0;
  let headN = 0;
  for (let i = 0; i < head.length; i++) {
    if (head[i]! > 0.5) {
      headLevel += luminance(base[3 * i]!, base[3 * i + 1]!, base[3 * i + 2]!);
      headN++;
    }
  }
  headLevel = headN ? headLevel / headN : 0;
  const perUnit = new Float32Array(base.length);
  for (let i = 0, o = 0; i < reach.length; i++, o += 3) {
    for (let c = 0; c < 3; c++) {
      const albedo = Math.min(1, base[o + c]! / ambient[c]!);
      perUnit[o + c] = k * reach[i]! * albedo + k * p.specular * headLevel * head[i]!;
    }
  }
  return { width, height, base, perUnit, meter: meterWeights(width, height, head, p.meterFaceWeight) };
}

/**
 * A bona fide attempt: `frames` (real footage, unlit) filmed while the capture screen shows
 * `flashes` from t = 0; `times` are the frames' timestamps (ms from the first), `boxes` the
 * engine's face box in each frame (null: no face found; the reflection then only reaches the
 * background). Returns the JPEG frames. `flashes` empty = the footage filmed with no flashes
 * (the same camera: noise, JPEG), i.e. a recording without any reflection.
 */
export async function renderLitAttempt(
  frames: readonly RgbImage[],
  times: readonly number[],
  boxes: ReadonlyArray<FaceBox | null>,
  flashes: readonly LightFlash[],
  params: LitParams,
  random: () => number,
): Promise<Buffer[]> {
  const scenes = frames.map((img, i) => faceScene(img, boxes[i] ?? null, params));
  return film(scenes, times, flashes, params, random);
}

export interface SecondScreenParams {
  look: ScreenLook;
  /** Glare from the replay display's glass: fraction of the display's white per unit of screen light. */
  glare: number;
  /** Share of the glare that is uniform haze (the rest is a broad blob where the capture screen mirrors). */
  haze: number;
  /** Where the blob sits, as fractions of the frame, and its radius as a fraction of the frame width. */
  blob: { x: number; y: number; radius: number };
  /** Display tilt (deg) and hand jitter amplitude (px). */
  yawDeg: number;
  pitchDeg: number;
}

export const SECOND_SCREEN_RANGES = {
  /** 4 % Fresnel of a ~500 cd/m² capture screen against a ~300 cd/m² display: ~0.07; matte to glossy, near to far. */
  glare: { min: 0.01, max: 0.25, log: true },
  haze: { min: 0.2, max: 0.9 },
  blobRadius: { min: 0.15, max: 0.5 },
  yawDeg: { min: -15, max: 15 },
  pitchDeg: { min: -8, max: 8 },
} as const;

export function sampleSecondScreen(random: () => number, look: ScreenLook): SecondScreenParams {
  const u = (r: { min: number; max: number }): number => r.min + random() * (r.max - r.min);
  const g = SECOND_SCREEN_RANGES.glare;
  return {
    look,
    glare: Math.exp(Math.log(g.min) + random() * (Math.log(g.max) - Math.log(g.min))),
    haze: u(SECOND_SCREEN_RANGES.haze),
    blob: { x: 0.2 + 0.6 * random(), y: 0.2 + 0.6 * random(), radius: u(SECOND_SCREEN_RANGES.blobRadius) },
    yawDeg: u(SECOND_SCREEN_RANGES.yawDeg),
    pitchDeg: u(SECOND_SCREEN_RANGES.pitchDeg),
  };
}

/**
 * A second screen: the unlit recording `frames` played on a display held in front of the camera
 * (centred on `centre`), the capture screen's `flashes` reflected by the display's glass as a glare
 * of the screen's colour over the whole display (not albedo-weighted; see the module comment),
 * the room around the display lit weakly (backgroundRatio), then the same camera as a bona fide
 * attempt. The camera parameters come from `params` (its strength, spread and specular are unused:
 * there is no skin in front of the capture screen).
 */
export async function renderSecondScreenAttempt(
  frames: readonly RgbImage[],
  times: readonly number[],
  centre: Pt,
  flashes: readonly LightFlash[],
  params: LitParams,
  screen: SecondScreenParams,
  random: () => number,
): Promise<Buffer[]> {
  const first = frames[0];
  if (!first) return [];
  const { width, height } = first;
  const white: RgbImage = { width, height, data: new Uint8Array(width * height * 3).fill(255) };
  const tilt = (jx: number, jy: number): ReturnType<typeof sheetHomography> =>
    sheetHomography(first, centre, {
      yawDeg: screen.yawDeg,
      pitchDeg: screen.pitchDeg,
      rollDeg: 1,
      focal: width,
      distance: width * 0.9,
      shift: { x: jx, y: jy },
    });
  const scenes: LitScene[] = [];
  let jx = 0;
  let jy = 0;
  for (const img of frames) {
    jx = 0.9 * jx + 0.8 * (random() * 2 - 1);
    jy = 0.9 * jy + 0.8 * (random() * 2 - 1);
    const h = tilt(jx, jy);
    const shown = warpForward(await screenLook(img, screen.look), h, width, height);
    const area = warpForward(white, h, width, height, [0, 0, 0]);
    const base = linearOf(shown);
    const ambient = ambientColour(base);
    const perUnit = new Float32Array(base.length);
    const bx = screen.blob.x * width;
    const by = screen.blob.y * height;
    const br = screen.blob.radius * width;
    for (let y = 0, i = 0; y < height; y++) {
      for (let x = 0; x < width; x++, i++) {
        const onDisplay = area.data[3 * i]! / 255;
        const profile = screen.haze + (1 - screen.haze) * 2 * Math.exp(-((x - bx) ** 2 + (y - by) ** 2) / (2 * br * br));
        for (let c = 0; c < 3; c++) {
          const room = params.strength * params.backgroundRatio * Math.min(1, base[3 * i + c]! / ambient[c]!);
          perUnit[3 * i + c] = onDisplay * screen.glare * profile + (1 - onDisplay) * room;
        }
      }
    }
    scenes.push({ width, height, base, perUnit, meter: meterWeights(width, height, new Float32Array(width * height), 0) });
  }
  return film(scenes, times, flashes, params, random);
}
