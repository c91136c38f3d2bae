/**
 * Per-key request budgets (FACEGRAPH_RATE_LIMIT_RPS): every operation an edge serves for an
 * authenticated caller takes one point from the caller's budget first; an empty budget is
 * RATE_LIMITED with `retryAfterSeconds`, before any body is read or any work is queued. The
 * subject is the API key's digest (never the key) or, with no keys configured, the client address
 * (ApiKeyChecker.subjectFor). Probes and /metrics are never charged; see docs/operations.md.
 */
import { FaceError } from '../domain/errors.js';
import type { RateLimiter } from '../ports/rate-limiter.js';

export class RequestBudget {
  /** `limiter` null: no limit (FACEGRAPH_RATE_LIMIT_RPS unset or 0). */
  constructor(private readonly limiter: RateLimiter | null) {}

  get enabled(): boolean {
    return this.limiter !== null;
  }

  /** Takes one request from `subject`'s budget, or throws RATE_LIMITED. */
  async charge(subject: string): Promise<void> {
    if (!this.limiter) return;
    const decision = await this.limiter.consume(subject, 1);
    if (decision.allowed) return;
    const retryAfterSeconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    throw new FaceError('RATE_LIMITED', `Rate limit is exceeded: too many requests for this API key. Retry after ${retryAfterSeconds} s.`, {
      retryAfterSeconds,
    });
  }
}
