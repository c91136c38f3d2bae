/**
 * What the capture page sends to the liveness client API: the multipart body of
 * POST /liveness/api/attempts (public/liveness/app.js builds the same one). A null nonce leaves
 * the field out, for the tests of a missing nonce; timestamps are JSON-encoded as they are given,
 * so a test can send malformed ones.
 */
export function attemptForm(nonce: string | null, frames: readonly Buffer[], timestamps: unknown): FormData {
  const form = new FormData();
  if (nonce !== null) form.append('nonce', nonce);
  form.append('timestamps', JSON.stringify(timestamps));
  frames.forEach((f, i) => form.append('frame', new Blob([new Uint8Array(f)], { type: 'image/jpeg' }), `frame-${i}.jpg`));
  return form;
}
