/**
 * Bona fide and attack presentations for bench/liveness.ts, built from real footage and real
 * photos and analysed by the real embedded engine (analyses cached in memory, per frame).
 *
 *   genuine   the close-up shot of ../shared/video/hamilton-clip.mp4 (one face visible,
 *             t = 3.6–7.8 s, labelled by viewing the frames), 10 fps;
 *   (a) photo       one frame of the close-up as a held photo: small hand jitter (similarity
 *                   random walk), mild print look (contrast, warm tint, softening), camera noise;
 *   (b) print       the same photo tilted and turned by a hand (perspective warps of the sheet,
 *                   up to 40° about the vertical axis at close range: the attacker's best try to
 *                   fake a head turn), print look, jitter;
 *   (c) screen      c1: a phone/monitor showing one frame (lower resolution, gamma, colour cast,
 *                   moiré, blur), held with jitter and tilt; c2: the same screen playing the
 *                   close-up VIDEO itself (a replayed recording of the real person);
 *   (d) switch      the first half of a genuine window, then another person: photos of five other
 *                   people from ../shared/faces/people (not lin_manuel_miranda: that is the clip's
 *                   performer) placed at the same face size, moved by jitter and a small turn;
 *   (e) replay      a genuine window submitted again byte for byte (same digest).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { EmbeddedProvider } from '../../src/adapters/engine/provider.js';
import { LIVENESS_DETECT_OPTIONS, toFrameAnalysis } from '../../src/domain/liveness/decision-input.js';
import type { FrameAnalysis } from '../../src/domain/liveness/types.js';
import { FACES_DIR, peoplePhotos } from './data.js';
import {
  addNoise,
  blur,
  encodeJpeg,
  loadRgb,
  moire,
  placeOnCanvas,
  resize,
  sheetHomography,
  similarityAbout,
  tone,
  warpForward,
  type RgbImage,
} from './liveness-render.js';
import { rng } from './liveness-synthetic.js';
import type { Matrix3, Pt } from '../../src/domain/liveness/flatness.js';

/** Frames per second of every rendered sequence. */
export const FPS = 10;
/** The close-up shot, in 10 fps frame indices (0-based: frame k at k / 10 s), checked by eye. */
export const CLOSEUP = { first: 36, last: 78 } as const;
/** Frames of the close-up used as the single photo of attacks (a)–(c1). */
export const PHOTO_SOURCES = [36, 41, 46, 51, 56, 61, 66, 71, 76] as const;
/** Frames per rendered attack sequence (3 s at 10 fps). */
export const ATTACK_FRAMES = 30;
/** Frames per other-person sequence in (d). */
export const SWITCH_FRAMES = 15;

export interface CapturedFrame {
  jpeg: Buffer;
  /** Engine analysis (t is filled in per window). */
  analysis: FrameAnalysis;
}

export interface Sequence {
  id: string;
  /** 'genuine' or the attack type letter. */
  kind: 'genuine' | 'a' | 'b' | 'c' | 'd';
  variant: string;
  frames: CapturedFrame[];
}

export class Analyser {
  readonly cache = new Map<string, FrameAnalysis>();
  frames = 0;
  constructor(private readonly provider: EmbeddedProvider) {}

  /** Analyses JPEG bytes (cached by content hash). */
  async analyse(jpeg: Buffer, width: number, height: number): Promise<FrameAnalysis> {
    const key = createHash('sha256').update(jpeg).digest('hex');
    const hit = this.cache.get(key);
    if (hit) return hit;
    const faces = await this.provider.detect(jpeg, LIVENESS_DETECT_OPTIONS);
    const analysis = toFrameAnalysis(0, width, height, faces);
    this.cache.set(key, analysis);
    this.frames++;
    return analysis;
  }

  /** Encodes and analyses rendered images, keeping both workers busy. */
  async capture(images: readonly RgbImage[], quality = 88): Promise<CapturedFrame[]> {
    return Promise.all(
      images.map(async (img) => {
        const jpeg = await encodeJpeg(img, quality);
        return { jpeg, analysis: await this.analyse(jpeg, img.width, img.height) };
      }),
    );
  }
}

