import { FACES_DIR } from '../helpers/paths.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { contentHash, loadImageBytes } from '../../src/app/images.js';
import type { ImageInputArg, ImageLimits } from '../../src/app/images.js';
import { fetchImage, type FetchPolicy } from '../../src/adapters/net/safe-fetch.js';
import { expectCode } from '../helpers/errors.js';

const PHOTO = readFileSync(path.join(FACES_DIR, 'people/obama/1.jpg'));
const PNG = readFileSync(path.join(FACES_DIR, 'people/obama/5-rgba.png'));

const LIMITS: ImageLimits = { minBytes: 1024, maxBytes: 6 * 1024 * 1024 };
const POLICY: FetchPolicy = {
  maxBytes: 6 * 1024 * 1024,
  timeoutMs: 5_000,
  maxRedirects: 3,
  allowPrivateHosts: ['127.0.0.1'],
};

const load = (input: ImageInputArg) => loadImageBytes(input, LIMITS, POLICY, fetchImage);

describe('loadImageBytes: exactly one of url / base64 / file', () => {
  it.each<[string, ImageInputArg]>([
    ['an empty object', {}],
    ['all null', { url: null, base64: null, file: null }],
    ['both empty strings', { url: '', base64: '' }],
    ['url and base64', { url: 'http://127.0.0.1/x.jpg', base64: PHOTO.toString('base64') }],
    ['base64 and file', { base64: PHOTO.toString('base64'), file: { size: PHOTO.length, bytes: PHOTO } }],
  ])('rejects %s with INVALID_IMAGE_INPUT', async (_label, input) => {
    const err = await expectCode(load(input), 'INVALID_IMAGE_INPUT');
    expect(err.message).toMatch(/exactly one of url, base64 or file/);
  });

  it('treats an empty url next to a base64 value as absent', async () => {
    const bytes = await load({ url: '', base64: PHOTO.toString('base64') });
    expect(bytes.equals(PHOTO)).toBe(true);
  });
});

describe('loadImageBytes: file (a multipart upload part)', () => {
  it('returns the bytes of a file within the limits', async () => {
    const bytes = await load({ file: { size: PHOTO.length, bytes: PHOTO } });
    expect(bytes.equals(PHOTO)).toBe(true);
  });

  it('refuses a file that was over the limit (bytes not kept) with IMAGE_TOO_LARGE and its size', async () => {
    const size = LIMITS.maxBytes + 1;
    const err = await expectCode(load({ file: { size, bytes: null } }), 'IMAGE_TOO_LARGE');
    expect(err.details).toMatchObject({ size, maxBytes: LIMITS.maxBytes });
  });

  it('refuses a file under 1 KB with IMAGE_TOO_SMALL', async () => {
    await expectCode(load({ file: { size: 10, bytes: PHOTO.subarray(0, 10) } }), 'IMAGE_TOO_SMALL');
  });
});

describe('loadImageBytes: base64', () => {
  it.each([
    ['not base64!!'],
    ['QUJD='], // padding that does not complete a 4-char group
    ['QUJDRA='], // 7 chars with padding
    ['QUJDR'], // 5 chars: a lone 6-bit group can never be a byte
    ['QU=JD'], // padding in the middle
    ['QUJD==='], // too much padding
    ['ab+_cd=='], // standard and URL-safe alphabets mixed
    ['data:text/plain;base64,QUJD'], // not an image data URL
    ['   \n  '], // whitespace only
  ])('rejects %j with INVALID_BASE64', async (base64) => {
    await expectCode(load({ base64 }), 'INVALID_BASE64');
  });

  it('round-trips a real photo', async () => {
    const bytes = await load({ base64: PHOTO.toString('base64') });
    expect(bytes.equals(PHOTO)).toBe(true);
  });

  it('accepts a data: URL prefix', async () => {
    const bytes = await load({ base64: `data:image/jpeg;base64,${PHOTO.toString('base64')}` });
    expect(bytes.equals(PHOTO)).toBe(true);
  });

  it('ignores newlines and whitespace (MIME-style 76-column lines)', async () => {
    const wrapped = PHOTO.toString('base64').replace(/.{76}/g, '$&\r\n');
    const bytes = await load({ base64: `\n  ${wrapped}\n` });
    expect(bytes.equals(PHOTO)).toBe(true);
  });

  it('accepts the URL-safe alphabet with and without padding', async () => {
    const urlSafe = PNG.toString('base64url'); // no padding
    expect(urlSafe).toMatch(/[-_]/); // the fixture really exercises the URL-safe characters
    expect((await load({ base64: urlSafe })).equals(PNG)).toBe(true);
    const padded = urlSafe + '='.repeat((4 - (urlSafe.length % 4)) % 4);
    expect((await load({ base64: padded })).equals(PNG)).toBe(true);
  });

  it('rejects images under 1 KB with IMAGE_TOO_SMALL', async () => {
    const err = await expectCode(load({ base64: PHOTO.subarray(0, 1023).toString('base64') }), 'IMAGE_TOO_SMALL');
    expect(err.message).toContain('1024 bytes');
  });

  it('accepts exactly 1 KB and exactly 6 MB', async () => {
    expect((await load({ base64: Buffer.alloc(1024, 1).toString('base64') })).length).toBe(1024);
    const sixMb = Buffer.alloc(6 * 1024 * 1024, 7);
    expect((await load({ base64: sixMb.toString('base64') })).length).toBe(sixMb.length);
  });

  it('rejects images over 6 MB with IMAGE_TOO_LARGE', async () => {
    const tooBig = Buffer.alloc(6 * 1024 * 1024 + 1, 7).toString('base64');
    const err = await expectCode(load({ base64: tooBig }), 'IMAGE_TOO_LARGE');
    expect(err.message).toMatch(/6 MB/);
    expect(err.details).toMatchObject({ size: 6 * 1024 * 1024 + 1, maxBytes: 6 * 1024 * 1024 });
  });
});

describe('loadImageBytes: url', () => {
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/photo.jpg') res.writeHead(200, { 'content-type': 'image/jpeg' }).end(PHOTO);
      else if (req.url === '/tiny.jpg') res.writeHead(200, { 'content-type': 'image/jpeg' }).end(PHOTO.subarray(0, 100));
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('downloads the exact bytes', async () => {
    const bytes = await load({ url: `${base}/photo.jpg` });
    expect(bytes.equals(PHOTO)).toBe(true);
  });

  it('applies the minimum size to downloads', async () => {
    await expectCode(load({ url: `${base}/tiny.jpg` }), 'IMAGE_TOO_SMALL');
  });

  it('caps the download at the image limit even if the fetch policy allows more', async () => {
    const limits = { minBytes: 1024, maxBytes: PHOTO.length - 1 };
    await expectCode(loadImageBytes({ url: `${base}/photo.jpg` }, limits, POLICY, fetchImage), 'IMAGE_TOO_LARGE');
  });

  it('passes fetch errors through (private hosts are forbidden by default)', async () => {
    await expectCode(
      loadImageBytes({ url: `${base}/photo.jpg` }, LIMITS, { ...POLICY, allowPrivateHosts: [] }, fetchImage),
      'URL_FORBIDDEN',
    );
  });
});

describe('contentHash', () => {
  it('is the sha256 hex digest', () => {
    expect(contentHash(Buffer.from('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('is the same for the same image whichever way it arrived', async () => {
    const fromBase64 = await load({ base64: `data:image/jpeg;base64,${PHOTO.toString('base64')}` });
    expect(contentHash(fromBase64)).toBe(contentHash(PHOTO));
    expect(contentHash(PHOTO)).not.toBe(contentHash(PNG));
  });
});
