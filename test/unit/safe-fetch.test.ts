/**
 * Real network tests against a local node:http server on 127.0.0.1. No request in this file is
 * allowed to reach any address other than 127.0.0.1: forbidden targets are refused before a
 * connection is attempted, which is exactly the behaviour under test.
 */
import { FACES_DIR } from '../helpers/paths.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { FaceError } from '../../src/domain/errors.js';
import { createSafeAgent, fetchImage, isAllowListed, isForbiddenAddress } from '../../src/adapters/net/safe-fetch.js';
import type { FetchPolicy } from '../../src/adapters/net/safe-fetch.js';
import { expectCode } from '../helpers/errors.js';

const JPEG = readFileSync(path.join(FACES_DIR, 'people/obama/1.jpg'));
const SMALL_MAX = 20_000; // maxBytes for the "too large" cases (the JPEG is bigger than this)

/** Paths the server has seen, to prove refused requests never reached it. */
const hits: string[] = [];
let server: http.Server;
let base: string; // http://127.0.0.1:<port>
let port: number;

function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  hits.push(url.pathname);
  const redirect = /^\/redirect\/(\d+)$/.exec(url.pathname);
  if (redirect) {
    const left = Number(redirect[1]);
    // Relative Location headers, as real servers often send.
    res.writeHead(302, { location: left > 0 ? `/redirect/${left - 1}` : '/x.jpg' }).end();
    return;
  }
  switch (url.pathname) {
    case '/x.jpg':
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': JPEG.length }).end(JPEG);
      return;
    case '/redirect-to':
      res.writeHead(302, { location: url.searchParams.get('target') ?? '/' }).end();
      return;
    case '/hang':
      return; // never answers: the client's deadline must fire
    case '/slow-body': {
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      const timer = setInterval(() => res.write(Buffer.alloc(10)), 50);
      res.on('close', () => clearInterval(timer));
      return;
    }
    case '/big-with-length':
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': JPEG.length }).end(JPEG);
      return;
    case '/big-chunked': {
      // No Content-Length: an endless stream the client must cut off itself.
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      const timer = setInterval(() => res.write(Buffer.alloc(8192)), 5);
      res.on('close', () => clearInterval(timer));
      return;
    }
    default:
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }
}

