/**
 * The RateLimiter port over rate-limiter-flexible: any of its limiters (memory now; a
 * RateLimiterRedis shared by the replicas later, built with the same points and duration).
 */
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
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
