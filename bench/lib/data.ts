/**
 * Shared inputs for the recognition benchmarks: the identity-labelled photos under
 * ../shared/faces/people, frames of ../shared/video/hamilton-clip.mp4 (via ffmpeg, into a temp
 * dir), and the embedded engine that embeds them. Nothing is copied into the repository.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmbeddedProvider } from '../../src/adapters/engine/provider.js';
import type { DetectedFace, DetectRequestOptions } from '../../src/domain/types.js';
import { findFfmpeg as findFfmpegBinary } from '../../tools/ffmpeg.js';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(BENCH_DIR, '..');
export const SHARED_DIR = process.env.FACEGRAPH_SHARED_DIR ?? path.resolve(REPO_ROOT, '../shared');
export const FACES_DIR = path.join(SHARED_DIR, 'faces');
export const PEOPLE_DIR = path.join(FACES_DIR, 'people');
export const VIDEO_FILE = path.join(SHARED_DIR, 'video', 'hamilton-clip.mp4');

export const DETECT_OPTIONS: DetectRequestOptions = {
  detectionModel: 'detection_03',
  recognitionModel: 'recognition_04',
  returnFaceId: true,
  faceIdTimeToLive: 86_400,
  returnLandmarks: false,
  attributes: [],
};

export interface PersonPhoto {
  /** Path relative to ../shared/faces, e.g. people/obama/1.jpg. */
  file: string;
  /** The folder name: every photo in one folder is the same person. */
  person: string;
}

/** Every photo under people/, sorted by person then file name. */
export function peoplePhotos(): PersonPhoto[] {
  const photos: PersonPhoto[] = [];
  for (const person of readdirSync(PEOPLE_DIR).sort()) {
    for (const name of readdirSync(path.join(PEOPLE_DIR, person)).sort()) {
      if (/\.(jpe?g|png|webp|gif)$/i.test(name)) photos.push({ file: `people/${person}/${name}`, person });
    }
  }
  return photos;
}

export async function startProvider(): Promise<EmbeddedProvider> {
  const provider = new EmbeddedProvider({ workers: 2, maxQueue: 64, maxPixels: 40_000_000 });
  await provider.start();
  return provider;
}

export interface Embedded<L> {
  id: string;
  label: L;
  embedding: Float32Array;
  face: DetectedFace;
}

/** The largest face of each photo (the provider returns faces largest first). */
export async function embedLargest(provider: EmbeddedProvider, photos: readonly PersonPhoto[]): Promise<Embedded<string>[]> {
  return Promise.all(
    photos.map(async (p) => {
      const faces = await provider.detect(readFileSync(path.join(FACES_DIR, p.file)), DETECT_OPTIONS);
      const face = faces[0];
      if (!face?.embedding) throw new Error(`no face found in ${p.file}`);
      return { id: p.file, label: p.person, embedding: face.embedding, face };
    }),
  );
}

/** The ffmpeg binary's path (the npm package's, else a system one), or null when there is none. */
export function findFfmpeg(): string | null {
  return findFfmpegBinary()?.path ?? null;
}

export interface Frame {
  /** Absolute path of the extracted JPEG. */
  file: string;
  /** Presentation time in seconds (ffmpeg's fps filter emits frame k at k / fps). */
  t: number;
}

/**
 * Samples `fps` frames per second of a video into a fresh directory under os.tmpdir().
 * Call `cleanup()` when done.
 */
export function extractFrames(ffmpeg: string, video: string, fps: number): { frames: Frame[]; dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'facegraph-frames-'));
  execFileSync(ffmpeg, ['-loglevel', 'error', '-nostdin', '-i', video, '-vf', `fps=${fps}`, '-q:v', '2', path.join(dir, '%03d.jpg')]);
  const frames = readdirSync(dir)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .map((f) => ({ file: path.join(dir, f), t: (Number.parseInt(f, 10) - 1) / fps }));
  return { frames, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