/** Centre of the (first) face's landmarks in an analysis. */
export function faceCentre(a: FrameAnalysis): Pt {
  const f = a.faces[0];
  if (!f) throw new Error('no face to centre on');
  let x = 0;
  let y = 0;
  for (const p of f.landmarks68) {
    x += p.x;
    y += p.y;
  }
  return { x: x / f.landmarks68.length, y: y / f.landmarks68.length };
}

/** A smooth random walk in [-1, 1] (hand tremor), one value per frame. */
function tremor(n: number, random: () => number): number[] {
  const out: number[] = [];
  let v = 0;
  let x = random() * 2 - 1;
  for (let i = 0; i < n; i++) {
    v = 0.6 * v + 0.35 * (random() * 2 - 1);
    x = Math.max(-1, Math.min(1, 0.92 * x + v));
    out.push(x);
  }
  return out;
}

const compose = (a: Matrix3, b: Matrix3): Matrix3 => {
  const r: number[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) r.push(a[i * 3]! * b[j]! + a[i * 3 + 1]! * b[3 + j]! + a[i * 3 + 2]! * b[6 + j]!);
  return r as unknown as Matrix3;
};

/** A matte print: less contrast, warm paper, softened. */
async function printLook(img: RgbImage): Promise<RgbImage> {
  return blur(tone(img, { contrast: 0.88, gain: [1.04, 1.0, 0.93], offset: 6 }), 0.6);
}

export interface ScreenLook {
  /** Fraction of the resolution the screen shows (downscale, then upscale). */
  resolution: number;
  gamma: number;
  moireAmplitude: number;
  moirePeriod: number;
  moireAngleDeg: number;
  blurSigma: number;
}

export const SCREEN_LOOKS: Record<string, ScreenLook> = {
  phone: { resolution: 0.5, gamma: 0.8, moireAmplitude: 0.1, moirePeriod: 6, moireAngleDeg: 8, blurSigma: 0.7 },
  monitor: { resolution: 0.6, gamma: 1.2, moireAmplitude: 0.14, moirePeriod: 9, moireAngleDeg: -5, blurSigma: 0.5 },
};

async function screenLook(img: RgbImage, look: ScreenLook): Promise<RgbImage> {
  const low = await resize(img, Math.round(img.width * look.resolution), Math.round(img.height * look.resolution), 'linear');
  const up = await resize(low, img.width, img.height, 'cubic');
  const toned = tone(up, { gamma: look.gamma, gain: [0.94, 1.0, 1.08], contrast: 0.92, offset: 10 });
  return blur(moire(toned, { amplitude: look.moireAmplitude, period: look.moirePeriod, angleDeg: look.moireAngleDeg }), look.blurSigma);
}

/** (a): a held photo of one frame, small hand jitter. */
export async function renderPhotoJitter(src: RgbImage, centre: Pt, seed: number): Promise<RgbImage[]> {
  const random = rng(seed);
  const [s, r, tx, ty] = [tremor(ATTACK_FRAMES, random), tremor(ATTACK_FRAMES, random), tremor(ATTACK_FRAMES, random), tremor(ATTACK_FRAMES, random)];
  const printed = await printLook(src);
  const out: RgbImage[] = [];
  for (let i = 0; i < ATTACK_FRAMES; i++) {
    const m = similarityAbout(centre, 1.04 + 0.03 * s[i]!, 2 * r[i]!, 5 * tx[i]!, 5 * ty[i]!);
    out.push(addNoise(warpForward(printed, m), 2, random));
  }
  return out;
}

export type TiltScript = 'yaw-sweep' | 'pitch-then-yaw';

