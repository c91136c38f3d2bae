/**
 * The one ioredis client of a process (FACEGRAPH_REDIS_URL), shared by the faceId registry,
 * the rate limiters and the event bus's PUBLISH (its SUBSCRIBE has a second connection of its
 * own, opened the same way: a subscribed connection can run no other command). Tuned to fail
 * fast rather than wait: a request must get STORE_UNAVAILABLE in about `commandTimeoutMs` while
 * Redis is away, never hang until it comes back.
 *
 * - enableOfflineQueue false: while disconnected, a command is refused at once instead of
 *   being queued until the reconnect (which may be never);
 * - maxRetriesPerRequest 0: a command in flight when the connection drops fails at once
 *   instead of being replayed on the next connection;
 * - commandTimeout: a Redis that accepts the connection but does not answer (paused, swapping)
 *   fails the command too;
 * - retryStrategy: reconnect for ever, every 100 ms growing to 2 s, so the service recovers on
 *   its own when Redis is back.
 */
import { Redis } from 'ioredis';
import type { RedisConfig } from '../../platform/config.js';
import type { Logger } from '../../platform/logger.js';

export type { Redis };

/**
 * Connects and waits until Redis answers: an unreachable Redis stops start-up, like PostgreSQL.
 * `unreachable` is the warning logged while it is away (what stops working).
 */
export async function openRedis(
  config: RedisConfig,
  logger: Logger,
  unreachable = 'Redis is unreachable; faceId requests answer STORE_UNAVAILABLE until it is back',
): Promise<Redis> {
  const client = new Redis(config.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: config.commandTimeoutMs,
    connectTimeout: Math.max(1000, config.commandTimeoutMs),
    retryStrategy: (times) => Math.min(100 * times, 2000),
    // No auto-pipelining: the adapters batch on purpose (MGET, pipelines), and a slow batch
    // must not hold up the rate limiter's one small command.
  });
  // Without a listener ioredis prints every reconnect failure to stderr; log them once per state change.
  let down = false;
  let lastError: Error | null = null;
  client.on('error', (err: Error) => {
    lastError = err;
    if (!down) logger.warn({ err: err.message }, unreachable);
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.info('Redis is reachable again');
    down = false;
  });
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    // The socket's own error ("connect ECONNREFUSED host:port") says more than "Connection is closed".
    const reason = (lastError as Error | null)?.message ?? (err as Error).message;
    throw new Error(`FACEGRAPH_REDIS_URL: cannot connect to Redis: ${reason}`, { cause: err });
  }
  return client;
}

/** Closes the client: QUIT when connected (pending replies arrive first), else just disconnect. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    await client.quit().catch(() => client.disconnect());
  } else {
    client.disconnect();
  }
}
