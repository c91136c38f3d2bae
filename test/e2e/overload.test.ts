/**
 * Back-pressure and shutdown on the real engine: a full queue answers OVERLOADED with a retry
 * hint and the service recovers; stopping lets in-flight requests finish.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { describe, expect, it } from 'vitest';
import { face, faceBase64, manifest, REPO_ROOT } from '../helpers/paths.js';
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

describe('queue bounded by the wait it implies', () => {
  it('refuses at once with OVERLOADED and a Retry-After when the estimated wait is over FACEGRAPH_MAX_QUEUE_WAIT_MS, though the count cap is far', async () => {
    // One worker, a count cap no burst reaches, and a 1 ms wait limit: once one image is running
    // and another waits, every further one implies a longer wait and is refused.
    const server = await startTestServer({ FACEGRAPH_WORKERS: '1', FACEGRAPH_MAX_QUEUE: '1000', FACEGRAPH_MAX_QUEUE_WAIT_MS: '1' });
    try {
      const base = server.url.replace(/\/graphql$/, '');
      const files = manifest()
        .map((m) => m.file)
        .slice(0, 10);
      const results = await Promise.all(
        files.map((f) =>
          fetch(`${base}/face/v1.2/detect?detectionModel=detection_03&returnFaceId=false`, {
            method: 'POST',
            headers: { 'content-type': 'application/octet-stream' },
            body: new Uint8Array(face(f)),
          }),
        ),
      );
      const refused = results.filter((r) => r.status === 429);
      const served = results.filter((r) => r.status === 200);
      expect(refused.length).toBeGreaterThan(0);
      expect(served.length).toBeGreaterThan(0);
      expect(refused.length + served.length).toBe(files.length);
      for (const r of refused) {
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        const body = (await r.json()) as { error: { code: string; innererror?: { code: string; message: string } } };
        expect(body.error.code).toBe('429');
        expect(body.error.innererror?.code).toBe('OVERLOADED');
        expect(body.error.innererror?.message).toMatch(/estimated .* wait/);
      }
      const after = await server.gql<{ detectFaces: unknown[] }>(DETECT, { b: faceBase64('people/obama/1.jpg') });
      expect(after.errors).toBeUndefined();
      expect(after.data!.detectFaces).toHaveLength(1);
    } finally {
      await server.stop();
    }
  });
});

describe('slow clients', () => {
  /** Sends a REST detect's headers and the first half of its body, then nothing: a trickling upload. */
  function startSlowUpload(port: number, body: Buffer): { socket: net.Socket; answer: Promise<string>; finish(): void } {
    const socket = net.connect(port, '127.0.0.1');
    socket.write(
      `POST /face/v1.2/detect?detectionModel=detection_03&returnFaceId=false HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        `Content-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
    );
    socket.write(body.subarray(0, body.length >> 1));
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    const answer = new Promise<string>((resolve) => socket.once('close', () => resolve(received)));
    return { socket, answer, finish: () => socket.write(body.subarray(body.length >> 1)) };
  }

  it('an upload that is still arriving holds no engine worker: others are served meanwhile', async () => {
    const server = await startTestServer({ FACEGRAPH_WORKERS: '1' });
    try {
      const slow = startSlowUpload(server.app.server.port, face('people/obama/1.jpg'));
      let slowDone = false;
      void slow.answer.then(() => (slowDone = true));
      // With one worker, these are served only if the half-sent upload did not take it.
      for (const file of ['people/obama/2.jpg', 'groups/obama_biden_2.jpg']) {
        const res = await server.gql<{ detectFaces: unknown[] }>(DETECT, { b: faceBase64(file) });
        expect(res.errors).toBeUndefined();
        expect(res.data!.detectFaces.length).toBeGreaterThanOrEqual(1);
      }
      expect(slowDone).toBe(false);
      slow.finish();
      expect(await slow.answer).toMatch(/^HTTP\/1\.1 200 /);
    } finally {
      await server.stop();
    }
  });

  it('an upload that stops arriving is cut off by FACEGRAPH_REQUEST_TIMEOUT_MS with 408', async () => {
    const server = await startTestServer({ FACEGRAPH_REQUEST_TIMEOUT_MS: '1000' });
    try {
      const slow = startSlowUpload(server.app.server.port, face('people/obama/1.jpg'));
      expect(await slow.answer).toMatch(/^HTTP\/1\.1 408 /);
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