/** (b): the print tilted and turned by hand, strong perspective (sheet close to the camera). */
export async function renderPrintTilt(src: RgbImage, centre: Pt, script: TiltScript, direction: 1 | -1, seed: number): Promise<RgbImage[]> {
  const random = rng(seed);
  const [jx, jy, jr] = [tremor(ATTACK_FRAMES, random), tremor(ATTACK_FRAMES, random), tremor(ATTACK_FRAMES, random)];
  const printed = await printLook(src);
  const out: RgbImage[] = [];
  const focal = src.width; // ~53° horizontal field of view, a typical webcam
  for (let i = 0; i < ATTACK_FRAMES; i++) {
    const u = i / (ATTACK_FRAMES - 1);
    let yawDeg: number;
    let pitchDeg: number;
    if (script === 'yaw-sweep') {
      // 0 -> 40° one way -> back -> 25° the other way.
      yawDeg = direction * (u < 0.55 ? 40 * Math.sin((Math.PI * u) / 0.55) : -25 * Math.sin((Math.PI * (u - 0.55)) / 0.45));
      pitchDeg = 6 * jy[i]!;
    } else {
      pitchDeg = u < 0.45 ? -30 * Math.sin((Math.PI * u) / 0.45) : 0;
      yawDeg = u < 0.45 ? 0 : direction * 40 * Math.sin((Math.PI * (u - 0.45)) / 0.55);
    }
    const h = sheetHomography(src, centre, { yawDeg, pitchDeg, rollDeg: 3 * jr[i]!, focal, distance: focal * 0.75, shift: { x: 5 * jx[i]!, y: 5 * jy[i]! } });
    out.push(addNoise(warpForward(printed, h), 2, random));
  }
  return out;
}

/** (c1): a screen showing one frame, held with jitter and a slow tilt. */
export async function renderScreenStill(src: RgbImage, centre: Pt, look: ScreenLook, seed: number): Promise<RgbImage[]> {
  const random = rng(seed);
  const [jx, jy, jr, tilt] = [tremor(ATTACK_FRAMES, random), tremor(ATTACK_FRAMES, random), tremor(ATTACK_FRAMES, random), tremor(ATTACK_FRAMES, random)];
  const screen = await screenLook(src, look);
  const out: RgbImage[] = [];
  for (let i = 0; i < ATTACK_FRAMES; i++) {
    const h = sheetHomography(src, centre, {
      yawDeg: 20 * tilt[i]!,
      pitchDeg: 8 * jy[i]!,
      rollDeg: 2 * jr[i]!,
      focal: src.width,
      distance: src.width * 0.9,
      shift: { x: 4 * jx[i]!, y: 4 * jy[i]! },
    });
    out.push(addNoise(warpForward(screen, h), 2.5, random));
  }
  return out;
}

/** (c2): a screen replaying the video frames, held (small jitter and a fixed slight tilt). */
export async function renderScreenVideo(frames: readonly RgbImage[], centre: Pt, look: ScreenLook, seed: number): Promise<RgbImage[]> {
  const random = rng(seed);
  const [jx, jy] = [tremor(frames.length, random), tremor(frames.length, random)];
  const out: RgbImage[] = [];
  for (let i = 0; i < frames.length; i++) {
    const screen = await screenLook(frames[i]!, look);
    const h = sheetHomography(screen, centre, { yawDeg: 12, pitchDeg: -6, rollDeg: 1.5, focal: screen.width, distance: screen.width * 0.9, shift: { x: 3 * jx[i]!, y: 3 * jy[i]! } });
    out.push(addNoise(warpForward(screen, h), 2.5, random));
  }
  return out;
}

/** (d): another person's photo placed at the clip's face size and position, moved a little. */
export async function renderOtherPerson(photo: RgbImage, photoFace: { centre: Pt; width: number }, at: Pt, faceWidth: number, seed: number): Promise<RgbImage[]> {
  const random = rng(seed);
  const placed = placeOnCanvas(photo, { width: 640, height: 360, scale: faceWidth / photoFace.width, anchor: photoFace.centre, at });
  const [jx, jy, jr] = [tremor(SWITCH_FRAMES, random), tremor(SWITCH_FRAMES, random), tremor(SWITCH_FRAMES, random)];
  const out: RgbImage[] = [];
  for (let i = 0; i < SWITCH_FRAMES; i++) {
    const u = i / (SWITCH_FRAMES - 1);
    const h = sheetHomography(placed, at, { yawDeg: 25 * Math.sin(Math.PI * u), pitchDeg: 4 * jy[i]!, rollDeg: 2 * jr[i]!, focal: 640, distance: 640 * 0.85, shift: { x: 4 * jx[i]!, y: 4 * jy[i]! } });
    out.push(addNoise(warpForward(placed, h), 2, random));
  }
  return out;
}

export interface BenchData {
  closeup: Sequence;
  attacks: Sequence[];
  /** (d): other people's sequences, to splice into genuine windows. */
  others: Sequence[];
  analysedFrames: number;
}

