/**
 * POST /graphql with `Content-Type: multipart/form-data`: the GraphQL multipart request spec
 * (https://github.com/jaydenseric/graphql-multipart-request-spec): a field `operations` (the
 * usual JSON request with `null` where files go), a field `map` (file part name -> paths into
 * `operations`), then the file parts. Parsed with busboy into `req.body`, with each mapped
 * `null` replaced by a FilePart (the `Upload` scalar's value); Apollo then runs the request as
 * if it had been JSON.
 *
 * The whole body is read before Apollo runs anything, as every other body is (api/server.ts):
 * a client trickling its upload holds a connection, never an engine worker. Memory is bounded
 * while reading: a file's bytes are kept up to the image limit (ImageLoader's maxBytes, the rule
 * every image path shares) and dropped past it, only counted, so the loader answers
 * IMAGE_TOO_LARGE with the real size; at most MAX_FILES files; the JSON fields at most 1 MB each.
 * A body that breaks the envelope (malformed, too many parts, a bad map) is refused whole with
 * BAD_REQUEST (400) or REQUEST_TOO_LARGE (413) and the rest of it is dropped, bounded.
 *
 * Why not graphql-upload: its current major (18) needs graphql 17 and Node 22; 17.x writes every
 * file to a temporary file on disk (fs-capacitor) and starts the operation before the files have
 * arrived. Here the engine needs the bytes in memory anyway, and busboy is already what the REST
 * surface parses its multipart bodies with.
 */
import type { IncomingMessage } from 'node:http';
import type { RequestHandler, Response } from 'express';
import busboy from 'busboy';
import { drainBody, MAX_DRAIN_BYTES } from '../shared/request-body.js';
import { noteAnsweredError } from '../shared/observe.js';
import { FilePart } from './upload-scalar.js';

/** identifyFaces, the input with the most images, takes 10. */
export const MAX_FILES = 10;
/** `operations` and `map` are small JSON documents: the images travel as file parts. */
const MAX_FIELD_BYTES = 1024 * 1024;
/** Part headers and boundaries on top of the files and the two fields. */
const ENVELOPE_BYTES = 2 * MAX_FIELD_BYTES + 64 * 1024;
/**
 * Apollo's default CSRF-prevention headers (csrfPrevention: true in api/server.ts). Without one
 * Apollo refuses a multipart request, so its body is not parsed first. If this list and Apollo's
 * ever differed, Apollo would still decide: an unparsed body reaches it empty and is refused.
 */
const PREFLIGHT_HEADERS = ['apollo-require-preflight', 'x-apollo-operation-name'];

/** A multipart body refused as a whole, before any operation runs. */
class Refusal extends Error {
  constructor(
    readonly status: 400 | 413,
    readonly code: 'BAD_REQUEST' | 'REQUEST_TOO_LARGE',
    message: string,
  ) {
    super(message);
  }
}

const malformed = (message: string): Refusal => new Refusal(400, 'BAD_REQUEST', message);
const tooLarge = (message: string): Refusal => new Refusal(413, 'REQUEST_TOO_LARGE', message);

