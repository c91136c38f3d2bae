/**
 * Engine worker faults on the real engine: a worker killed mid-request (a crash) or wedged (a
 * hang, cut off by the per-job deadline) is replaced; the request in flight gets the retryable
 * ENGINE_UNAVAILABLE (503 + Retry-After on REST); the next requests succeed.
 *
 * Workers are reached through EnginePool's documented test seam (`engine.testSeam`): `stall`
 * makes a worker's thread spin so it answers nothing (the job sent to it stays in flight for as
 * long as the test wants: no race with the job finishing), `terminate` kills it as a crash would.
 * No timing assertions: the tests wait for events, not durations.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EmbeddedProvider } from '../../src/adapters/engine/provider.js';
import { loadConfig } from '../../src/platform/config.js';
import { createLogger } from '../../src/platform/logger.js';
import { startApp, type App } from '../../src/wiring.js';
import { face, faceBase64 } from '../helpers/paths.js';

const DETECT = `query($b: String) { detectFaces(image: { base64: $b }) { faceRectangle { width } } }`;
const REST_DETECT = '/face/v1.2/detect?detectionModel=detection_03&recognitionModel=recognition_04&returnFaceId=false';

interface EngineApp {
  app: App;
  engine: EmbeddedProvider['engine'];
  base: string;
  gql(b64: string): Promise<{ status: number; errors?: Array<{ message: string; extensions?: Record<string, unknown> }>; data?: unknown }>;
  stop(): Promise<void>;
}

async function startEngineApp(env: Record<string, string>): Promise<EngineApp> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'facegraph-faults-'));
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', FACEGRAPH_DATA_DIR: dataDir, ...env });
  let embedded: EmbeddedProvider | null = null;
  const app = await startApp(config, createLogger(config.logLevel), {
    decorateProvider: (p) => ((embedded = p as EmbeddedProvider), p),
  });
  const base = app.server.url.replace(/\/graphql$/, '');
  return {
    app,
    engine: embedded!.engine,
    base,
    async gql(b64) {
      const res = await fetch(app.server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: DETECT, variables: { b: b64 } }),
      });
      return { status: res.status, ...((await res.json()) as object) };
    },
    stop: () => app.stop().finally(() => rmSync(dataDir, { recursive: true, force: true })),
  };
}

/** Resolves once `check` holds (polled): waiting for an event, not asserting a duration. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
}

describe('engine worker faults', () => {
  it('a worker killed mid-request: REST answers 503 ENGINE_UNAVAILABLE with Retry-After, the worker is replaced, the next requests succeed', async () => {
    const server = await startEngineApp({ FACEGRAPH_WORKERS: '1' });
    try {
      const [victim] = server.engine.testSeam.threadIds();
      // Wedge the worker first so the request is certainly still in flight when it is killed.
      server.engine.testSeam.stall(victim!);
      const inFlight = fetch(`${server.base}${REST_DETECT}`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: new Uint8Array(face('people/obama/1.jpg')),
      });
      await until(() => server.engine.testSeam.busyThreadIds().includes(victim!));
      await server.engine.testSeam.terminate(victim!);

      const res = await inFlight;
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const body = (await res.json()) as { error: { code: string; innererror?: { code: string } } };
      expect(body.error.code).toBe('ServiceUnavailable');
      expect(body.error.innererror?.code).toBe('ENGINE_UNAVAILABLE');

      // Queued until the replacement has loaded its models, then served.
      for (const file of ['people/obama/2.jpg', 'people/obama/3.jpg']) {
        const next = await fetch(`${server.base}${REST_DETECT}`, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream' },
          body: new Uint8Array(face(file)),
        });
        expect(next.status).toBe(200);
        expect(((await next.json()) as unknown[]).length).toBe(1);
      }
      const [replacement] = server.engine.testSeam.threadIds();
      expect(replacement).toBeDefined();
      expect(replacement).not.toBe(victim);
      expect(server.engine.ready).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('a hung worker: the job deadline fails the request with ENGINE_UNAVAILABLE (GraphQL), replaces the worker, the next request succeeds', async () => {
    // A short deadline so the test does not wait 30 s; real jobs here take far less.
    const server = await startEngineApp({ FACEGRAPH_WORKERS: '1', FACEGRAPH_ENGINE_JOB_TIMEOUT_MS: '3000' });
    try {
      const [victim] = server.engine.testSeam.threadIds();
      server.engine.testSeam.stall(victim!);

      const hung = await server.gql(faceBase64('people/obama/1.jpg'));
      expect(hung.errors?.[0]?.extensions?.code).toBe('ENGINE_UNAVAILABLE');
      expect(hung.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(hung.errors?.[0]?.message).toMatch(/retry/i);
      expect(server.engine.testSeam.threadIds()).not.toContain(victim);

      const next = await server.gql(faceBase64('people/obama/2.jpg'));
      expect(next.errors).toBeUndefined();
      expect((next.data as { detectFaces: unknown[] }).detectFaces).toHaveLength(1);
    } finally {
      await server.stop();
    }
  });
});
