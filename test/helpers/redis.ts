/**
 * Redis for tests: the server the `redis` vitest project's globalSetup started (test/setup/redis.ts)
 * or the one FACEGRAPH_TEST_REDIS_URL names, and a unique key prefix per use so tests never see
 * each other's keys (and can delete exactly theirs).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The test Redis's URL; '' when redis-server is missing and the project's tests skip. */
    redisUrl: string;
    /** The redis-server binary ('' when not on PATH), for tests that start and stop their own. */
    redisServer: string;
  }
}

/** The test Redis's URL, or '' (then the caller skips; test/setup/redis.ts said why, loudly). */
export const testRedisUrl = (): string => inject('redisUrl') ?? '';

/** A prefix no other test uses: `fgtest-<random>:`. */
export const uniquePrefix = (): string => `fgtest-${randomBytes(6).toString('hex')}:`;

/** A plain client for checks and clean-up (offline queue on: tests wait for the connection). */
export function testClient(url = testRedisUrl()): Redis {
  return new Redis(url, { maxRetriesPerRequest: 3 });
}

/** Deletes every key under `prefix` (SCAN: fine for a test's few keys). */
export async function deletePrefix(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length) await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