/** Renders and analyses everything. `files` are the clip's frames at FPS (0-based index = frame k). */
export async function buildBenchData(analyser: Analyser, files: readonly string[], log: (s: string) => void): Promise<BenchData> {
  const closeFiles = files.slice(CLOSEUP.first, CLOSEUP.last + 1);
  const closeImages = await Promise.all(closeFiles.map((f) => loadRgb(f)));
  const closeFrames: CapturedFrame[] = await Promise.all(
    closeFiles.map(async (f, i) => {
      const jpeg = readFileSync(f);
      return { jpeg, analysis: await analyser.analyse(jpeg, closeImages[i]!.width, closeImages[i]!.height) };
    }),
  );
  const closeup: Sequence = { id: 'closeup', kind: 'genuine', variant: 'clip', frames: closeFrames };
  log(`  genuine: close-up frames ${CLOSEUP.first}..${CLOSEUP.last} (${closeFrames.length}) analysed`);

  const attacks: Sequence[] = [];
  let seed = 100;
  for (const k of PHOTO_SOURCES) {
    const idx = k - CLOSEUP.first;
    const src = closeImages[idx]!;
    const centre = faceCentre(closeFrames[idx]!.analysis);
    attacks.push({ id: `a-photo-${k}`, kind: 'a', variant: 'photo+jitter', frames: await analyser.capture(await renderPhotoJitter(src, centre, seed++)) });
    const dir = (k % 2 === 0 ? 1 : -1) as 1 | -1;
    attacks.push({ id: `b-yaw-${k}`, kind: 'b', variant: 'print yaw sweep', frames: await analyser.capture(await renderPrintTilt(src, centre, 'yaw-sweep', dir, seed++)) });
    attacks.push({ id: `b-pitch-${k}`, kind: 'b', variant: 'print pitch+yaw', frames: await analyser.capture(await renderPrintTilt(src, centre, 'pitch-then-yaw', dir, seed++)) });
    const look = k % 2 === 0 ? 'phone' : 'monitor';
    attacks.push({ id: `c1-${look}-${k}`, kind: 'c', variant: `screen still (${look})`, frames: await analyser.capture(await renderScreenStill(src, centre, SCREEN_LOOKS[look]!, seed++)) });
    log(`  attacks from frame ${k}: a, b x2, c1 rendered and analysed (${analyser.frames} frames so far)`);
  }
  const mid = faceCentre(closeFrames[Math.floor(closeFrames.length / 2)]!.analysis);
  for (const look of ['phone', 'monitor'] as const) {
    const rendered = await renderScreenVideo(closeImages, mid, SCREEN_LOOKS[look]!, seed++);
    attacks.push({ id: `c2-${look}`, kind: 'c', variant: `screen video replay (${look})`, frames: await analyser.capture(rendered) });
  }
  log(`  attacks c2 (screen video replay) rendered and analysed (${analyser.frames} frames so far)`);

  // (d) other people, placed where and as large as the performer's face.
  const widths = closeFrames.map((f) => f.analysis.faces[0]?.faceRectangle.width ?? 0).filter((w) => w > 0).sort((p, q) => p - q);
  const faceWidth = widths[Math.floor(widths.length / 2)] ?? 88;
  const others: Sequence[] = [];
  for (const photo of peoplePhotos().filter((p) => p.person !== 'lin_manuel_miranda')) {
    const bytes = readFileSync(path.join(FACES_DIR, photo.file));
    const img = await loadRgb(bytes);
    const jpeg = await encodeJpeg(img, 92);
    const a = await analyser.analyse(jpeg, img.width, img.height);
    const face = a.faces[0];
    if (!face) throw new Error(`no face in ${photo.file}`);
    const rendered = await renderOtherPerson(img, { centre: faceCentre(a), width: face.faceRectangle.width }, mid, faceWidth, seed++);
    others.push({ id: `d-${photo.file}`, kind: 'd', variant: photo.person, frames: await analyser.capture(rendered) });
  }
  log(`  (d) ${others.length} other-person sequences rendered and analysed (${analyser.frames} frames in all)`);
  return { closeup, attacks, others, analysedFrames: analyser.frames };
}

/** sha256 hex of the concatenated frame bytes (the attempt digest). */
export function digestOf(frames: readonly CapturedFrame[]): string {
  const h = createHash('sha256');
  for (const f of frames) h.update(f.jpeg);
  return h.digest('hex');
}
