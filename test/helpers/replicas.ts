/**
 * The settings two replicas of the shared-store suites start with: one PostgreSQL database and
 * one Redis key prefix between them, one engine worker each (two replicas on a 2-core machine).
 * The light challenge is off: these suites upload the clip's frames as filmed, with no screen
 * light on the face (test/e2e/liveness-light.test.ts and the browser test cover it).
 */
export function sharedReplicaEnv(databaseUrl: string, redisUrl: string, prefix: string): Record<string, string> {
  return {
    FACEGRAPH_DATABASE_URL: databaseUrl,
    FACEGRAPH_REDIS_URL: redisUrl,
    FACEGRAPH_REDIS_PREFIX: prefix,
    FACEGRAPH_WORKERS: '1',
    FACEGRAPH_LIVENESS_LIGHT: 'off',
  };
}
