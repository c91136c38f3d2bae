/**
 * Chromium for the browser tests without root: the Chromium inside the `@sparticuz/chromium`
 * devDependency (unpacked to the temp folder on first use, ~190 MB, a few seconds), driven by
 * playwright-core. Debian's chromium is used only when that package is absent.
 *
 * The npm Chromium links against libnss3, libnspr4 and libexpat. Where the system lacks them
 * (`ldd` says "not found"), the copies the package ships in bin/al2023.tar.br are unpacked
 * next to it and handed to the browser process only, through LD_LIBRARY_PATH. Set
 * FACEGRAPH_CHROMIUM_BUNDLED_LIBS=1 to use the bundled libraries even when the system has them
 * (to check that path on a machine that does not need it).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { brotliDecompress } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';

const run = promisify(execFile);
const unbrotli = promisify(brotliDecompress);

const SYSTEM_CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/**
 * Flags of @sparticuz/chromium's recommended set that are wrong here:
 *   --single-process   the browser, renderers and GPU in one process: meant for Lambda; a
 *                      browser closing its first context ends the whole process (and with
 *                      puppeteer browser.close() hangs), so several contexts in one browser break;
 *   --headless='shell' playwright passes its own --headless (and the quotes would reach Chromium
 *                      literally: no shell in between);
 *   --disable-web-security, --allow-running-insecure-content, --disable-site-isolation-trials
 *                      turn off the same-origin policy and mixed-content blocking: the capture
 *                      page must be tested under the security model real browsers apply.
 */
const DROPPED_FLAGS = [
  /^--single-process$/,
  /^--headless(=|$)/,
  /^--disable-web-security$/,
  /^--allow-running-insecure-content$/,
  /^--disable-site-isolation-trials$/,
];

export interface ChromiumLaunchInfo {
  source: 'npm' | 'system';
  executablePath: string;
  /** The bundled libraries' folder when the browser runs on them (LD_LIBRARY_PATH), else null. */
  bundledLibs: string | null;
  /** Libraries `ldd` could not find in the system (before the bundled ones were added). */
  missingSystemLibs: string[];
  /** Time to get the executable (the first call unpacks it), ms. */
  unpackMs: number;
  /** Time chromium.launch took, ms. */
  launchMs: number;
}

/** Sonames `ldd` reports as "not found" for the binary, with the given environment. [] when ldd is unavailable. */
async function missingLibraries(executable: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  let stdout: string;
  try {
    ({ stdout } = await run('ldd', [executable], { env, maxBuffer: 4 * 1024 * 1024 }));
  } catch (err) {
    const e = err as { stdout?: string; code?: unknown };
    // ldd exits non-zero on some systems when libraries are missing; it may also not exist.
    if (typeof e.stdout !== 'string' || e.code === 'ENOENT') return [];
    stdout = e.stdout;
  }
  return stdout
    .split('\n')
    .filter((line) => /=>\s*not found/.test(line))
    .map((line) => line.trim().split(/\s+/)[0]!);
}

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? raw.length : end).toString('utf8');
}

/**
 * Unpacks a brotli-compressed tar of regular files (what bin/al2023.tar.br holds: lib/*.so)
 * into `dest`. Minimal on purpose: regular files and folders only; anything else (links,
 * devices) or a path leaving `dest` is refused rather than half-handled.
 */
export async function unpackTarBrotli(archive: string, dest: string): Promise<string[]> {
  const tar = await unbrotli(await readFile(archive));
  const written: string[] = [];
  let longName: string | null = null;
  for (let offset = 0; offset + 512 <= tar.length;) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const size = Number.parseInt(field(header, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156]!);
    const magic = field(header, 257, 6);
    // POSIX ustar ("ustar\0") splits long paths into prefix/name; GNU ("ustar  ") uses 'L' entries.
    const prefix = magic === 'ustar' ? field(header, 345, 155) : '';
    const dataStart = offset + 512;
    const data = tar.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / 512) * 512;
    if (type === 'L') {
      longName = field(data, 0, data.length);
      continue;
    }
    const name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = null;
    const target = path.resolve(dest, name);
    if (path.isAbsolute(name) || !target.startsWith(path.resolve(dest) + path.sep))
      throw new Error(`${archive}: entry ${name} leaves ${dest}`);
    if (type === '5') {
      await mkdir(target, { recursive: true });
    } else if (type === '0' || type === '\0') {
      const mode = Number.parseInt(field(header, 100, 8).trim() || '644', 8) & 0o777;
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, data, { mode });
      written.push(target);
    } else {
      throw new Error(`${archive}: entry ${name} has tar type '${type}', which this unpacker does not handle`);
    }
  }
  return written;
}

