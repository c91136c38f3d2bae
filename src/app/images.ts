/**
 * Turns the GraphQL `ImageInput` (exactly one of `url` / `base64` / `file`) into image bytes,
 * enforcing the Azure Face size limits (1 KB .. 6 MB) on every path.
 */
import { createHash } from 'node:crypto';
import { FaceError } from '../domain/errors.js';
import type { FetchPolicy, ImageFetcher } from '../ports/image-fetcher.js';

/**
 * An image file that arrived as a part of the request (a GraphQL multipart upload). The edge
 * reads it under `ImageLimits.maxBytes` and keeps nothing past that limit.
 */
export interface UploadedImage {
  /** Bytes the part held (counted to the end even when they were not kept). */
  readonly size: number;
  /** The bytes; null when the part was over the limit. */
  readonly bytes: Buffer | null;
}

export interface ImageInputArg {
  url?: string | null;
  base64?: string | null;
  file?: UploadedImage | null;
}

export interface ImageLimits {
  minBytes: number;
  maxBytes: number;
}

/** Azure Face: "The allowed image file size is from 1KB to 6MB." */
export const DEFAULT_IMAGE_LIMITS: Readonly<ImageLimits> = Object.freeze({
  minBytes: 1024,
  maxBytes: 6 * 1024 * 1024,
});

// `data:image/png;base64,` and variants with parameters (`data:image/jpeg;name=a.jpg;base64,`).
const DATA_URL_PREFIX = /^data:image\/[a-z0-9.+-]+(?:;[a-z0-9.+-]+=[^;,]*)*;base64,/i;
/** Character classes of the two base64 alphabets, by char code (0: neither). */
const STANDARD = 1;
const URL_SAFE = 2;
const ALPHABET = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789') ALPHABET[c.charCodeAt(0)] = STANDARD | URL_SAFE;
ALPHABET['+'.charCodeAt(0)] = STANDARD;
ALPHABET['/'.charCodeAt(0)] = STANDARD;
ALPHABET['-'.charCodeAt(0)] = URL_SAFE;
ALPHABET['_'.charCodeAt(0)] = URL_SAFE;
const EQUALS = '='.charCodeAt(0);

/**
 * Length of the data part (before "=" padding) if `text` is one alphabet throughout (standard
 * or URL-safe, never mixed) with at most two "=" only at the end; -1 otherwise. One pass over
 * char codes: a 6 MB image is 8 MB of text, and regular expressions over it cost several ms.
 */
function base64DataLength(text: string): number {
  let padding = 0;
  while (padding < 2 && text.charCodeAt(text.length - 1 - padding) === EQUALS) padding++;
  const end = text.length - padding;
  let allowed = STANDARD | URL_SAFE;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    allowed &= code < 128 ? ALPHABET[code]! : 0;
    if (allowed === 0) return -1;
  }
  return end;
}

function isNonEmpty(value: string | null | undefined): value is string {
  return typeof value === 'string' && value.length > 0;
}

function invalidBase64(reason: string): FaceError {
  return new FaceError('INVALID_BASE64', `The base64 field is not valid base64: ${reason}.`);
}

/**
 * Validates strictly before decoding because Buffer.from(…, 'base64') silently skips invalid
 * characters and truncates at bad padding, which would turn garbage into "some bytes".
 * Returns the cleaned base64 text (no prefix, no whitespace).
 */
function cleanBase64(input: string): string {
  const text = input.trim().replace(DATA_URL_PREFIX, '').replace(/\s+/g, '');
  if (text.length === 0) throw invalidBase64('it contains no data');
  const dataLength = base64DataLength(text);
  if (dataLength < 0) {
    throw invalidBase64('it contains characters outside the base64 alphabet or misplaced "=" padding');
  }
  const padded = dataLength < text.length;
  // Padded input must be a whole number of 4-char groups; unpadded input may omit the padding
  // but a group can never hold a single character (that would be 6 bits, not a byte).
  if ((padded && text.length % 4 !== 0) || dataLength % 4 === 1) {
    throw invalidBase64('its length or "=" padding is wrong');
  }
  return text;
}