const isMultipart = (req: IncomingMessage): boolean =>
  (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase() === 'multipart/form-data';

const hasPreflightHeader = (req: IncomingMessage): boolean =>
  PREFLIGHT_HEADERS.some((name) => {
    const value = req.headers[name];
    return typeof value === 'string' && value.length > 0;
  });

/** Parses multipart GraphQL requests into `req.body`; passes every other request on untouched. */
export function multipartRequests(maxFileBytes: number): RequestHandler {
  const maxBodyBytes = MAX_FILES * maxFileBytes + ENVELOPE_BYTES;
  return (req, res, next) => {
    if (req.method !== 'POST' || !isMultipart(req)) return next();
    if (!hasPreflightHeader(req)) {
      // Apollo's CSRF check refuses it (400 BAD_REQUEST); the body is dropped unread, bounded.
      res.setHeader('Connection', 'close');
      void drainBody(req);
      req.body = {};
      return next();
    }
    readMultipart(req, res, maxFileBytes, maxBodyBytes).then(
      (operations) => {
        req.body = operations;
        next();
      },
      (err: unknown) => {
        if (!(err instanceof Refusal)) return next(err);
        noteAnsweredError(res, err.code);
        res.status(err.status).json({ errors: [{ message: err.message, extensions: { code: err.code } }] });
      },
    );
  };
}

function readMultipart(req: IncomingMessage, res: Response, maxFileBytes: number, maxBodyBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  // A function, not a value: an Error captures a stack trace, which every request would pay for.
  const overall = (): Refusal =>
    tooLarge(
      `A multipart request is limited to ${MAX_FILES} files of ${maxFileBytes} bytes and ${MAX_FIELD_BYTES}-byte operations and map fields (${maxBodyBytes} bytes in all).`,
    );
  if (Number.isFinite(declared) && declared > maxBodyBytes) return dropRest(req, res).then(() => Promise.reject(overall()));

  let bb: busboy.Busboy;
  try {
    bb = busboy({
      headers: req.headers,
      limits: {
        fieldNameSize: 100,
        fieldSize: MAX_FIELD_BYTES,
        fields: 2,
        files: MAX_FILES,
        // busboy emits partsLimit when the parts-th part ENDS (files and fields fire when one too
        // many starts): operations + map + MAX_FILES files is MAX_FILES + 2 legal parts, so the
        // limit is one above, or the last legal file would be refused.
        parts: MAX_FILES + 3,
        headerPairs: 16,
      },
    });
  } catch {
    return dropRest(req, res).then(() => Promise.reject(malformed('The multipart/form-data body has no valid boundary.')));
  }

  return new Promise((resolve, reject) => {
    let operations: unknown;
    let map: Map<string, string[]> | null = null;
    const files = new Map<string, FilePart>();
    const seen = new Set<string>();
    let received = 0;
    let failed = false;

    /** First refusal wins: stop parsing, drop the rest of the body, then answer. */
    const fail = (refusal: Refusal): void => {
      if (failed) return;
      failed = true;
      req.unpipe(bb);
      bb.removeAllListeners();
      // busboy may still emit on a part stream it had open; nobody listens any more.
      bb.on('error', () => undefined);
      void dropRest(req, res).then(() => reject(refusal));
    };
    const attempt = (step: () => void): void => {
      try {
        step();
      } catch (err) {
        if (err instanceof Refusal) fail(err);
        else throw err;
      }
    };

    bb.on('field', (name, value, info) =>
      attempt(() => {
        if (info.valueTruncated) throw tooLarge(`The ${name} field is over ${MAX_FIELD_BYTES} bytes.`);
        if (name === 'operations' && operations === undefined) operations = parseJson(value, 'operations');
        else if (name === 'map' && operations !== undefined && map === null) map = parseMap(value);
        else throw malformed(`Unexpected field "${name.slice(0, 100)}": the fields are operations, then map, then the file parts.`);
      }),
    );
    bb.on('file', (name, stream) => {
      // An unhandled error on a part stream (a truncated body) would crash the process.
      stream.on('error', () => fail(malformed('The multipart/form-data body is malformed or truncated.')));
      if (failed) return void stream.resume();
      if (map === null) {
        stream.resume();
        return fail(malformed('File parts must come after the operations and map fields.'));
      }
      if (seen.has(name)) {
        stream.resume();
        return fail(malformed(`The file part "${name.slice(0, 100)}" was sent twice.`));
      }
      seen.add(name);
      // A part the map does not name is read and dropped, as the spec allows.
      if (!map.has(name)) return void stream.resume();
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // Over the limit nothing more is kept; the size is still counted for the error message.
        if (size <= maxFileBytes) chunks.push(chunk);
        else chunks.length = 0;
      });
      stream.on('end', () => files.set(name, new FilePart(size, size <= maxFileBytes ? Buffer.concat(chunks, size) : null)));
    });
    bb.on('filesLimit', () => fail(tooLarge(`At most ${MAX_FILES} files per request.`)));
    bb.on('fieldsLimit', () => fail(malformed('Too many fields: a multipart GraphQL request has only operations and map.')));
    bb.on('partsLimit', () => fail(tooLarge(`At most ${MAX_FILES} files per request.`)));
    bb.on('error', (err: Error) => fail(malformed(`The multipart/form-data body is malformed: ${err.message}.`)));
    // busboy closes once every part, file streams included, has been read.
    bb.on('close', () => attempt(() => resolve(withFiles(operations, map, files))));
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBodyBytes) fail(overall());
    });
    req.on('aborted', () => fail(malformed('The upload was interrupted.')));
    req.on('error', () => fail(malformed('The upload was interrupted.')));
    req.pipe(bb);
  });
}

/**
 * Reads and drops the rest of a refused body (bounded), so a client still uploading can read the
 * answer, and closes the connection afterwards. A body declared larger than the bound would be
 * cut off unanswered: it is not read, the answer goes out at once.
 */
function dropRest(req: IncomingMessage, res: Response): Promise<void> {
  res.setHeader('Connection', 'close');
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_DRAIN_BYTES) return Promise.resolve();
  return drainBody(req);
}

function parseJson(text: string, field: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw malformed(`The ${field} field is not valid JSON.`);
  }
}

const isPathList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.length > 0 && value.every((p) => typeof p === 'string');

function parseMap(text: string): Map<string, string[]> {
  const value = parseJson(text, 'map');
  // A function, not a value: a refusal built up front would capture a stack trace every request.
  const invalid = (): Refusal => malformed('The map field must be a JSON object of file part name -> array of paths into operations.');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid();
  const map = new Map<string, string[]>();
  for (const [part, paths] of Object.entries(value as Record<string, unknown>)) {
    if (!isPathList(paths)) throw invalid();
    map.set(part, paths);
  }
  return map;
}

/** `operations` with every path of `map` set to its file. Each path must end at a `null`. */
function withFiles(operations: unknown, map: Map<string, string[]> | null, files: Map<string, FilePart>): unknown {
  if (operations === undefined || map === null) throw malformed('A multipart GraphQL request needs the operations and map fields.');
  for (const [part, paths] of map) {
    const file = files.get(part);
    if (!file) throw malformed(`The map names the file part "${part.slice(0, 100)}", which the request does not have.`);
    for (const path of paths) setNull(operations, path, file);
  }
  return operations;
}

/**
 * Replaces the `null` at a dotted path ("variables.image.file", "variables.faces.0.image.file").
 * Own properties only, so a path cannot reach an object's prototype.
 */
function setNull(root: unknown, path: string, file: FilePart): void {
  const keys = path.split('.');
  const last = keys.pop()!;
  let node = root;
  for (const key of keys) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) throw notANull(path);
    node = (node as Record<string, unknown>)[key];
  }
  if (typeof node !== 'object' || node === null || !Object.hasOwn(node, last) || (node as Record<string, unknown>)[last] !== null) {
    throw notANull(path);
  }
  (node as Record<string, unknown>)[last] = file;
}

const notANull = (path: string): Refusal =>
  malformed(`The map path "${path.slice(0, 200)}" does not lead to a null in operations (where a file goes).`);
