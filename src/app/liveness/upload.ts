/**
 * The client's attempt upload: multipart/form-data with text fields `nonce`, `timestamps` (JSON
 * array of ms offsets, one per frame) and optionally `deviceCorrelationId`, and 10–120 JPEG file
 * parts named `frame`, in capture order.
 *
 * Parsed with busboy under hard limits (part count, field sizes, bytes per frame, bytes in all),
 * so a hostile client cannot make the server buffer more than FRAME_LIMITS.maxTotalBytes. After
 * the first violation nothing more is kept: the rest of the body is read and discarded (up to a
 * cap, then the connection is cut) so the client can still read the error response.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import sharp from 'sharp';
import { FaceError } from '../../domain/errors.js';

/** The frame contract, as announced to the client by GET /liveness/api/session. */
/**
 * Sized for the longest attempt: the light sequence (≤ 10 × 500 ms = 5 s, filmed at ~10 fps:
 * ≤ 50 frames), a 0.5 s pause, and four motion steps (≤ 4 × 3 s = 12 s, at ~5 fps: ≤ 60 frames)
 * = 17.5 s and ~110 frames. 40 MB is ~340 KB per frame at 120 frames (a 640×480 JPEG at quality
 * 0.85 is 40–100 KB).
 */
export const FRAME_LIMITS = Object.freeze({
  min: 10,
  max: 120,
  /** Last timestamp minus first. */
  maxDurationMs: 18_000,
  maxFrameBytes: 2 * 1024 * 1024,
  /** All frames together. */
  maxTotalBytes: 40 * 1024 * 1024,
  /** width x height of one frame (1920x1080); every frame must have the same size. */
  maxFramePixels: 1920 * 1080,
});

/** Room for multipart headers and the text fields on top of the frames. */
const ENVELOPE_BYTES = 256 * 1024;
/** Bytes discarded after a violation before the connection is simply closed. */
const MAX_DISCARD_BYTES = 64 * 1024 * 1024;
const MAX_NONCE_CHARS = 256;

export interface AttemptUpload {
  nonce: string;
  /** Client offsets, ms, non-decreasing; t[0] is not necessarily 0. */
  timestamps: number[];
  frames: Buffer[];
  /** Width and height of every frame after EXIF orientation. */
  width: number;
  height: number;
  deviceCorrelationId: string | null;
}

const invalid = (message: string, details: Record<string, unknown> = {}): FaceError => new FaceError('INVALID_FRAMES', message, details);
const tooLarge = (message: string): FaceError =>
  new FaceError('FRAMES_TOO_LARGE', message, { maxFrameBytes: FRAME_LIMITS.maxFrameBytes, maxTotalBytes: FRAME_LIMITS.maxTotalBytes });

/** Refuses before reading the body when the declared length is already too much. */
export function checkDeclaredLength(headers: IncomingHttpHeaders): void {
  const type = headers['content-type'] ?? '';
  if (!/^multipart\/form-data\s*;/i.test(type)) {
    throw invalid('The attempt must be sent as multipart/form-data (fields nonce and timestamps, file parts named frame).');
  }
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > FRAME_LIMITS.maxTotalBytes + ENVELOPE_BYTES) {
    throw tooLarge(`The upload is ${declared} bytes; at most ${FRAME_LIMITS.maxTotalBytes} bytes of frames are accepted.`);
  }
}

/**
 * Reads the multipart body. Rejects with INVALID_FRAMES or FRAMES_TOO_LARGE after the request
 * has been consumed (or destroyed when it would not end within MAX_DISCARD_BYTES).
 */
export function readAttemptUpload(req: Readable, headers: IncomingHttpHeaders): Promise<Omit<AttemptUpload, 'width' | 'height'>> {
  checkDeclaredLength(headers);
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers,
        limits: {
          fieldNameSize: 64,
          fieldSize: 8 * 1024,
          fields: 8,
          // One more than allowed, so that "too many" is seen instead of silently dropped.
          files: FRAME_LIMITS.max + 1,
          fileSize: FRAME_LIMITS.maxFrameBytes,
          parts: FRAME_LIMITS.max + 12,
          headerPairs: 16,
        },
      });
    } catch {
      reject(invalid('The multipart/form-data body has no valid boundary.'));
      return;
    }

    const fields = new Map<string, string>();
    const frames: Buffer[] = [];
    let total = 0;
    let failure: FaceError | null = null;
    let settled = false;

    const settle = (err: FaceError | null): void => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else {
        resolve({
          nonce: fields.get('nonce') ?? '',
          timestamps: parseTimestamps(fields.get('timestamps')),
          frames,
          deviceCorrelationId: fields.get('deviceCorrelationId') ?? null,
        });
      }
    };

    /** First violation wins; stop keeping bytes, drain the rest, answer when the body has ended. */
    const fail = (err: FaceError): void => {
      if (failure) return;
      failure = err;
      frames.length = 0;
      req.unpipe(bb);
      bb.removeAllListeners();
      bb.on('error', () => undefined);
      let discarded = 0;
      req.on('data', (chunk: Buffer) => {
        discarded += chunk.length;
        if (discarded > MAX_DISCARD_BYTES) req.destroy();
      });
      req.resume();
      if (req.readableEnded) settle(err);
      else {
        req.once('end', () => settle(err));
        req.once('close', () => settle(err));
      }
    };

    bb.on('field', (name, value, info) => {
      if (info.nameTruncated || info.valueTruncated) return fail(invalid(`The field ${JSON.stringify(name.slice(0, 64))} is too long.`));
      if (fields.has(name)) return fail(invalid(`The field ${JSON.stringify(name)} was sent twice.`));
      fields.set(name, value);
    });
    bb.on('file', (name, stream, _info) => {
      // busboy reports a truncated part on the part's stream too; unhandled it would crash the process.
      stream.on('error', () => fail(invalid('The multipart/form-data body is malformed or truncated.')));
      if (failure) return void stream.resume();
      if (name !== 'frame') {
        stream.resume();
        return fail(invalid(`Unexpected file part ${JSON.stringify(name.slice(0, 64))}: frames must be file parts named "frame".`));
      }
      const index = frames.length;
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        if (failure) return;
        size += chunk.length;
        total += chunk.length;
        if (total > FRAME_LIMITS.maxTotalBytes) return fail(tooLarge(`The frames exceed ${FRAME_LIMITS.maxTotalBytes} bytes in all.`));
        chunks.push(chunk);
      });
      stream.on('limit', () => fail(tooLarge(`Frame ${index + 1} is over ${FRAME_LIMITS.maxFrameBytes} bytes (2 MB).`)));
      stream.on('end', () => {
        if (!failure) frames[index] = Buffer.concat(chunks, size);
      });
      // Reserve the slot now so frames stay in part order.
      frames.push(Buffer.alloc(0));
    });
    bb.on('filesLimit', () => fail(invalid(`Too many frames: at most ${FRAME_LIMITS.max}.`)));
    bb.on('fieldsLimit', () => fail(invalid('Too many text fields.')));
    bb.on('partsLimit', () => fail(invalid('Too many parts in the multipart body.')));
    bb.on('error', () => fail(invalid('The multipart/form-data body is malformed.')));
    bb.on('close', () => {
      if (!failure) settle(null);
    });
    req.on('aborted', () => fail(invalid('The upload was interrupted.')));
    req.on('error', () => fail(invalid('The upload was interrupted.')));
    req.pipe(bb);
  });
}

