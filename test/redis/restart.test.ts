/**
 * A real facegraph (embedded engine, real photos) with its faceIds in Redis, and Redis restarted
 * mid-run (its own redis-server, no persistence, same port). While Redis is down, what needs
 * the registry answers STORE_UNAVAILABLE — GraphQL `extensions.code` with `retryAfterSeconds`,
 * REST 503 ServiceUnavailable with Retry-After — and everything else is served. When Redis is
 * back the server recovers by itself; faces registered before the restart are unknown faceIds
 * (Redis kept nothing), as documented in docs/operations.md#redis.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestRedis, type TestRedis } from '../../tools/test-redis.js';
import { face, faceBase64 } from '../helpers/paths.js';
import { uniquePrefix } from '../helpers/redis.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const binary = inject('redisServer');

const DETECT = 'query($b: String) { detectFaces(image: { base64: $b }) { faceId } }';
const DETECT_NO_ID =
  'query($b: String) { detectFaces(image: { base64: $b }, options: { returnFaceId: false }) { faceRectangle { width } } }';
const VERIFY =
  'mutation($a: ID, $b: ID) { verifyFaces(input: { face1: { faceId: $a }, face2: { faceId: $b } }) { verification { isIdentical } userErrors { code } } }';
const FACE = 'query($id: ID!) { face(faceId: $id) { faceId } }';

interface Verify {
  verifyFaces: { verification: { isIdentical: boolean } | null; userErrors: Array<{ code: string }> } | null;
}

describe.skipIf(!binary)('Redis restarted under a running facegraph', () => {
  let redis: TestRedis;
  let server: TestServer;
  let rest: string;

  beforeAll(async () => {
    redis = await startTestRedis({ binary });
    server = await startTestServer(
      {
        FACEGRAPH_REDIS_URL: redis.url,
        FACEGRAPH_REDIS_PREFIX: uniquePrefix(),
        FACEGRAPH_REDIS_TIMEOUT_MS: '500',
        FACEGRAPH_WORKERS: '1',
        // A budget on Redis too (per client address, no keys here), far above what the test sends:
        // while Redis is down the memory insurance limiter must keep admitting requests.
        FACEGRAPH_RATE_LIMIT_RPS: '1000',
      },
      undefined,
      'embedded',
    );
    rest = server.url.replace(/\/graphql$/, '/face/v1.2');
  });

  afterAll(async () => {
    await server?.stop();
    await redis?.stop();
  });

  const detect = async (file: string): Promise<string> => {
    const res = await server.gql<{ detectFaces: Array<{ faceId: string }> }>(DETECT, { b: faceBase64(file) });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data!.detectFaces[0]!.faceId;
  };
  const restVerify = (faceId1: string, faceId2: string): Promise<Response> =>
    fetch(`${rest}/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ faceId1, faceId2 }),
    });

  it('answers the coded retryable error while Redis is down, serves the rest, and recovers with the old faceIds unknown', async () => {
    // Before: detect on GraphQL and REST, verify.
    const a = await detect('people/obama/1.jpg');
    const restDetect = await fetch(`${rest}/detect?returnFaceId=true&recognitionModel=recognition_04`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(face('people/obama/2.jpg')),
    });
    expect(restDetect.status).toBe(200);
    const b = ((await restDetect.json()) as Array<{ faceId: string }>)[0]!.faceId;
    const before = await server.gql<Verify>(VERIFY, { a, b });
    expect(before.data?.verifyFaces?.verification?.isIdentical, JSON.stringify(before)).toBe(true);

    await redis.stop();

    // GraphQL: a GraphQL error with the code and its retry hint (not a userError, not INTERNAL_SERVER_ERROR).
    const verify = await server.gql<Verify>(VERIFY, { a, b });
    expect(verify.data?.verifyFaces ?? null).toBeNull();
    expect(verify.errors?.[0]?.extensions?.code).toBe('STORE_UNAVAILABLE');
    expect(verify.errors?.[0]?.extensions?.retryAfterSeconds).toBe(1);
    expect(JSON.stringify(verify.errors)).not.toMatch(/stack|ECONNREFUSED|127\.0\.0\.1/);
    const lookup = await server.gql(FACE, { id: a });
    expect(lookup.errors?.[0]?.extensions?.code).toBe('STORE_UNAVAILABLE');
    const detectDown = await server.gql(DETECT, { b: faceBase64('people/obama/3.jpg') });
    expect(detectDown.errors?.[0]?.extensions?.code).toBe('STORE_UNAVAILABLE');

    // REST: Azure's 503 envelope with facegraph's code inside and Retry-After.
    const restDown = await restVerify(a, b);
    expect(restDown.status).toBe(503);
    expect(restDown.headers.get('retry-after')).toBe('1');
    const body = (await restDown.json()) as { error: { code: string; innererror?: { code: string } } };
    expect(body.error.code).toBe('ServiceUnavailable');
    expect(body.error.innererror?.code).toBe('STORE_UNAVAILABLE');

    // Everything that does not need the registry is still served.
    const noId = await server.gql<{ detectFaces: Array<{ faceRectangle: { width: number } }> }>(DETECT_NO_ID, {
      b: faceBase64('people/obama/1.jpg'),
    });
    expect(noId.errors).toBeUndefined();
    expect(noId.data?.detectFaces).toHaveLength(1);
    expect((await server.gql('{ capabilities { provider } }')).data).toEqual({ capabilities: { provider: 'embedded' } });
    expect((await fetch(server.url.replace(/\/graphql$/, '/healthz'))).status).toBe(200);

    // Redis back on the same port, empty: the client reconnects by itself (no facegraph restart).
    redis = await startTestRedis({ binary, port: redis.port });
    await expect
      .poll(async () => (await server.gql(DETECT, { b: faceBase64('people/obama/3.jpg') })).errors?.[0]?.extensions?.code ?? 'ok', {
        timeout: 20_000,
        interval: 250,
      })
      .toBe('ok');
    const c = await detect('people/obama/3.jpg');
    const d = await detect('people/obama/4.jpg');
    const after = await server.gql<Verify>(VERIFY, { a: c, b: d });
    expect(after.data?.verifyFaces?.verification?.isIdentical).toBe(true);

    // The faces of before the restart are gone with Redis's memory: unknown faceIds, as documented.
    const old = await server.gql<Verify>(VERIFY, { a, b: c });
    expect(old.data?.verifyFaces?.userErrors.map((e) => e.code)).toEqual(['FACE_NOT_FOUND']);
    expect((await server.gql<{ face: null }>(FACE, { id: a })).data?.face).toBeNull();
    expect((await restVerify(a, c)).status).toBe(404);
  });
});