/** bin/al2023.tar.br unpacked once per machine into the temp folder; returns its lib folder. */
async function bundledLibraries(packageBin: string): Promise<string> {
  const home = path.join(os.tmpdir(), 'facegraph-chromium-al2023');
  const lib = path.join(home, 'lib');
  if (existsSync(path.join(lib, 'libnss3.so'))) return lib;
  // Unpack beside, then rename into place: an interrupted unpack never looks complete.
  const staging = await mkdtemp(path.join(os.tmpdir(), 'facegraph-chromium-al2023-'));
  try {
    await unpackTarBrotli(path.join(packageBin, 'al2023.tar.br'), staging);
    if (!existsSync(path.join(staging, 'lib', 'libnss3.so'))) throw new Error(`${packageBin}/al2023.tar.br holds no lib/libnss3.so`);
    await rm(home, { recursive: true, force: true });
    await rename(staging, home);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return lib;
}

interface Resolved {
  source: 'npm' | 'system';
  executablePath: string;
  args: string[];
  env: NodeJS.ProcessEnv | undefined;
  bundledLibs: string | null;
  missingSystemLibs: string[];
  unpackMs: number;
}

async function resolveNpmChromium(): Promise<Resolved | null> {
  let sparticuz: typeof import('@sparticuz/chromium').default;
  let packageBin: string;
  try {
    sparticuz = (await import('@sparticuz/chromium')).default;
    // build/cjs/index.cjs -> the package's bin/ folder with the brotli archives.
    packageBin = path.resolve(path.dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium')), '..', '..', 'bin');
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' || (err as { code?: string }).code === 'MODULE_NOT_FOUND') return null;
    throw err;
  }
  const t0 = performance.now();
  const executablePath = await sparticuz.executablePath();
  const unpackMs = performance.now() - t0;
  const args = sparticuz.args.filter((flag) => !DROPPED_FLAGS.some((re) => re.test(flag)));

  const missingSystemLibs = await missingLibraries(executablePath);
  let bundledLibs: string | null = null;
  let env: NodeJS.ProcessEnv | undefined;
  if (missingSystemLibs.length > 0 || process.env.FACEGRAPH_CHROMIUM_BUNDLED_LIBS === '1') {
    bundledLibs = await bundledLibraries(packageBin);
    env = { ...process.env, LD_LIBRARY_PATH: [bundledLibs, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') };
    const stillMissing = await missingLibraries(executablePath, env);
    if (stillMissing.length > 0) {
      throw new Error(
        `the npm Chromium (${executablePath}) needs ${stillMissing.join(', ')}, found neither in the system nor in ${bundledLibs}`,
      );
    }
  }
  return { source: 'npm', executablePath, args, env, bundledLibs, missingSystemLibs, unpackMs };
}

function resolveSystemChromium(): Resolved | null {
  const executablePath = SYSTEM_CHROMIUM.find((p) => existsSync(p));
  if (!executablePath) return null;
  return {
    source: 'system',
    executablePath,
    args: ['--no-sandbox', '--disable-gpu'],
    env: undefined,
    bundledLibs: null,
    missingSystemLibs: [],
    unpackMs: 0,
  };
}

/** Launches headless Chromium (npm's, else the system's) with the extra flags; throws when there is none. */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<{ browser: Browser; info: ChromiumLaunchInfo }> {
  const resolved = (await resolveNpmChromium()) ?? resolveSystemChromium();
  if (!resolved) {
    throw new Error(
      `no Chromium: the devDependency @sparticuz/chromium is not installed (run \`npm ci\`) and none of ${SYSTEM_CHROMIUM.join(', ')} exists`,
    );
  }
  const t0 = performance.now();
  const browser = await chromium.launch({
    executablePath: resolved.executablePath,
    headless: true,
    args: [...resolved.args, ...extraArgs],
    ...(resolved.env ? { env: resolved.env } : {}),
  });
  const launchMs = performance.now() - t0;
  const { source, executablePath, bundledLibs, missingSystemLibs, unpackMs } = resolved;
  return { browser, info: { source, executablePath, bundledLibs, missingSystemLibs, unpackMs, launchMs } };
}

/** The fake-camera flags: Chromium plays `videoFile` (.y4m or .mjpeg, absolute path) as the camera and grants access. */
export function fakeCameraFlags(videoFile: string): string[] {
  if (!path.isAbsolute(videoFile)) throw new Error(`the fake camera file must be an absolute path: ${videoFile}`);
  return ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${videoFile}`];
}
