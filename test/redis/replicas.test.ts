/**
 * Two facegraph replicas on one Redis and key prefix: one API key's FACEGRAPH_RATE_LIMIT_RPS is
 * one budget for both (RateLimiterRedis), so requests alternating between them run out of it
 * together — the first refusal comes from a replica that has itself served fewer requests than
 * the budget, which a per-process limiter would have let through. 429 with Retry-After on REST
 * and GraphQL; served again after the advertised wait. And a faceId detected on one replica is
 * found on the other (the shared registry). No timing assertions: a burst that took so long
 * that the one-second window could have rolled over is discarded and tried again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceBase64 } from '../helpers/paths.js';
import { deletePrefix, testClient, testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const url = testRedisUrl();
const KEY = 'replica-shared-key-0123456789';
const RPS = 3;
const prefix = uniquePrefix();

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!url)('two replicas sharing one Redis', () => {
  let replicas: [TestServer, TestServer];

  beforeAll(async () => {
    const env = {
      FACEGRAPH_REDIS_URL: url,
      FACEGRAPH_REDIS_PREFIX: prefix,
      FACEGRAPH_API_KEYS: KEY,
      FACEGRAPH_RATE_LIMIT_RPS: String(RPS),
      FACEGRAPH_WORKERS: '1',
    };
    replicas = [await startTestServer(env, undefined, 'embedded'), await startTestServer(env, undefined, 'embedded')];
  });

  afterAll(async () => {
    await Promise.all((replicas ?? []).map((r) => r?.stop()));
    const admin = testClient(url);
    await deletePrefix(admin, prefix);
    admin.disconnect();
  });

  const restOn = (i: number): Promise<Response> =>
    fetch(`${replicas[i % 2]!.url.replace(/\/graphql$/, '')}/face/v1.2/facelists`, { headers: { 'ocp-apim-subscription-key': KEY } });

  /** Requests one at a time, alternating replicas, until the first 429: its index and answer. */
  async function burst(): Promise<{ index: number; refused: Response; tookMs: number }> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const started = Date.now();
      for (let i = 0; i < 2 * RPS + 2; i++) {
        const res = await restOn(i);
        if (res.status === 429) {
          const tookMs = Date.now() - started;
          // Slower than the window allows a conclusion about: wait for a fresh budget and retry.
          if (tookMs < 800) return { index: i, refused: res, tookMs };
          break;
        }
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      }
      await sleep(1100);
    }
    throw new Error('no burst fit in one rate-limit window in 5 attempts');
  }

  it('REST: alternating requests spend one shared budget; 429 with Retry-After, then served again', async () => {
    const { index, refused } = await burst();
    // Replica A served ceil(RPS/2), B floor(RPS/2): each under RPS, yet request RPS+1 is refused.
    expect(index).toBe(RPS);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    const body = (await refused.json()) as { error: { code: string; innererror?: { code: string } } };
    expect(body.error.code).toBe('429');
    expect(body.error.innererror?.code).toBe('RATE_LIMITED');
    // The other replica refuses too: the budget is the key's, not the replica's.
    expect((await restOn(index + 1)).status).toBe(429);

    await sleep(retryAfter * 1000);
    expect((await restOn(0)).status).toBe(200);
    expect((await restOn(1)).status).toBe(200);
  });

  it('GraphQL on the other replica is refused from the same budget (429, RATE_LIMITED, retryAfterSeconds)', async () => {
    await sleep(1100);
    const { index } = await burst();
    const other = replicas[(index + 1) % 2]!;
    const res = await other.gql('{ capabilities { provider } }', undefined, { authorization: `Bearer ${KEY}` });
    expect(res.status).toBe(429);
    expect(res.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(Number(res.errors?.[0]?.extensions?.retryAfterSeconds)).toBeGreaterThanOrEqual(1);
  });

  it('a faceId detected on one replica is found on the other', async () => {
    await sleep(1100);
    const auth = { authorization: `Bearer ${KEY}` };
    const detected = await replicas[0].gql<{ detectFaces: Array<{ faceId: string }> }>(
      'query($b: String) { detectFaces(image: { base64: $b }) { faceId } }',
      { b: faceBase64('people/obama/1.jpg') },
      auth,
    );
    expect(detected.errors).toBeUndefined();
    const faceId = detected.data!.detectFaces[0]!.faceId;
    const seen = await replicas[1].gql<{ face: { faceId: string } | null }>(
      'query($id: ID!) { face(faceId: $id) { faceId } }',
      { id: faceId },
      auth,
    );
    expect(seen.data?.face?.faceId).toBe(faceId);
  });
});
