/**
 * ffmpeg helpers for tests: the shared video clip as a fake camera (y4m for Chromium's
 * --use-file-for-fake-video-capture) or as JPEG frames (for posting attempts directly).
 * ffmpeg is the npm package's static binary (tools/ffmpeg.ts; a system ffmpeg only when that is absent).
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { ffmpegPath } from '../../tools/ffmpeg.js';
import { SHARED_DIR } from './paths.js';

const run = promisify(execFile);

/** 10 s, 640x360, 29.97 fps, unmirrored broadcast footage; shot cuts at 1.51 s, 3.58 s and 7.88 s. */
export const HAMILTON_CLIP = path.join(SHARED_DIR, 'video', 'hamilton-clip.mp4');
/**
 * The one shot of the clip with a single face (the performer, facing the camera and turning his
 * head): 3.6 s to 7.8 s (scene cuts measured with ffmpeg's scene filter; 3.0–3.58 s is audience).
 */
export const HAMILTON_SINGLE_FACE = Object.freeze({ startSec: 3.6, durationSec: 4.2 });

export interface ClipRange {
  /** Where to start in the clip, seconds. Default 3.6 (the single-face shot). */
  startSec?: number;
  /** How much to take, seconds. Default 4.2 (to the shot's end). */
  durationSec?: number;
  /** The clip; default the shared hamilton-clip.mp4. */
  clip?: string;
}

async function ffmpeg(args: string[]): Promise<void> {
  const bin = ffmpegPath();
  try {
    await run(bin, ['-hide_banner', '-loglevel', 'error', '-nostdin', ...args], { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`ffmpeg ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

/**
 * Converts a stretch of the clip to a raw y4m video that Chromium plays (in a loop) as its
 * fake camera. y4m is uncompressed (~350 KB a frame at 640x360), so outDir should be under
 * os.tmpdir(). Returns the y4m's path.
 */
export async function makeFakeCameraY4m(
  outDir: string,
  { startSec = HAMILTON_SINGLE_FACE.startSec, durationSec = HAMILTON_SINGLE_FACE.durationSec, clip = HAMILTON_CLIP }: ClipRange = {},
): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const out = path.join(outDir, `fake-camera-${startSec}-${durationSec}.y4m`);
  await ffmpeg(['-y', '-ss', String(startSec), '-t', String(durationSec), '-i', clip, '-an', '-pix_fmt', 'yuv420p', out]);
  if ((await stat(out)).size === 0) throw new Error(`ffmpeg wrote an empty ${out}`);
  return out;
}

export interface ExtractOptions extends ClipRange {
  /** Frames per second to take. Default 6. */
  fps?: number;
  /** Largest number of frames. Default 30. */
  maxFrames?: number;
  /** ffmpeg's JPEG quality scale, 2 (best) to 31. Default 4. */
  qscale?: number;
  /** Mirror horizontally (a client that wrongly sends the mirrored preview). */
  mirror?: boolean;
}

/**
 * Extracts JPEG frames from the clip at a steady rate, as a client would send them. Returns
 * the JPEG bytes in order and their ms offsets since the first frame.
 */
export async function extractJpegFrames(
  outDir: string,
  {
    startSec = HAMILTON_SINGLE_FACE.startSec,
    durationSec = 3,
    clip = HAMILTON_CLIP,
    fps = 6,
    maxFrames = 30,
    qscale = 4,
    mirror = false,
  }: ExtractOptions = {},
): Promise<{ frames: Buffer[]; timestamps: number[]; files: string[] }> {
  await mkdir(outDir, { recursive: true });
  const filters = [`fps=${fps}`, ...(mirror ? ['hflip'] : [])].join(',');
  const pattern = path.join(outDir, 'frame-%03d.jpg');
  const isFrame = (f: string) => /^frame-\d{3}\.jpg$/.test(f);
  // Frames of an earlier, longer extraction into the same folder would be read back too.
  for (const old of (await readdir(outDir)).filter(isFrame)) await rm(path.join(outDir, old));
  await ffmpeg([
    '-y',
    '-ss',
    String(startSec),
    '-t',
    String(durationSec),
    '-i',
    clip,
    '-an',
    '-vf',
    filters,
    '-frames:v',
    String(maxFrames),
    '-q:v',
    String(qscale),
    pattern,
  ]);
  const files = (await readdir(outDir))
    .filter(isFrame)
    .sort()
    .map((f) => path.join(outDir, f));
  if (files.length === 0) throw new Error(`ffmpeg extracted no frames from ${clip} at ${startSec}s`);
  const frames = await Promise.all(files.map((f) => readFile(f)));
  const timestamps = frames.map((_, i) => Math.round((i * 1000) / fps));
  return { frames, timestamps, files };
}
