/**
 * Presentation attacks rendered from real images, for the liveness benchmark (bench/liveness.ts)
 * and the liveness unit tests: the same renderers for both, so a test's attack is the bench's.
 *
 *   (a) photo       one image as a held photo: small hand jitter (similarity random walk), mild
 *                   print look (contrast, warm tint, softening), camera noise;
 *   (b) print       the same photo tilted and turned by a hand (perspective warps of the sheet,
 *                   up to 40° about the vertical axis at close range: the attacker's best try to
 *                   fake a head turn), print look, jitter;
 *   (c) screen      c1: a phone/monitor showing one image (lower resolution, gamma, colour cast,
 *                   moiré, blur), held with jitter and tilt; c2: the same screen playing a VIDEO;
 *   (d) switch      another person's photo placed at a given face size, moved by jitter and a
 *                   small turn.
 *
 * Pure rendering (sharp for resizing and blur); which images are rendered is the caller's choice.
 */
import type { Pt } from '../../src/domain/liveness/flatness.js';
import type { FrameAnalysis } from '../../src/domain/liveness/types.js';
import { rng } from './landmarks.js';
import {
  addNoise,
  blur,
  moire,
  placeOnCanvas,
  resize,
  sheetHomography,
  similarityAbout,
  tone,
  warpForward,
  type RgbImage,
} from './render.js';

/** Frames per rendered attack sequence (3 s at 10 fps). */
export const ATTACK_FRAMES = 30;
/** Frames per other-person sequence in (d). */
export const SWITCH_FRAMES = 15;

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

/** What a phone/monitor makes of an image: lower resolution, gamma, colour cast, moiré, blur. */
export async function screenLook(img: RgbImage, look: ScreenLook): Promise<RgbImage> {
  const low = await resize(img, Math.round(img.width * look.resolution), Math.round(img.height * look.resolution), 'linear');
  const up = await resize(low, img.width, img.height, 'cubic');
  const toned = tone(up, { gamma: look.gamma, gain: [0.94, 1.0, 1.08], contrast: 0.92, offset: 10 });
  return blur(moire(toned, { amplitude: look.moireAmplitude, period: look.moirePeriod, angleDeg: look.moireAngleDeg }), look.blurSigma);
}

/** (a): a held photo of one frame, small hand jitter. */
export async function renderPhotoJitter(src: RgbImage, centre: Pt, seed: number): Promise<RgbImage[]> {
  const random = rng(seed);
  const [s, r, tx, ty] = [
    tremor(ATTACK_FRAMES, random),
    tremor(ATTACK_FRAMES, random),
    tremor(ATTACK_FRAMES, random),
    tremor(ATTACK_FRAMES, random),
  ];
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
    const h = sheetHomography(src, centre, {
      yawDeg,
      pitchDeg,
      rollDeg: 3 * jr[i]!,
      focal,
      distance: focal * 0.75,
      shift: { x: 5 * jx[i]!, y: 5 * jy[i]! },
    });
    out.push(addNoise(warpForward(printed, h), 2, random));
  }
  return out;
}

/** (c1): a screen showing one frame, held with jitter and a slow tilt. */
export async function renderScreenStill(src: RgbImage, centre: Pt, look: ScreenLook, seed: number): Promise<RgbImage[]> {
  const random = rng(seed);
  const [jx, jy, jr, tilt] = [
    tremor(ATTACK_FRAMES, random),
    tremor(ATTACK_FRAMES, random),
    tremor(ATTACK_FRAMES, random),
    tremor(ATTACK_FRAMES, random),
  ];
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
    const h = sheetHomography(screen, centre, {
      yawDeg: 12,
      pitchDeg: -6,
      rollDeg: 1.5,
      focal: screen.width,
      distance: screen.width * 0.9,
      shift: { x: 3 * jx[i]!, y: 3 * jy[i]! },
    });
    out.push(addNoise(warpForward(screen, h), 2.5, random));
  }
  return out;
}

/** (d): another person's photo placed at the clip's face size and position, moved a little. */
export async function renderOtherPerson(
  photo: RgbImage,
  photoFace: { centre: Pt; width: number },
  at: Pt,
  faceWidth: number,
  seed: number,
): Promise<RgbImage[]> {
  const random = rng(seed);
  const placed = placeOnCanvas(photo, { width: 640, height: 360, scale: faceWidth / photoFace.width, anchor: photoFace.centre, at });
  const [jx, jy, jr] = [tremor(SWITCH_FRAMES, random), tremor(SWITCH_FRAMES, random), tremor(SWITCH_FRAMES, random)];
  const out: RgbImage[] = [];
  for (let i = 0; i < SWITCH_FRAMES; i++) {
    const u = i / (SWITCH_FRAMES - 1);
    const h = sheetHomography(placed, at, {
      yawDeg: 25 * Math.sin(Math.PI * u),
      pitchDeg: 4 * jy[i]!,
      rollDeg: 2 * jr[i]!,
      focal: 640,
      distance: 640 * 0.85,
      shift: { x: 4 * jx[i]!, y: 4 * jy[i]! },
    });
    out.push(addNoise(warpForward(placed, h), 2, random));
  }
  return out;
}
