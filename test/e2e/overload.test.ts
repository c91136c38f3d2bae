/**
 * Back-pressure and shutdown on the real engine: a full queue answers OVERLOADED with a retry
 * hint and the service recovers; stopping lets in-flight requests finish.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { describe, expect, it } from 'vitest';
import { faceBase64, manifest, REPO_ROOT } from '../helpers/paths.js';
import { startTestServer } from '../helpers/server.js';

const DETECT = `query($b: String) { detectFaces(image: { base64: $b }) { faceRectangle { width } } }`;

describe('bounded engine queue', () => {
  it('answers OVERLOADED with retryAfterSeconds when full, then serves again', async () => {
    // One worker and room for one waiting image: a burst of distinct images must overflow.
    const server = await startTestServer({ FACEGRAPH_WORKERS: '1', FACEGRAPH_MAX_QUEUE: '1' });
    try {
      const files = manifest()
        .map((m) => m.file)
        .slice(0, 10);
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

describe('SIGTERM on the real process (npm start)', () => {
  it('finishes the in-flight request, then exits with status 0 well before the grace period', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'facegraph-sigterm-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: REPO_ROOT,
      // NODE_ENV as in real use: vitest's 'test' changes Apollo's defaults (signal handling among them).
      env: {
        ...process.env,
        NODE_ENV: 'development',
        PORT: '0',
        // debug: the log says when the in-flight request has reached the server.
        LOG_LEVEL: 'debug',
        FACEGRAPH_WORKERS: '1',
        FACEGRAPH_DATA_DIR: dataDir,
        FACEGRAPH_SHUTDOWN_GRACE_MS: '60000',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const messages: string[] = [];
      let graphqlStarted: () => void = () => undefined;
      const requestReached = new Promise<void>((resolve) => (graphqlStarted = resolve));
      // The JSON log says when it is ready and on which port, and when a request has arrived.
      const url = await new Promise<string>((resolve, reject) => {
        readline.createInterface({ input: child.stdout }).on('line', (line) => {
          const entry = JSON.parse(line) as { msg: string; url?: string; path?: string };
          messages.push(entry.msg);
          if (entry.msg === 'facegraph ready' && entry.url) resolve(entry.url);
          if (entry.msg === 'request started' && entry.path === '/graphql') graphqlStarted();
        });
        child.once('exit', () => reject(new Error('facegraph exited before it was ready')));
      });
      const base = url.replace(/\/graphql$/, '');
      for (let i = 0; i < 100 && (await fetch(`${base}/readyz`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));

      const inFlight = fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: DETECT, variables: { b: faceBase64('groups/obama_biden_2.jpg') } }),
      });
      // SIGTERM once the server is handling the request (a fixed delay raced the server on a loaded machine).
      await requestReached;
      child.kill('SIGTERM');
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(((await res.json()) as { data: { detectFaces: unknown[] } }).data.detectFaces.length).toBeGreaterThanOrEqual(3);
      // A forced exit (the grace period ran out) would be status 1, after 60 s.
      expect(await exited).toBe(0);
      expect(messages).toContain('stopped');
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
