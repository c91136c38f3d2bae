/**
 * The FaceRegistry contract on Redis (a real redis-server, project `redis`), and what only a
 * shared store has: replicas on one prefix share faces, the value is compact binary under a
 * key with Redis's own TTL, a batch is one MGET, and an unreachable Redis is STORE_UNAVAILABLE
 * (fast, retryable) until it is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { openRedis, closeRedis } from '../../src/adapters/store/redis-client.js';
import { RedisFaceRegistry } from '../../src/adapters/store/redis-face-registry.js';
import { FaceError } from '../../src/domain/errors.js';
import type { FaceRegistry } from '../../src/ports/face-registry.js';
import { createLogger } from '../../src/platform/logger.js';
import { startTestRedis } from '../../tools/test-redis.js';
import { faceRegistryContract, fullFace } from '../contracts/face-registry.js';
import { deletePrefix, testClient, testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { inject } from 'vitest';

const url = testRedisUrl();
const logger = createLogger('silent');
const models = { detectionModel: 'detection_03', recognitionModel: 'recognition_04' } as const;
const open = (redisUrl = url, commandTimeoutMs = 1000): Promise<Redis> =>
  openRedis({ url: redisUrl, prefix: 'unused:', commandTimeoutMs }, logger);

describe.skipIf(!url)('Redis faceId registry', () => {
  faceRegistryContract('redis', async () => {
    const clients: Redis[] = [];
    const prefixes: string[] = [];
    const make = async (): Promise<RedisFaceRegistry> => {
      const client = await open();
      clients.push(client);
      const prefix = uniquePrefix();
      prefixes.push(prefix);
      return new RedisFaceRegistry(client, { prefix });
    };
    const registry = await make();
    return {
      registry,
      elapse: (ms) => new Promise((r) => setTimeout(r, ms)),
      isolated: make,
      async destroy() {
        const admin = testClient();
        for (const prefix of prefixes) await deletePrefix(admin, prefix);
        admin.disconnect();
        for (const client of clients) await closeRedis(client);
      },
    };
  });

  describe('shared store', () => {
    let a: Redis;
    let b: Redis;
    let admin: Redis;
    const prefix = uniquePrefix();
    beforeAll(async () => {
      [a, b] = await Promise.all([open(), open()]);
      admin = testClient();
    });
    afterAll(async () => {
      await deletePrefix(admin, prefix);
      admin.disconnect();
      await closeRedis(a);
      await closeRedis(b);
    });

    it('two replicas on one prefix see each other’s faces', async () => {
      const one = new RedisFaceRegistry(a, { prefix });
      const two = new RedisFaceRegistry(b, { prefix });
      const entry = await one.register(fullFace(), models, 600);
      expect((await two.get(entry.faceId))?.faceId).toBe(entry.faceId);
    });

    it('stores one key per face, compact binary, with Redis’s TTL = the faceId’s validity', async () => {
      const registry = new RedisFaceRegistry(a, { prefix });
      const entry = await registry.register(fullFace(), models, 120);
      const key = `${prefix}face:${entry.faceId}`;
      const ttl = await admin.pttl(key);
      expect(ttl).toBeGreaterThan(100_000);
      expect(ttl).toBeLessThanOrEqual(120_000);
      const value = (await admin.getBuffer(key))!;
      // 128 float32 = 512 bytes of embedding + a small header; a JSON array of those floats alone is ~2.5 KB.
      expect(value.length).toBeLessThan(2500);
      expect(value.subarray(value.length - 512).readFloatLE(12)).toBe(fullFace().embedding![3]);
      expect((registry as FaceRegistry).size).toBeUndefined();
    });

    it('answers a batch of faceIds, and single reads issued together, with one MGET', async () => {
      const registry = new RedisFaceRegistry(a, { prefix });
      const ids = (
        await registry.registerMany(
          Array.from({ length: 100 }, (_, i) => fullFace(i)),
          models,
          600,
        )
      ).map((e) => e.faceId);
      const mgets = async (): Promise<number> => {
        const info = await admin.info('commandstats');
        return Number(/cmdstat_mget:calls=(\d+)/.exec(info)?.[1] ?? 0);
      };
      let before = await mgets();
      await registry.getMany(ids);
      expect((await mgets()) - before).toBe(1);
      before = await mgets();
      const singles = await Promise.all(ids.map((id) => registry.get(id)));
      expect(singles.every(Boolean)).toBe(true);
      expect((await mgets()) - before).toBe(1);
    });
  });

  describe.skipIf(!inject('redisServer'))('Redis going away', () => {
    it('is STORE_UNAVAILABLE (retryable) at once while Redis is down, and works again when it is back', async () => {
      const own = await startTestRedis({ binary: inject('redisServer') });
      const client = await open(own.url, 500);
      const registry = new RedisFaceRegistry(client, { prefix: uniquePrefix() });
      try {
        const before = await registry.register(fullFace(), models, 600);
        await own.stop();
        for (const call of [
          () => registry.get(before.faceId),
          () => registry.getMany([before.faceId]),
          () => registry.register(fullFace(), models, 60),
        ]) {
          const err: unknown = await call().then(
            () => null,
            (e: unknown) => e,
          );
          expect(err).toBeInstanceOf(FaceError);
          expect((err as FaceError).code).toBe('STORE_UNAVAILABLE');
          expect((err as FaceError).isInfrastructure).toBe(true);
          expect((err as FaceError).details.retryAfterSeconds).toBe(1);
        }
        // Same port, empty (no persistence): the client reconnects by itself.
        const again = await startTestRedis({ binary: inject('redisServer'), port: own.port });
        try {
          await expect.poll(() => client.status, { timeout: 15_000, interval: 100 }).toBe('ready');
          expect(await registry.get(before.faceId)).toBeUndefined();
          const after = await registry.register(fullFace(), models, 600);
          expect((await registry.get(after.faceId))?.faceId).toBe(after.faceId);
        } finally {
          await closeRedis(client);
          await again.stop();
        }
      } finally {
        await own.stop();
      }
    });
  });
});