function parseTimestamps(raw: string | undefined): number[] {
  if (raw === undefined) return [];
  try {
    const value: unknown = JSON.parse(raw);
    return Array.isArray(value) ? (value as number[]) : [];
  } catch {
    return [Number.NaN];
  }
}

/**
 * The checks that need the whole upload: nonce present, frame count, timestamps, JPEG
 * signature, readable header, size limits and one frame size for all. Header reads only; no
 * pixels are decoded here.
 */
export async function validateAttemptUpload(upload: Omit<AttemptUpload, 'width' | 'height'>): Promise<AttemptUpload> {
  const { frames, timestamps } = upload;
  if (!upload.nonce || upload.nonce.length > MAX_NONCE_CHARS) {
    throw new FaceError('INVALID_NONCE', 'The nonce field is missing: send the nonce of the challenge from GET /liveness/api/session.');
  }
  if (frames.length < FRAME_LIMITS.min || frames.length > FRAME_LIMITS.max) {
    throw invalid(`Send ${FRAME_LIMITS.min}–${FRAME_LIMITS.max} frames (file parts named "frame"); got ${frames.length}.`, {
      frameCount: frames.length,
    });
  }
  if (timestamps.length !== frames.length) {
    throw invalid(`timestamps must be a JSON array with one number per frame: ${frames.length} frames, ${timestamps.length} timestamps.`);
  }
  for (let i = 0; i < timestamps.length; i++) {
    const t = timestamps[i];
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0)
      throw invalid(`timestamps[${i}] must be a non-negative number of milliseconds.`);
    if (i > 0 && t < timestamps[i - 1]!) throw invalid(`timestamps must not decrease (timestamps[${i}] < timestamps[${i - 1}]).`);
  }
  const span = timestamps[timestamps.length - 1]! - timestamps[0]!;
  if (span > FRAME_LIMITS.maxDurationMs) {
    throw invalid(`The frames span ${span} ms; at most ${FRAME_LIMITS.maxDurationMs} ms is accepted.`);
  }
  let size: { width: number; height: number } | null = null;
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i]!;
    if (frame.length < 3 || frame[0] !== 0xff || frame[1] !== 0xd8 || frame[2] !== 0xff) {
      throw invalid(`Frame ${i + 1} is not a JPEG.`, { frame: i + 1 });
    }
    const dims = await orientedSize(frame);
    if (!dims) throw invalid(`Frame ${i + 1} is not a readable JPEG.`, { frame: i + 1 });
    if (dims.width * dims.height > FRAME_LIMITS.maxFramePixels) {
      throw invalid(
        `Frame ${i + 1} is ${dims.width}x${dims.height}; at most ${FRAME_LIMITS.maxFramePixels} pixels (1920x1080) per frame.`,
        { frame: i + 1 },
      );
    }
    if (size && (size.width !== dims.width || size.height !== dims.height)) {
      throw invalid(
        `Frame ${i + 1} is ${dims.width}x${dims.height} but frame 1 is ${size.width}x${size.height}: all frames must have one size.`,
        { frame: i + 1 },
      );
    }
    size = dims;
  }
  return { ...upload, width: size!.width, height: size!.height };
}

/** JPEG header dimensions after EXIF orientation (as the engine decodes them), or null. */
async function orientedSize(jpeg: Buffer): Promise<{ width: number; height: number } | null> {
  try {
    const meta = await sharp(jpeg, { limitInputPixels: FRAME_LIMITS.maxFramePixels * 64 }).metadata();
    if (meta.format !== 'jpeg' || !meta.width || !meta.height) return null;
    const swap = (meta.orientation ?? 1) >= 5;
    return swap ? { width: meta.height, height: meta.width } : { width: meta.width, height: meta.height };
  } catch {
    return null;
  }
}
