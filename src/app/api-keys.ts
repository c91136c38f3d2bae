/**
 * API keys (FACEGRAPH_API_KEYS). Unset, the service is open. Set, the Azure-compatible REST
 * surface needs `Ocp-Apim-Subscription-Key`, and GraphQL that header or `Authorization: Bearer`.
 * Keys are compared in constant time on their SHA-256 digests (equal length, so timingSafeEqual
 * never throws and the key's length does not leak) and are never logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export class ApiKeyChecker {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  /** False when no keys are configured: every request is allowed. */
  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /** True when `candidate` is one of the configured keys. Checks every key, whichever matches. */
  matches(candidate: string | undefined): boolean {
    if (!candidate) return false;
    const d = digest(candidate);
    let ok = false;
    for (const known of this.digests) ok = timingSafeEqual(known, d) || ok;
    return ok;
  }

  /** REST surface: Azure's own header only. */
  allowsRest(headers: IncomingHttpHeaders): boolean {
    return !this.enabled || this.matches(single(headers['ocp-apim-subscription-key']));
  }

  /** GraphQL: `Ocp-Apim-Subscription-Key` or `Authorization: Bearer <key>`. */
  allowsGraphQL(headers: IncomingHttpHeaders): boolean {
    if (!this.enabled) return true;
    if (this.matches(single(headers['ocp-apim-subscription-key']))) return true;
    const auth = single(headers.authorization);
    const bearer = auth && /^Bearer\s+(.+)$/i.exec(auth.trim());
    return Boolean(bearer && this.matches(bearer[1]));
  }
}

const digest = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();
const single = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);
