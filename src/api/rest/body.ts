/**
 * Request bodies of the REST surface, read by hand under hard limits (no body parser is mounted
 * in front of /face): image bytes up to 6 MB, small JSON documents. Over a limit nothing more is
 * kept, but the rest of the body is read and dropped (up to a bound, then the connection is
 * cut) so a client still uploading receives Azure's error instead of a reset connection.
 */
import type { IncomingMessage } from 'node:http';
import type { Request, Response } from 'express';
import { DEFAULT_IMAGE_LIMITS } from '../../app/images.js';
import { drainBody, MAX_DRAIN_BYTES } from '../shared/request-body.js';
import { AzureError, badArgument, invalidMediaType, jsonParsingError } from './errors.js';

/** Azure's image limit is 6 MB; one byte more is what tells "too big" from "exactly 6 MB". */
export const MAX_IMAGE_BYTES = DEFAULT_IMAGE_LIMITS.maxBytes;
/** 1000 faceIds (findsimilars, group) are about 40 KB of JSON. */
export const MAX_JSON_BYTES = 256 * 1024;

export const imageTooBig = (): AzureError =>
  new AzureError(400, 'InvalidImageSize', 'Image size is too big.', {
    code: 'IMAGE_TOO_LARGE',
    message: `The image is larger than the maximum of ${MAX_IMAGE_BYTES} bytes (6 MB).`,
  });

const jsonTooBig = (): AzureError =>
  badArgument('Request body is too large.', { code: 'INVALID_ARGUMENT', message: `JSON bodies are limited to ${MAX_JSON_BYTES} bytes.` });

/** The media type of the request, lower case, without parameters ('' when absent). */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * Reads and drops what is left of the body (bounded, see drainBody). Sets `Connection: close`
 * so the socket is not reused after a refusal. A body declared larger than the bound is not read.
 */
export function discardBody(req: IncomingMessage, res: Response): Promise<void> {
  if (!res.headersSent) res.setHeader('Connection', 'close');
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_DRAIN_BYTES) return Promise.resolve();
  return drainBody(req);
}

/**
 * The whole body, at most `limit` bytes; over it, rejects with `tooLarge()` once the rest has
 * been discarded. A body whose declared length is already over the limit is not read at all.
 */
export function readBody(req: Request, res: Response, limit: number, tooLarge: () => AzureError): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return discardBody(req, res).then(() => Promise.reject(tooLarge()));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        req.off('data', onData);
        void discardBody(req, res).then(() => reject(tooLarge()));
        return;
      }
      chunks.push(chunk);
    };
    let ended = false;
    const interrupted = (): void => {
      if (!over && !ended) reject(badArgument('The request body was interrupted.'));
    };
    req.on('data', onData);
    req.once('end', () => {
      ended = true;
      if (!over) resolve(Buffer.concat(chunks, size));
    });
    // A client that goes away mid-body: settle (nobody will read the answer) so nothing leaks.
    req.once('error', interrupted);
    req.once('aborted', interrupted);
    req.once('close', interrupted);
  });
}

/** Image bytes of an `application/octet-stream` body (1 KB minimum checked by the caller's loader). */
export function readImageBody(req: Request, res: Response): Promise<Buffer> {
  return readBody(req, res, MAX_IMAGE_BYTES, imageTooBig);
}

/**
 * A JSON object body. 415 for another Content-Type (the rest of the body is dropped), Azure's
 * "JSON parsing error." for malformed JSON, "Request body is invalid." for an empty body or a
 * non-object.
 */
export async function readJsonObject(req: Request, res: Response): Promise<Record<string, unknown>> {
  if (mediaType(req) !== 'application/json') {
    await discardBody(req, res);
    throw invalidMediaType('application/json');
  }
  return readJson(req, res);
}

/** The body parsed as a JSON object, whatever its declared type (the caller has checked it). */
export async function readJson(req: Request, res: Response): Promise<Record<string, unknown>> {
  return parseJsonObject(await readBody(req, res, MAX_JSON_BYTES, jsonTooBig));
}

export function parseJsonObject(bytes: Buffer): Record<string, unknown> {
  const text = bytes.toString('utf8');
  if (text.trim() === '') throw badArgument('Request body is invalid.');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw jsonParsingError();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badArgument('Request body is invalid.');
  return value as Record<string, unknown>;
}
