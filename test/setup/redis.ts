/**
 * globalSetup of the vitest project `redis`: starts a throwaway `redis-server` (the system's,
 * tools/test-redis.ts) on a free loopback port in a temp folder, without persistence, and hands
 * its URL to the tests (inject('redisUrl')); stops it afterwards.
 *
 * FACEGRAPH_TEST_REDIS_URL=redis://… uses a Redis of your own instead (tests isolate themselves
 * by key prefix and delete only their own keys).
 *
 * redis-server is not on npm. When it is missing: with REQUIRE_SERVICES=1 or CI=true the run
 * fails (CI installs it, .ci/run); otherwise one loud line is printed and the project's tests
 * skip (inject('redisUrl') is '').
 */
import type { TestProject } from 'vitest/node';
import { findRedisServer, startTestRedis } from '../../tools/test-redis.js';

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const binary = findRedisServer() ?? '';
  // The restart test needs the binary even with a Redis of your own: it starts and stops its own.
  project.provide('redisServer', binary);
  const own = process.env.FACEGRAPH_TEST_REDIS_URL?.trim();
  if (own) {
    project.provide('redisUrl', own);
    return undefined;
  }
  if (!binary) {
    const required = process.env.REQUIRE_SERVICES === '1' || process.env.CI === 'true';
    const how = 'install it (sudo apt-get install redis-server) or set FACEGRAPH_TEST_REDIS_URL=redis://…';
    if (required) throw new Error(`redis-server is not on PATH and REQUIRE_SERVICES/CI asks for every service: ${how}`);
    console.warn(`\n!!!!! vitest project "redis": redis-server is not on PATH, its tests are SKIPPED: ${how} !!!!!\n`);
    project.provide('redisUrl', '');
    return undefined;
  }
  const server = await startTestRedis({ binary });
  project.provide('redisUrl', server.url);
  return () => server.stop();
}
