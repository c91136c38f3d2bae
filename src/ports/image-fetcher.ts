/** The image-download port: fetches an image URL under a policy (size, time, redirects, allowed hosts). */

export interface FetchPolicy {
  /** Largest body accepted, in bytes. */
  maxBytes: number;
  /** Deadline for the whole download (DNS, connect, all redirect hops, body). */
  timeoutMs: number;
  /** How many redirects are followed before giving up. */
  maxRedirects: number;
  /**
   * Hosts permitted even though they are not public: hostnames (`localhost`), IPs
   * (`127.0.0.1`) or CIDRs (`127.0.0.1/32`, `fd00::/8`). Empty in production.
   */
  allowPrivateHosts: readonly string[];
}

/**
 * Downloads `url` under `policy`. Throws FaceError INVALID_URL, URL_FORBIDDEN (private network),
 * URL_FETCH_FAILED, URL_TIMEOUT or IMAGE_TOO_LARGE. The adapter is src/adapters/net/safe-fetch.ts.
 */
export type ImageFetcher = (url: string, policy: FetchPolicy) => Promise<Buffer>;
