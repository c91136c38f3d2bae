/**
 * Every bad input gets its documented error code, changes nothing, and the server keeps
 * serving: each case is followed by a valid detection that must succeed.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { face, faceBase64 } from '../helpers/paths.js';
import { pngBomb } from '../helpers/images.js';
import { ManualClock, startTestServer, type TestServer } from '../helpers/server.js';

const DETECT = `query($image: ImageInput!, $options: DetectFacesOptions) {
  detectFaces(image: $image, options: $options) { faceId faceRectangle { width } }
}`;

let server: TestServer;
let images: http.Server;
let imagesBase: string;
const clock = new ManualClock();

/** A loopback image host: a real photo, a hang, an endless stream, a redirect to the metadata IP. */
function startImageHost(): Promise<http.Server> {
  const photo = face('people/obama/1.jpg');
  const srv = http.createServer((req, res) => {
    if (req.url === '/photo.jpg') {
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo);
    } else if (req.url === '/hang') {
      // Never answers: the server must give up with URL_TIMEOUT.
    } else if (req.url === '/endless') {
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      const chunk = randomBytes(64 * 1024);
      const pump = (): void => {
        while (res.write(chunk)) {
          if (res.destroyed) return;
        }
        res.once('drain', pump);
      };
      pump();
    } else if (req.url === '/to-metadata') {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}

beforeAll(async () => {
  images = await startImageHost();
  imagesBase = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
  // 127.0.0.1 is allow-listed so the loopback image host can stand in for the internet;
  // every other private address stays refused.
  // The depth limit is lowered to 3 so our shallow schema can exceed it (introspection, which
  // Apollo Sandbox needs deep, is exempt); every other query in this file is depth <= 3.
  server = await startTestServer(
    { FACEGRAPH_URL_ALLOW_PRIVATE: '127.0.0.1', FACEGRAPH_URL_TIMEOUT_MS: '1500', FACEGRAPH_MAX_DEPTH: '3' },
    clock,
  );
});

afterAll(async () => {
  await server?.stop();
  images?.closeAllConnections();
  await new Promise((r) => images?.close(r));
});

async function expectCode(image: Record<string, unknown>, code: string, options?: Record<string, unknown>): Promise<void> {
  const before = server.app.services.registry.size;
  const res = await server.gql(DETECT, { image, options });
  expect(res.errors?.[0]?.extensions?.code, JSON.stringify(res.errors)).toBe(code);
  expect(res.errors?.[0]?.message.length).toBeGreaterThan(10);
  expect(res.data).toBeNull();
  // Nothing was registered by the failed request...
  expect(server.app.services.registry.size).toBe(before);
  // ...and the next valid request succeeds.
  const ok = await server.gql<{ detectFaces: unknown[] }>(DETECT, { image: { base64: faceBase64('variants/obama-1-small.jpg') } });
  expect(ok.errors).toBeUndefined();
  expect(ok.data!.detectFaces).toHaveLength(1);
}

describe('image bytes', () => {
  it('under 1 KB -> IMAGE_TOO_SMALL', () => expectCode({ base64: randomBytes(600).toString('base64') }, 'IMAGE_TOO_SMALL'));
  it('over 6 MB -> IMAGE_TOO_LARGE', () => expectCode({ base64: randomBytes(6 * 1024 * 1024 + 10).toString('base64') }, 'IMAGE_TOO_LARGE'));
  it('bytes that are not an image -> UNSUPPORTED_IMAGE_FORMAT', () =>
    expectCode({ base64: randomBytes(4096).toString('base64') }, 'UNSUPPORTED_IMAGE_FORMAT'));
  it('a truncated JPEG -> CORRUPT_IMAGE', () => {
    const jpeg = face('people/obama/1.jpg');
    return expectCode({ base64: jpeg.subarray(0, Math.floor(jpeg.length / 2)).toString('base64') }, 'CORRUPT_IMAGE');
  });
  it('a PNG declaring 30000x30000 -> IMAGE_DIMENSIONS_TOO_LARGE', async () => {
    const bomb = await pngBomb(30_000, 30_000, 24);
    expect(bomb.length).toBeGreaterThan(1024);
    return expectCode({ base64: bomb.toString('base64') }, 'IMAGE_DIMENSIONS_TOO_LARGE');
  });
});

describe('ImageInput shape', () => {
  it('both url and base64 -> INVALID_IMAGE_INPUT', () =>
    expectCode({ base64: faceBase64('variants/obama-1-small.jpg'), url: `${imagesBase}/photo.jpg` }, 'INVALID_IMAGE_INPUT'));
  it('neither -> INVALID_IMAGE_INPUT', () => expectCode({}, 'INVALID_IMAGE_INPUT'));
  it('invalid base64 -> INVALID_BASE64', () => expectCode({ base64: 'this is not base64!!' + 'A'.repeat(2000) }, 'INVALID_BASE64'));
});

describe('image URLs', () => {
  it('an allow-listed http URL is downloaded and analysed', async () => {
    const res = await server.gql<{ detectFaces: unknown[] }>(DETECT, { image: { url: `${imagesBase}/photo.jpg` } });
    expect(res.errors).toBeUndefined();
    expect(res.data!.detectFaces).toHaveLength(1);
  });
  it('ftp:, file: and data: URLs -> INVALID_URL', async () => {
    await expectCode({ url: 'ftp://example.com/a.jpg' }, 'INVALID_URL');
    await expectCode({ url: 'file:///etc/passwd' }, 'INVALID_URL');
    await expectCode({ url: 'not a url' }, 'INVALID_URL');
  });
  it('private, link-local and metadata addresses -> URL_FORBIDDEN', async () => {
    for (const url of [
      'http://10.0.0.7/a.jpg',
      'http://192.168.1.1/a.jpg',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]/a.jpg',
      'http://[fd00::1]/a.jpg',
    ]) {
      await expectCode({ url }, 'URL_FORBIDDEN');
    }
  });
  it('a redirect into the private network is re-checked -> URL_FORBIDDEN', () =>
    expectCode({ url: `${imagesBase}/to-metadata` }, 'URL_FORBIDDEN'));
  it('a URL that never answers -> URL_TIMEOUT', () => expectCode({ url: `${imagesBase}/hang` }, 'URL_TIMEOUT'));
  it('a URL that streams more than 6 MB -> IMAGE_TOO_LARGE', () => expectCode({ url: `${imagesBase}/endless` }, 'IMAGE_TOO_LARGE'));
  it('a URL that answers 404 -> URL_FETCH_FAILED', () => expectCode({ url: `${imagesBase}/missing.jpg` }, 'URL_FETCH_FAILED'));
});

describe('arguments and limits', () => {
  it('faceIdTimeToLive outside 60–86400 -> INVALID_ARGUMENT', async () => {
    const image = { base64: faceBase64('variants/obama-1-small.jpg') };
    await expectCode(image, 'INVALID_ARGUMENT', { faceIdTimeToLive: 59 });
    await expectCode(image, 'INVALID_ARGUMENT', { faceIdTimeToLive: 86_401 });
  });

  it('query depth abuse is rejected by validation', async () => {
    const res = await server.gql(`query($b: String) { detectFaces(image: { base64: $b }) { landmarks { noseTip { x } } } }`, {
      b: faceBase64('variants/obama-1-small.jpg'),
    });
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.errors?.[0]?.message).toMatch(/depth/i);
  });

  it('alias abuse is rejected by validation', async () => {
    const many = Array.from({ length: 31 }, (_, i) => `a${i}: capabilities { provider }`).join(' ');
    const res = await server.gql(`{ ${many} }`);
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.errors?.[0]?.message).toMatch(/alias/i);
  });

  it('an oversized request body -> 413 REQUEST_TOO_LARGE', async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ capabilities { provider } }', variables: { pad: 'x'.repeat(10 * 1024 * 1024) } }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe(
      'REQUEST_TOO_LARGE',
    );
  });

  it('malformed JSON -> 400 BAD_REQUEST', async () => {
    const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(res.status).toBe(400);
  });
});

describe('faceId registry expiry (injected clock)', () => {
  it('a face is found until its TTL, then null; reads do not extend it', async () => {
    const res = await server.gql<{ detectFaces: Array<{ faceId: string }> }>(DETECT, {
      image: { base64: faceBase64('people/rose_leslie/2.jpg') },
      options: { faceIdTimeToLive: 60 },
    });
    const id = res.data!.detectFaces[0]!.faceId;
    const lookup = async (): Promise<unknown> =>
      (await server.gql<{ face: unknown }>(`query($id: ID!) { face(faceId: $id) { faceId expiresAt } }`, { id })).data!.face;

    expect(await lookup()).toMatchObject({ faceId: id, expiresAt: new Date(clock.now() + 60_000).toISOString() });
    clock.advance(59_000);
    expect(await lookup()).not.toBeNull(); // a read at 59 s...
    clock.advance(1_500);
    expect(await lookup()).toBeNull(); // ...did not push expiry past 60 s
  });
});
