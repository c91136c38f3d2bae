/**
 * The RateLimiter port over rate-limiter-flexible: a memory limiter for one process, or a
 * RateLimiterRedis (FACEGRAPH_REDIS_URL) whose budget every replica on that Redis shares.
 */
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateDecision, RateLimiter } from '../../ports/rate-limiter.js';

export function flexibleRateLimiter(limiter: RateLimiterAbstract): RateLimiter {
  return {
    async consume(subject: string, points = 1): Promise<RateDecision> {
      try {
        await limiter.consume(subject, points);
        return { allowed: true };
      } catch (err) {
        // A refusal rejects with a RateLimiterRes; anything else (a store error) is a real failure.
        if (err instanceof RateLimiterRes) return { allowed: false, retryAfterMs: Math.max(0, err.msBeforeNext) };
        throw err;
      }
    },
  };
}

/** `pointsPerSecond` points per subject per second, in this process only. */
export function memoryRateLimiter(pointsPerSecond: number, keyPrefix: string): RateLimiter {
  return flexibleRateLimiter(new RateLimiterMemory({ points: pointsPerSecond, duration: 1, keyPrefix }));
}

/**
 * `pointsPerSecond` points per subject per second, shared by every process on this Redis and
 * key prefix (one Lua INCR + PTTL per charge: one round trip).
 *
 * Redis down: rather than refuse every request (the limiter is not what the request needs) or
 * let every request through, the charge falls to a memory insurance limiter with the same
 * budget: each replica then enforces the budget on its own until Redis is back, so N replicas
 * admit up to N times the budget meanwhile. rejectIfRedisNotReady makes that switch at once
 * while disconnected, instead of after a command timeout per request.
 */
export function redisRateLimiter(redis: Redis, pointsPerSecond: number, keyPrefix: string): RateLimiter {
  return flexibleRateLimiter(
    new RateLimiterRedis({
      storeClient: redis,
      points: pointsPerSecond,
      duration: 1,
      keyPrefix,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory({ points: pointsPerSecond, duration: 1, keyPrefix }),
    }),
  );
}