beforeAll(async () => {
  server = http.createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const DEFAULT: FetchPolicy = { maxBytes: 6 * 1024 * 1024, timeoutMs: 5_000, maxRedirects: 3, allowPrivateHosts: [] };
const LOCAL: FetchPolicy = { ...DEFAULT, allowPrivateHosts: ['127.0.0.1'] };

describe('isForbiddenAddress', () => {
  const forbidden = [
    '127.0.0.1',
    '127.255.255.254',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '255.255.255.255',
    '224.0.0.1',
    '240.0.0.1',
    '192.0.2.1',
    '::',
    '::1',
    'fe80::1',
    'fc00::1',
    'fd12:3456::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '64:ff9b::7f00:1', // NAT64 of 127.0.0.1
    '64:ff9b::a00:1', // NAT64 of 10.0.0.1
    '2002:7f00:1::1', // 6to4 of 127.0.0.1
    '2002:c0a8:101::1', // 6to4 of 192.168.1.1
    '2001:db8::1', // documentation
    'not-an-ip',
    '',
  ];
  const allowed = ['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'];

  it.each(forbidden)('forbids %s', (ip) => {
    expect(isForbiddenAddress(ip)).toBe(true);
  });

  it.each(allowed)('allows %s', (ip) => {
    expect(isForbiddenAddress(ip)).toBe(false);
  });
});

describe('isAllowListed', () => {
  it('matches hostnames case-insensitively and ignores a trailing dot', () => {
    expect(isAllowListed('LocalHost.', '127.0.0.1', ['localhost'])).toBe(true);
    expect(isAllowListed('evil.example', '127.0.0.1', ['localhost'])).toBe(false);
  });

  it('matches IPs and CIDRs, including IPv4-mapped IPv6 forms', () => {
    expect(isAllowListed('a', '127.0.0.1', ['127.0.0.1'])).toBe(true);
    expect(isAllowListed('a', '::ffff:127.0.0.1', ['127.0.0.1'])).toBe(true);
    expect(isAllowListed('a', '127.0.0.2', ['127.0.0.1'])).toBe(false);
    expect(isAllowListed('a', '127.0.0.1', ['127.0.0.1/32'])).toBe(true);
    expect(isAllowListed('a', '10.9.8.7', ['10.0.0.0/8'])).toBe(true);
    expect(isAllowListed('a', '11.0.0.1', ['10.0.0.0/8'])).toBe(false);
    expect(isAllowListed('a', 'fd00::5', ['fd00::/8'])).toBe(true);
    expect(isAllowListed('a', '10.0.0.1', ['fd00::/8'])).toBe(false);
  });

  it('allows nothing when the list is empty', () => {
    expect(isAllowListed('localhost', '127.0.0.1', [])).toBe(false);
  });
});

describe('fetchImage: scheme and URL validation', () => {
  it.each([
    'ftp://127.0.0.1/x.jpg',
    'file:///etc/passwd',
    'data:image/jpeg;base64,/9j/4AAQ',
    'gopher://127.0.0.1:70/',
    'javascript:alert(1)',
    'not a url',
    '/relative/path.jpg',
    '',
  ])('rejects %j as INVALID_URL', async (url) => {
    await expectCode(fetchImage(url, LOCAL), 'INVALID_URL');
  });

  it('rejects URLs with credentials', async () => {
    const before = hits.length;
    await expectCode(fetchImage(`http://user:pass@127.0.0.1:${port}/x.jpg`, LOCAL), 'INVALID_URL');
    await expectCode(fetchImage(`http://user@127.0.0.1:${port}/x.jpg`, LOCAL), 'INVALID_URL');
    expect(hits.length).toBe(before);
  });
});

describe('fetchImage: forbidden destinations (refused before connecting)', () => {
  it.each([
    () => `${base}/x.jpg`,
    () => `http://localhost:${port}/x.jpg`,
    () => `http://2130706433:${port}/x.jpg`, // decimal form of 127.0.0.1
    () => `http://0x7f.1:${port}/x.jpg`, // hex/short form of 127.0.0.1
    () => `http://0177.0.0.1:${port}/x.jpg`, // octal form of 127.0.0.1
    () => `http://[::1]:${port}/x.jpg`,
    () => `http://[::ffff:127.0.0.1]:${port}/x.jpg`,
  ])('refuses loopback URL #%#', async (makeUrl) => {
    const before = hits.length;
    const err = await expectCode(fetchImage(makeUrl(), DEFAULT), 'URL_FORBIDDEN');
    expect(err.message).toMatch(/public/);
    expect(hits.length).toBe(before); // the server never saw the request
  });

  it('refuses the decimal-IP URL http://2130706433/ (port 80, never connected)', async () => {
    await expectCode(fetchImage('http://2130706433/', DEFAULT), 'URL_FORBIDDEN');
  });

  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://10.0.0.1/x.jpg',
    'http://192.168.0.1/x.jpg',
    'http://100.64.0.1/x.jpg',
    'http://0.0.0.0/x.jpg',
    'http://[fd00::1]/x.jpg',
    'http://[fe80::1]/x.jpg',
  ])('refuses %s', async (url) => {
    await expectCode(fetchImage(url, DEFAULT), 'URL_FORBIDDEN');
  });

  it('an allow-list entry for 127.0.0.1 does not open up other private ranges', async () => {
    await expectCode(fetchImage('http://10.0.0.1/x.jpg', LOCAL), 'URL_FORBIDDEN');
    await expectCode(fetchImage('http://169.254.169.254/', LOCAL), 'URL_FORBIDDEN');
  });
});

