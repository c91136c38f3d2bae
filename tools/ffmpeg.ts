/**
 * Where ffmpeg is, for tests and benches: the static ffmpeg of the `@ffmpeg-installer/ffmpeg`
 * devDependency (its `@ffmpeg-installer/<platform>` package carries the binary; nothing is
 * downloaded at install), or, only when that package is absent or has no binary for this
 * platform, a system ffmpeg on PATH. No root, no apt: `npm ci` is enough on linux-x64.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface FfmpegBinary {
  path: string;
  /** 'npm': @ffmpeg-installer's binary; 'system': found on PATH. */
  source: 'npm' | 'system';
}

const require = createRequire(import.meta.url);

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function fromNpm(): string | null {
  try {
    // Throws (a string, not an Error) on a platform it has no binary for, or when not installed.
    const p = (require('@ffmpeg-installer/ffmpeg') as { path?: unknown }).path;
    return typeof p === 'string' && isExecutableFile(p) ? p : null;
  } catch {
    return null;
  }
}

function fromPath(): string | null {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const dir of [...dirs, '/usr/bin', '/usr/local/bin']) {
    const candidate = path.join(dir, process.platform === 'win32' ? 'ffmpeg.exe' : 'ffmpeg');
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

let resolved: FfmpegBinary | null | undefined;

/** The ffmpeg to use, or null when there is none (resolved once per process). */
export function findFfmpeg(): FfmpegBinary | null {
  if (resolved === undefined) {
    const npm = fromNpm();
    const system = npm ? null : fromPath();
    resolved = npm ? { path: npm, source: 'npm' } : system ? { path: system, source: 'system' } : null;
  }
  return resolved;
}

/** The ffmpeg binary's path; throws, saying how to get one, when there is none. */
export function ffmpegPath(): string {
  const found = findFfmpeg();
  if (!found) {
    throw new Error(
      'no ffmpeg: the devDependency @ffmpeg-installer/ffmpeg is not installed (run `npm ci`) or has no binary for ' +
        `${process.platform}-${process.arch}, and no ffmpeg is on PATH`,
    );
  }
  return found.path;
}
