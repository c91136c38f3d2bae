/**
 * The multipart/form-data body of POST /detectLivenessWithVerify-sessions (reference §4b): one
 * text part per field and one file part `verifyImage`. Parsed with busboy under hard limits
 * (parts, field sizes, one file of at most 6 MB), so a hostile client cannot make the server
 * buffer more than that. After the first violation nothing more is kept; the rest of the body
 * is read and dropped (bounded) so the client can still read the error.
 */
import type { Request, Response } from 'express';
import busboy from 'busboy';
import { AzureError, invalidMediaType, invalidRequestBody } from './errors.js';
import { discardBody, imageTooBig, mediaType, MAX_IMAGE_BYTES } from './body.js';

export interface MultipartForm {
  fields: Map<string, string>;
  /** The verifyImage part's bytes, or null when the form has none. */
  file: Buffer | null;
}

/** Text fields of the create form (with room for a few unknown ones, which are ignored). */
const MAX_FIELDS = 16;
/** The longest field value needed is deviceCorrelationId (≤ 64 characters). */
const MAX_FIELD_BYTES = 1024;
/** Multipart headers and text fields on top of the image. */
const ENVELOPE_BYTES = 64 * 1024;
/** Part names Azure's clients use for the image (v1.2 `verifyImage`; the previews' `VerifyImage`). */
const FILE_PARTS: ReadonlySet<string> = new Set(['verifyImage', 'VerifyImage']);

export async function readMultipartForm(req: Request, res: Response): Promise<MultipartForm> {
  if (mediaType(req) !== 'multipart/form-data') {
    await discardBody(req, res);
    throw invalidMediaType('multipart/form-data');
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_IMAGE_BYTES + ENVELOPE_BYTES) {
    await discardBody(req, res);
    throw imageTooBig();
  }

  let bb: busboy.Busboy;
  try {
    bb = busboy({
      headers: req.headers,
      limits: {
        fieldNameSize: 64,
        fieldSize: MAX_FIELD_BYTES,
        fields: MAX_FIELDS,
        // One more than allowed, so that "too many" is seen instead of silently dropped.
        files: 2,
        fileSize: MAX_IMAGE_BYTES,
        parts: MAX_FIELDS + 2,
        headerPairs: 16,
      },
    });
  } catch {
    await discardBody(req, res);
    throw invalidRequestBody('The multipart/form-data body has no valid boundary.');
  }

  return new Promise((resolve, reject) => {
    const fields = new Map<string, string>();
    let file: Buffer | null = null;
    let failure: AzureError | null = null;
    let settled = false;

    const settle = (err: AzureError | null): void => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve({ fields, file });
    };

    /** First violation wins: stop parsing, drop the rest of the body, answer once it has ended. */
    const fail = (err: AzureError): void => {
      if (failure) return;
      failure = err;
      file = null;
      req.unpipe(bb);
      bb.removeAllListeners();
      // busboy may still emit on a part stream it had open; nobody listens any more.
      bb.on('error', () => undefined);
      void discardBody(req, res).then(() => settle(err));
    };

    bb.on('field', (name, value, info) => {
      if (failure) return;
      if (info.nameTruncated || info.valueTruncated)
        return fail(invalidRequestBody(`The field ${JSON.stringify(name.slice(0, 64))} is too long.`));
      if (fields.has(name)) return fail(invalidRequestBody(`The field ${JSON.stringify(name)} was sent twice.`));
      fields.set(name, value);
    });
    bb.on('file', (name, stream) => {
      // An unhandled error on a part stream (truncated body) would crash the process.
      stream.on('error', () => fail(invalidRequestBody('The multipart/form-data body is malformed or truncated.')));
      if (failure) return void stream.resume();
      if (!FILE_PARTS.has(name)) {
        stream.resume();
        return fail(invalidRequestBody(`Unexpected file part ${JSON.stringify(name.slice(0, 64))}: the only file part is "verifyImage".`));
      }
      if (file !== null) {
        stream.resume();
        return fail(invalidRequestBody('Only one verifyImage can be sent.'));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        if (failure) return;
        size += chunk.length;
        chunks.push(chunk);
      });
      stream.on('limit', () => fail(imageTooBig()));
      stream.on('end', () => {
        if (!failure) file = Buffer.concat(chunks, size);
      });
      // Marks the slot taken while the part streams in.
      file = Buffer.alloc(0);
    });
    bb.on('filesLimit', () => fail(invalidRequestBody('Only one verifyImage can be sent.')));
    bb.on('fieldsLimit', () => fail(invalidRequestBody('Too many fields in the multipart/form-data body.')));
    bb.on('partsLimit', () => fail(invalidRequestBody('Too many parts in the multipart/form-data body.')));
    bb.on('error', () => fail(invalidRequestBody('The multipart/form-data body is malformed.')));
    bb.on('close', () => {
      if (!failure) settle(null);
    });
    req.on('aborted', () => fail(invalidRequestBody('The upload was interrupted.')));
    req.on('error', () => fail(invalidRequestBody('The upload was interrupted.')));
    req.pipe(bb);
  });
}
