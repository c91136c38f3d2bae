/** Small helpers shared by the hand-read request bodies (liveness uploads, the REST surface). */
import type { IncomingMessage } from 'node:http';

/** Bytes of an unwanted request body read and dropped before the connection is simply closed. */
export const MAX_DRAIN_BYTES = 32 * 1024 * 1024;

/** Liveness session image ids as facegraph and Azure issue them (base64url), with room. */
export const SESSION_IMAGE_ID = /^[A-Za-z0-9_-]{16,64}$/;

/**
 * Reads and drops what is left of the request body, bounded, so a client still uploading
 * receives the error instead of a reset connection. Past the bound the connection is cut.
 * Resolves when the body has ended or the connection is gone; never rejects.
 */
export function drainBody(req: IncomingMessage, maxBytes = MAX_DRAIN_BYTES): Promise<void> {
  if (req.readableEnded || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    req.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > maxBytes) {
        req.destroy();
        resolve();
      }
    });
    req.once('end', () => resolve());
    req.once('close', () => resolve());
    req.once('error', () => resolve());
    req.resume();
  });
}
