/**
 * Bona fide and attack presentations for bench/liveness.ts, built from real footage and real
 * photos and analysed by the real embedded engine (analyses cached in memory, per frame). The
 * attack renderers are in tools/liveness-synthetic/attacks.ts (shared with the unit tests).
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
import {
  faceCentre,
  renderOtherPerson,
  renderPhotoJitter,
  renderPrintTilt,
  renderScreenStill,
  renderScreenVideo,
  SCREEN_LOOKS,
} from '../../tools/liveness-synthetic/attacks.js';
import { encodeJpeg, loadRgb, type RgbImage } from '../../tools/liveness-synthetic/render.js';
import { FACES_DIR, peoplePhotos } from './data.js';

/** Frames per second of every rendered sequence. */
export const FPS = 10;
/** The close-up shot, in 10 fps frame indices (0-based: frame k at k / 10 s), checked by eye. */
export const CLOSEUP = { first: 36, last: 78 } as const;
/**
 * The time split, in close-up frame indices (0 = clip frame 36): thresholds are chosen on 'tune'
 * (t = 3.6–5.6 s) and every reported number is measured on 'held' (t = 5.7–7.8 s).
 */
export const PARTS = { tune: { first: 0, end: 21 }, held: { first: 21, end: 43 } } as const;
export const partOfCloseupIndex = (i: number): 'tune' | 'held' => (i < PARTS.held.first ? 'tune' : 'held');

/** Frames of the close-up used as the single photo of attacks (a)–(c1). */
export const PHOTO_SOURCES = [36, 41, 46, 51, 56, 61, 66, 71, 76] as const;

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
  /** The time part of its source footage (attacks from one frame, other people); none for sliding sequences. */
  part?: 'tune' | 'held';
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

export interface BenchData {
  closeup: Sequence;
  /** The close-up's decoded frames (for the light renders). */
  closeImages: RgbImage[];
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
    const part = partOfCloseupIndex(idx);
    const src = closeImages[idx]!;
    const centre = faceCentre(closeFrames[idx]!.analysis);
    attacks.push({
      id: `a-photo-${k}`,
      part,
      kind: 'a',
      variant: 'photo+jitter',
      frames: await analyser.capture(await renderPhotoJitter(src, centre, seed++)),
    });
    const dir = k % 2 === 0 ? 1 : -1;
    attacks.push({
      id: `b-yaw-${k}`,
      part,
      kind: 'b',
      variant: 'print yaw sweep',
      frames: await analyser.capture(await renderPrintTilt(src, centre, 'yaw-sweep', dir, seed++)),
    });
    attacks.push({
      id: `b-pitch-${k}`,
      part,
      kind: 'b',
      variant: 'print pitch+yaw',
      frames: await analyser.capture(await renderPrintTilt(src, centre, 'pitch-then-yaw', dir, seed++)),
    });
    const look = k % 2 === 0 ? 'phone' : 'monitor';
    attacks.push({
      id: `c1-${look}-${k}`,
      part,
      kind: 'c',
      variant: `screen still (${look})`,
      frames: await analyser.capture(await renderScreenStill(src, centre, SCREEN_LOOKS[look]!, seed++)),
    });
    log(`  attacks from frame ${k}: a, b x2, c1 rendered and analysed (${analyser.frames} frames so far)`);
  }
  const mid = faceCentre(closeFrames[Math.floor(closeFrames.length / 2)]!.analysis);
  for (const look of ['phone', 'monitor'] as const) {
    const rendered = await renderScreenVideo(closeImages, mid, SCREEN_LOOKS[look]!, seed++);
    attacks.push({ id: `c2-${look}`, kind: 'c', variant: `screen video replay (${look})`, frames: await analyser.capture(rendered) });
  }
  log(`  attacks c2 (screen video replay) rendered and analysed (${analyser.frames} frames so far)`);

  // (d) other people, placed where and as large as the performer's face.
  const widths = closeFrames
    .map((f) => f.analysis.faces[0]?.faceRectangle.width ?? 0)
    .filter((w) => w > 0)
    .sort((p, q) => p - q);
  const faceWidth = widths[Math.floor(widths.length / 2)] ?? 88;
  const others: Sequence[] = [];
  const people = [...new Set(peoplePhotos().map((p) => p.person))].filter((p) => p !== 'lin_manuel_miranda');
  for (const photo of peoplePhotos().filter((p) => p.person !== 'lin_manuel_miranda')) {
    // Alternate people between the parts: nobody is on both sides of the split.
    const part = people.indexOf(photo.person) % 2 === 0 ? 'tune' : 'held';
    const bytes = readFileSync(path.join(FACES_DIR, photo.file));
    const img = await loadRgb(bytes);
    const jpeg = await encodeJpeg(img, 92);
    const a = await analyser.analyse(jpeg, img.width, img.height);
    const face = a.faces[0];
    if (!face) throw new Error(`no face in ${photo.file}`);
    const rendered = await renderOtherPerson(img, { centre: faceCentre(a), width: face.faceRectangle.width }, mid, faceWidth, seed++);
    others.push({ id: `d-${photo.file}`, kind: 'd', variant: photo.person, frames: await analyser.capture(rendered), part });
  }
  log(`  (d) ${others.length} other-person sequences rendered and analysed (${analyser.frames} frames in all)`);
  return { closeup, closeImages, attacks, others, analysedFrames: analyser.frames };
}

/** sha256 hex of the concatenated frame bytes (the attempt digest). */
export function digestOf(frames: readonly CapturedFrame[]): string {
  const h = createHash('sha256');
  for (const f of frames) h.update(f.jpeg);
  return h.digest('hex');
}
