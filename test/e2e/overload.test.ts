/**
 * Back-pressure and shutdown on the real engine: a full queue answers OVERLOADED with a retry
 * hint and the service recovers; stopping lets in-flight requests finish.
 */
import { describe, expect, it } from 'vitest';
import { faceBase64, manifest } from '../helpers/paths.js';
import { startTestServer } from '../helpers/server.js';

const DETECT = `query($b: String) { detectFaces(image: { base64: $b }) { faceRectangle { width } } }`;

describe('bounded engine queue', () => {
  it('answers OVERLOADED with retryAfterSeconds when full, then serves again', async () => {
    // One worker and room for one waiting image: a burst of distinct images must overflow.
    const server = await startTestServer({ FACEGRAPH_WORKERS: '1', FACEGRAPH_MAX_QUEUE: '1' });
    try {
      const files = manifest().map((m) => m.file).slice(0, 10);
      const results = await Promise.all(files.map((f) => server.gql(DETECT, { b: faceBase64(f) })));
      const overloaded = results.filter((r) => r.errors?.[0]?.extensions?.code === 'OVERLOADED');
      const served = results.filter((r) => !r.errors);
      expect(overloaded.length).toBeGreaterThan(0);
      expect(served.length).toBeGreaterThan(0);
      expect(overloaded.length + served.length).toBe(files.length);
      for (const r of overloaded) {
        expect(r.errors![0]!.extensions!.retryAfterSeconds).toBeGreaterThanOrEqual(1);
        expect(r.errors![0]!.message).toMatch(/retry/i);
      }
      const after = await server.gql<{ detectFaces: unknown[] }>(DETECT, { b: faceBase64('people/obama/1.jpg') });
      expect(after.errors).toBeUndefined();
      expect(after.data!.detectFaces).toHaveLength(1);
    } finally {
      await server.stop();
    }
  });
});

describe('graceful shutdown', () => {
  it('finishes in-flight requests, then refuses new connections', async () => {
    const server = await startTestServer({ FACEGRAPH_WORKERS: '1' });
    const base = server.url.replace(/\/graphql$/, '');
    const inFlight = server.gql<{ detectFaces: unknown[] }>(DETECT, { b: faceBase64('groups/obama_biden_2.jpg') });
    // Let the request reach the server before stopping.
    await new Promise((r) => setTimeout(r, 30));
    const stopping = server.stop();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    expect(res.data!.detectFaces.length).toBeGreaterThanOrEqual(3);
    await stopping;
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