describe('fetchImage: downloads', () => {
  it('downloads the exact bytes from an allow-listed host', async () => {
    const bytes = await fetchImage(`${base}/x.jpg`, LOCAL);
    expect(bytes.equals(JPEG)).toBe(true);
  });

  it('accepts a CIDR allow-list entry', async () => {
    const bytes = await fetchImage(`${base}/x.jpg`, { ...DEFAULT, allowPrivateHosts: ['127.0.0.0/8'] });
    expect(bytes.equals(JPEG)).toBe(true);
  });

  it('follows relative redirects up to maxRedirects', async () => {
    const bytes = await fetchImage(`${base}/redirect/2`, LOCAL); // 3 redirects in total
    expect(bytes.equals(JPEG)).toBe(true);
  });

  it('gives up after maxRedirects with URL_FETCH_FAILED', async () => {
    const err = await expectCode(fetchImage(`${base}/redirect/5`, LOCAL), 'URL_FETCH_FAILED');
    expect(err.message).toMatch(/3/);
    await expectCode(fetchImage(`${base}/redirect/0`, { ...LOCAL, maxRedirects: 0 }), 'URL_FETCH_FAILED');
  });

  it.each([
    'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
    'http://10.0.0.1/x.jpg',
    'http://[::ffff:a9fe:a9fe]/',
    'http://2852039166/', // decimal form of 169.254.169.254
  ])('re-checks every redirect hop: refuses a redirect to %s', async (target) => {
    const url = `${base}/redirect-to?target=${encodeURIComponent(target)}`;
    await expectCode(fetchImage(url, LOCAL), 'URL_FORBIDDEN');
  });

  it('refuses a redirect to a non-http scheme', async () => {
    const url = `${base}/redirect-to?target=${encodeURIComponent('file:///etc/passwd')}`;
    await expectCode(fetchImage(url, LOCAL), 'INVALID_URL');
  });

  it('reports a 404 as URL_FETCH_FAILED with the status', async () => {
    const err = await expectCode(fetchImage(`${base}/missing.jpg`, LOCAL), 'URL_FETCH_FAILED');
    expect(err.message).toContain('404');
    expect(err.details).toMatchObject({ status: 404 });
  });

  it('rejects a declared Content-Length above maxBytes as IMAGE_TOO_LARGE', async () => {
    const err = await expectCode(fetchImage(`${base}/big-with-length`, { ...LOCAL, maxBytes: SMALL_MAX }), 'IMAGE_TOO_LARGE');
    expect(err.message).toContain(String(SMALL_MAX));
    expect(err.details).toMatchObject({ contentLength: JPEG.length });
  });

  it('aborts an endless body without Content-Length once it exceeds maxBytes', async () => {
    await expectCode(fetchImage(`${base}/big-chunked`, { ...LOCAL, maxBytes: SMALL_MAX }), 'IMAGE_TOO_LARGE');
  });

  it('times out a server that never answers', async () => {
    await expectCode(fetchImage(`${base}/hang`, { ...LOCAL, timeoutMs: 300 }), 'URL_TIMEOUT');
  });

  it('times out a body that trickles forever', async () => {
    await expectCode(fetchImage(`${base}/slow-body`, { ...LOCAL, timeoutMs: 300 }), 'URL_TIMEOUT');
  });

  it('reports a refused connection as URL_FETCH_FAILED', async () => {
    // Bind and close a port on 127.0.0.1 so that nothing listens there.
    const tmp = http.createServer();
    await new Promise<void>((resolve) => tmp.listen(0, '127.0.0.1', resolve));
    const closedPort = (tmp.address() as AddressInfo).port;
    await new Promise<void>((resolve) => tmp.close(() => resolve()));
    const err = await expectCode(fetchImage(`http://127.0.0.1:${closedPort}/x.jpg`, LOCAL), 'URL_FETCH_FAILED');
    expect(err.message).not.toContain('ECONNREFUSED');
  });
});

describe('createSafeAgent: the address check runs at connect time (DNS-rebinding guard)', () => {
  it('refuses to connect to a host name that resolves to a forbidden address', async () => {
    // Bypasses fetchImage's pre-check: only the agent's lookup hook stands in the way.
    const agent = createSafeAgent([]);
    const before = hits.length;
    try {
      const err = await request(`http://localhost:${port}/x.jpg`, { dispatcher: agent }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(FaceError);
      expect((err as FaceError).code).toBe('URL_FORBIDDEN');
      expect(hits.length).toBe(before);
    } finally {
      await agent.destroy();
    }
  });

  it('connects when the host name is allow-listed', async () => {
    const agent = createSafeAgent(['localhost']);
    try {
      const res = await request(`http://localhost:${port}/x.jpg`, { dispatcher: agent });
      expect(res.statusCode).toBe(200);
      expect(Buffer.from(await res.body.arrayBuffer()).equals(JPEG)).toBe(true);
    } finally {
      await agent.destroy();
    }
  });
});
