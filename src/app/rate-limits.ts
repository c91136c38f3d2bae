/**
 * Per-key budgets. Requests (FACEGRAPH_RATE_LIMIT_RPS): every operation an edge serves for an
 * authenticated caller takes one point from the caller's budget first; an empty budget is
 * RATE_LIMITED with `retryAfterSeconds`, before any body is read or any work is queued. Pixels
 * (FACEGRAPH_RATE_LIMIT_MPIXELS_PER_S): each image accepted for the caller is charged its
 * width x height (read from the header) before it goes to the provider. The subject is the API
 * key's digest (never the key) or, with no keys configured, the client address
 * (ApiKeyChecker.subjectFor). Probes and /metrics are never charged; see docs/operations.md.
 */
import sharp from 'sharp';
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
    throw rateLimited('requests', decision.retryAfterMs);
  }
}

/** Pixels are counted in points of 1000 (kilopixels). */
const PIXELS_PER_POINT = 1000;

export class PixelBudget {
  private readonly pointsPerSecond: number;

  /** `limiter` null: no limit; else it holds `megapixelsPerSecond` x 1000 points a second. */
  constructor(
    private readonly limiter: RateLimiter | null,
    megapixelsPerSecond: number,
  ) {
    this.pointsPerSecond = pixelPoints(megapixelsPerSecond);
  }

  get enabled(): boolean {
    return this.limiter !== null;
  }

  /**
   * Charges `subject` the image's pixels, or throws RATE_LIMITED. An image larger than a whole
   * second's budget is charged the whole budget (it is served when the budget is full, never
   * refused forever). Bytes whose header cannot be read are not charged: decoding fails later.
   */
  async charge(subject: string | undefined, bytes: Buffer): Promise<void> {
    if (!this.limiter || subject === undefined) return;
    const pixels = await headerPixels(bytes);
    if (pixels === 0) return;
    const points = Math.min(this.pointsPerSecond, Math.max(1, Math.ceil(pixels / PIXELS_PER_POINT)));
    const decision = await this.limiter.consume(subject, points);
    if (!decision.allowed) throw rateLimited('image pixels', decision.retryAfterMs);
  }
}

/** The limiter points a second of `megapixelsPerSecond` is (at least 1). */
export const pixelPoints = (megapixelsPerSecond: number): number =>
  Math.max(1, Math.round((megapixelsPerSecond * 1_000_000) / PIXELS_PER_POINT));

async function headerPixels(bytes: Buffer): Promise<number> {
  try {
    // Header only: no pixel is decoded. limitInputPixels off: the engine's own guard refuses giants.
    const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    return (meta.width ?? 0) * (meta.height ?? 0);
  } catch {
    return 0;
  }
}

function rateLimited(what: string, retryAfterMs: number): FaceError {
  const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new FaceError('RATE_LIMITED', `Rate limit is exceeded: too many ${what} for this API key. Retry after ${retryAfterSeconds} s.`, {
    retryAfterSeconds,
  });
}
