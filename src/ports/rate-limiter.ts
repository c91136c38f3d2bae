/**
 * A budget of points per subject (an API key's digest, or a client address) per time window,
 * shared by every replica that uses the same backing store. rate-limiter-flexible's memory
 * limiter implements it now (adapters/ratelimit); its Redis limiter drops in behind the same port.
 */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

export interface RateLimiter {
  /** Takes `points` (default 1) from `subject`'s budget, or says how long until they would fit. */
  consume(subject: string, points?: number): Promise<RateDecision>;
}