/** Exact decoded length of validated base64 text, computed without decoding. */
function decodedLength(clean: string): number {
  let dataLength = clean.length;
  while (dataLength > 0 && clean.charCodeAt(dataLength - 1) === EQUALS) dataLength--;
  return Math.floor((dataLength * 3) / 4);
}

function decodeBase64(input: string, maxBytes: number): Buffer {
  const clean = cleanBase64(input);
  const size = decodedLength(clean);
  if (size > maxBytes) throw tooLarge(size, maxBytes);
  // Node's 'base64' decoder accepts both the standard and the URL-safe alphabet.
  return Buffer.from(clean, 'base64');
}

/** "6291456 bytes (6 MB)": exact for machines, readable for people. */
function describeBytes(n: number): string {
  const MB = 1024 * 1024;
  if (n >= MB && n % MB === 0) return `${n} bytes (${n / MB} MB)`;
  if (n >= 1024 && n % 1024 === 0) return `${n} bytes (${n / 1024} KB)`;
  return `${n} bytes`;
}

function tooLarge(size: number, maxBytes: number): FaceError {
  return new FaceError('IMAGE_TOO_LARGE', `The image is too large (${size} bytes); the maximum is ${describeBytes(maxBytes)}.`, {
    size,
    maxBytes,
  });
}

/** The 1 KB .. 6 MB rule, for bytes however they arrived (base64, URL, request body, form part). */
export function enforceImageSize(bytes: Buffer, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): Buffer {
  if (bytes.length < limits.minBytes) {
    throw new FaceError(
      'IMAGE_TOO_SMALL',
      `The image is too small (${bytes.length} bytes); the minimum is ${describeBytes(limits.minBytes)}.`,
      { size: bytes.length, minBytes: limits.minBytes },
    );
  }
  if (bytes.length > limits.maxBytes) throw tooLarge(bytes.length, limits.maxBytes);
  return bytes;
}

function invalidInput(got: string): FaceError {
  return new FaceError('INVALID_IMAGE_INPUT', `Provide exactly one of url, base64 or file in the image input (got ${got}).`);
}

/**
 * Loads the image bytes from exactly one of `url` / `base64` / `file`. Throws FaceError with
 * INVALID_IMAGE_INPUT, INVALID_BASE64, IMAGE_TOO_SMALL, IMAGE_TOO_LARGE or any fetchImage code.
 */
export async function loadImageBytes(
  input: ImageInputArg,
  limits: ImageLimits,
  policy: FetchPolicy,
  fetchImage: ImageFetcher,
): Promise<Buffer> {
  const url = isNonEmpty(input.url) ? input.url : undefined;
  const base64 = isNonEmpty(input.base64) ? input.base64 : undefined;
  const file = input.file ?? undefined;
  const given = [url !== undefined && 'url', base64 !== undefined && 'base64', file !== undefined && 'file'].filter(Boolean);
  if (given.length > 1) throw invalidInput(given.join(' and '));
  if (file !== undefined) {
    if (file.bytes === null || file.size > limits.maxBytes) throw tooLarge(file.size, limits.maxBytes);
    return enforceImageSize(file.bytes, limits);
  }
  if (base64 !== undefined) return enforceImageSize(decodeBase64(base64, limits.maxBytes), limits);
  if (url === undefined) throw invalidInput('neither');

  // The download must never buffer more than the image limit, whatever the policy says.
  const maxBytes = Math.min(policy.maxBytes, limits.maxBytes);
  const bytes = await fetchImage(url, { ...policy, maxBytes });
  return enforceImageSize(bytes, limits);
}

/** Image input -> bytes under one size limit and one download policy: what both edges use. */
export class ImageLoader {
  constructor(
    readonly limits: ImageLimits,
    private readonly policy: FetchPolicy,
    private readonly fetchImage: ImageFetcher,
  ) {}

  /** Exactly one of url / base64 / file -> bytes (see loadImageBytes). */
  load(input: ImageInputArg): Promise<Buffer> {
    return loadImageBytes(input, this.limits, this.policy, this.fetchImage);
  }

  /** The size rule for bytes that arrived some other way (request body, form part). */
  enforceSize(bytes: Buffer): Buffer {
    return enforceImageSize(bytes, this.limits);
  }
}

/** sha256 hex of the bytes: a stable key for DataLoader / caches. */
export function contentHash(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
