/**
 * FACEGRAPH_RATE_LIMIT_RPS on the real server: a key's burst over its budget is refused with 429
 * and Retry-After (REST: Azure's body; GraphQL: RATE_LIMITED with retryAfterSeconds), another key
 * keeps its own budget, and after the advertised wait the key is served again. No timing
 * assertions: the test only waits what the server says. The pixel budget
 * (FACEGRAPH_RATE_LIMIT_MPIXELS_PER_S) likewise, on its own server. Key rotation on SIGHUP
 * (FACEGRAPH_API_KEYS_FILE) runs on a real child process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { face, faceBase64, REPO_ROOT } from '../helpers/paths.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const KEYS = ['rate-key-one-0123456789', 'rate-key-two-abcdef'];
const QUERY = '{ capabilities { provider } }';
let server: TestServer;
let base: string;

beforeAll(async () => {
  server = await startTestServer({ FACEGRAPH_API_KEYS: KEYS.join(','), FACEGRAPH_RATE_LIMIT_RPS: '2' }, undefined, 'embedded');
  base = server.url.replace(/\/graphql$/, '');
});

afterAll(async () => {
  await server?.stop();
});

const rest = (key: string): Promise<Response> => fetch(`${base}/face/v1.2/facelists`, { headers: { 'ocp-apim-subscription-key': key } });

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('per-key request budget', () => {
  it('REST: a burst over the budget gets 429 with Retry-After and Azure body; the key is served again after the wait', async () => {
    const answers = await Promise.all(Array.from({ length: 6 }, () => rest(KEYS[0]!)));
    const refused = answers.filter((r) => r.status === 429);
    expect(answers.some((r) => r.status === 200)).toBe(true);
    expect(refused.length).toBeGreaterThan(0);
    const first = refused[0]!;
    const retryAfter = Number(first.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(first.headers.get('x-ms-error-code')).toBe('429');
    const body = (await first.json()) as { error: { code: string; message: string; innererror?: { code: string } } };
    expect(body.error.code).toBe('429');
    expect(body.error.message).toBe('Rate limit is exceeded. Try again later.');
    expect(body.error.innererror?.code).toBe('RATE_LIMITED');

    // The other key has its own budget, on either surface.
    expect((await rest(KEYS[1]!)).status).toBe(200);

    await sleep(retryAfter * 1000);
    expect((await rest(KEYS[0]!)).status).toBe(200);
  });

  it('GraphQL: a burst gets 429 with extensions.code RATE_LIMITED and retryAfterSeconds; the other key is unaffected', async () => {
    const headers = { authorization: `Bearer ${KEYS[0]}` };
    const answers = await Promise.all(Array.from({ length: 6 }, () => server.gql(QUERY, undefined, headers)));
    const refused = answers.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    const error = refused[0]!.errors?.[0];
    expect(error?.extensions?.code).toBe('RATE_LIMITED');
    const retryAfter = Number(error?.extensions?.retryAfterSeconds);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(refused[0]!.data).toBeUndefined();

    const other = await server.gql<{ capabilities: { provider: string } }>(QUERY, undefined, { 'ocp-apim-subscription-key': KEYS[1]! });
    expect(other.status).toBe(200);
    expect(other.data?.capabilities.provider).toBe('embedded');

    await sleep(retryAfter * 1000);
    const again = await server.gql(QUERY, undefined, headers);
    expect(again.status).toBe(200);
  });

  it('probes and /metrics are never charged', async () => {
    const key = { authorization: `Bearer ${KEYS[1]}` };
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => fetch(`${base}/${['healthz', 'readyz', 'metrics'][i % 3]}`, { headers: key })),
    );
    expect(answers.map((r) => r.status).filter((s) => s === 429)).toEqual([]);
  });
});

describe('per-key image-pixel budget (FACEGRAPH_RATE_LIMIT_MPIXELS_PER_S)', () => {
  // 0.5 MP a second; the image is 910x1137 (1.03 MP): more than a whole second's budget, so it is
  // charged the whole budget and the next image within the second is refused.
  const IMAGE = 'people/obama/1.jpg';
  let pixels: TestServer;
  let pixelsBase: string;

  beforeAll(async () => {
    pixels = await startTestServer(
      { FACEGRAPH_API_KEYS: KEYS.join(','), FACEGRAPH_RATE_LIMIT_MPIXELS_PER_S: '0.5' },
      undefined,
      'embedded',
    );
    pixelsBase = pixels.url.replace(/\/graphql$/, '');
  });

  afterAll(async () => {
    await pixels?.stop();
  });

  const detect = (key: string): Promise<Response> =>
    fetch(`${pixelsBase}/face/v1.2/detect?returnFaceId=false`, {
      method: 'POST',
      headers: { 'ocp-apim-subscription-key': key, 'content-type': 'application/octet-stream' },
      body: new Uint8Array(face(IMAGE)),
    });

  it('REST detect: the second image within the second is 429 with Retry-After; other keys and non-image requests are not charged', async () => {
    expect((await detect(KEYS[0]!)).status).toBe(200);
    const refused = await detect(KEYS[0]!);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    const body = (await refused.json()) as { error: { code: string; innererror?: { code: string } } };
    expect(body.error.code).toBe('429');
    expect(body.error.innererror?.code).toBe('RATE_LIMITED');
    // Requests without an image, and the other key, are unaffected.
    expect((await fetch(`${pixelsBase}/face/v1.2/facelists`, { headers: { 'ocp-apim-subscription-key': KEYS[0]! } })).status).toBe(200);
    expect((await detect(KEYS[1]!)).status).toBe(200);

    await sleep(retryAfter * 1000);
    expect((await detect(KEYS[0]!)).status).toBe(200);
  });

  it('GraphQL detectFaces: a spent pixel budget is the error RATE_LIMITED with retryAfterSeconds', async () => {
    const q = 'query($b: String) { detectFaces(image: { base64: $b }) { faceRectangle { width } } }';
    const headers = { 'ocp-apim-subscription-key': KEYS[0]! };
    // The key may still be within the previous test's second: then wait what the server says.
    let first = await pixels.gql(q, { b: faceBase64(IMAGE) }, headers);
    const wait = first.errors?.[0]?.extensions?.retryAfterSeconds;
    if (typeof wait === 'number') {
      await sleep(wait * 1000);
      first = await pixels.gql(q, { b: faceBase64(IMAGE) }, headers);
    }
    expect(first.errors).toBeUndefined();
    const second = await pixels.gql(q, { b: faceBase64(IMAGE) }, headers);
    const error = second.errors?.[0];
    expect(error?.extensions?.code).toBe('RATE_LIMITED');
    expect(Number(error?.extensions?.retryAfterSeconds)).toBeGreaterThanOrEqual(1);
  });
});

describe('key rotation on SIGHUP (FACEGRAPH_API_KEYS_FILE, real process)', () => {
  it('a key added to the file works after SIGHUP, a removed one does not, env keys stay; no restart', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'facegraph-keys-'));
    const keysFile = path.join(dir, 'keys');
    writeFileSync(keysFile, '# rotated by ops\nold-file-key-123456\n');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        NODE_ENV: 'development',
        PORT: '0',
        FACEGRAPH_WORKERS: '1',
        FACEGRAPH_DATA_DIR: dir,
        FACEGRAPH_API_KEYS: 'env-key-abcdef',
        FACEGRAPH_API_KEYS_FILE: keysFile,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      let reloaded: (keys: number) => void = () => undefined;
      const nextReload = (): Promise<number> => new Promise<number>((resolve) => (reloaded = resolve));
      const url = await new Promise<string>((resolve, reject) => {
        readline.createInterface({ input: child.stdout }).on('line', (line) => {
          const entry = JSON.parse(line) as { msg: string; url?: string; keys?: number };
          if (entry.msg === 'facegraph ready' && entry.url) resolve(entry.url);
          if (entry.msg === 'API keys reloaded') reloaded(entry.keys ?? -1);
        });
        child.once('exit', () => reject(new Error('facegraph exited before it was ready')));
      });
      const childBase = url.replace(/\/graphql$/, '');
      const status = async (key: string): Promise<number> =>
        (await fetch(`${childBase}/face/v1.2/facelists`, { headers: { 'ocp-apim-subscription-key': key } })).status;

      expect(await status('old-file-key-123456')).toBe(200);
      expect(await status('env-key-abcdef')).toBe(200);
      expect(await status('new-file-key-987654')).toBe(401);

      writeFileSync(keysFile, 'new-file-key-987654\n');
      const done = nextReload();
      child.kill('SIGHUP');
      expect(await done).toBe(2); // the env key and the new file key
      expect(await status('new-file-key-987654')).toBe(200);
      expect(await status('old-file-key-123456')).toBe(401);
      expect(await status('env-key-abcdef')).toBe(200);

      // An emptied file locks the file's keys out; it never opens the service.
      writeFileSync(keysFile, '');
      const emptied = nextReload();
      child.kill('SIGHUP');
      expect(await emptied).toBe(1);
      expect(await status('new-file-key-987654')).toBe(401);
      expect((await fetch(`${childBase}/face/v1.2/facelists`)).status).toBe(401);
      expect(child.exitCode).toBeNull(); // still the same process
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
