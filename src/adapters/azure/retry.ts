/**
 * The retry policy's pure parts: how long the upstream asked us to wait, and the backoff when
 * it did not say.
 */

type Headers = Record<string, string | string[] | undefined>;

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v)?.trim();

/**
 * Milliseconds to wait before retrying, as the upstream asked, or null when it did not say.
 * Honours what the Azure SDKs honour: `retry-after-ms` and `x-ms-retry-after-ms` (milliseconds)
 * before `Retry-After` (delta-seconds or an HTTP date).
 */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | null {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const raw = first(headers[name]);
    if (raw && /^\d+(\.\d+)?$/.test(raw)) return Math.ceil(Number(raw));
  }
  const raw = first(headers['retry-after']);
  if (!raw) return null;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.ceil(Number(raw) * 1000);
  const date = Date.parse(raw);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}

/** Seconds for the `retryAfterSeconds` detail: at least 1, so "retry at once" is never promised. */
export const toRetryAfterSeconds = (ms: number | null): number | null => (ms === null ? null : Math.max(1, Math.ceil(ms / 1000)));

/** Backoff never grows beyond this, whatever the attempt number. */
export const MAX_BACKOFF_MS = 30_000;

/**
 * Exponential backoff with "equal jitter": half of base·2^attempt for sure, the other half at
 * random, so concurrent callers spread out but none retries immediately. attempt is 0-based.
 */
export function backoffMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const exp = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** attempt);
  return Math.round(exp / 2 + random() * (exp / 2));
}
