/**
 * API keys (FACEGRAPH_API_KEYS, FACEGRAPH_API_KEYS_FILE). Unset, the service is open. Set, the
 * Azure-compatible REST surface needs `Ocp-Apim-Subscription-Key`, and GraphQL that header or
 * `Authorization: Bearer`. Keys are compared in constant time on their SHA-256 digests (equal
 * length, so timingSafeEqual never throws and the key's length does not leak) and are never logged.
 *
 * The keys can be replaced while serving (`replace`, on SIGHUP: docs/operations.md#api-keys): a
 * request is checked once, against the set of that moment, so requests in flight are unaffected.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface ApiKeyOptions {
  /**
   * Keys are required even when the set is empty (a keys file is configured): emptying the file
   * locks the service, never opens it.
   */
  required?: boolean;
}

export class ApiKeyChecker {
  private digests: Buffer[];
  private readonly required: boolean;

  constructor(keys: readonly string[], options: ApiKeyOptions = {}) {
    this.digests = keys.map(digest);
    this.required = options.required ?? false;
  }

  /** False when no keys are configured: every request is allowed. */
  get enabled(): boolean {
    return this.required || this.digests.length > 0;
  }

  /** How many keys are accepted now. */
  get size(): number {
    return this.digests.length;
  }

  /** Accepts exactly `keys` from now on (key rotation). */
  replace(keys: readonly string[]): void {
    this.digests = keys.map(digest);
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
    return !this.enabled || this.matches(restKey(headers));
  }

  /** GraphQL: `Ocp-Apim-Subscription-Key` or `Authorization: Bearer <key>`. */
  allowsGraphQL(headers: IncomingHttpHeaders): boolean {
    if (!this.enabled) return true;
    if (this.matches(restKey(headers))) return true;
    return this.matches(bearerKey(headers));
  }

  /**
   * Whose budget an allowed request spends (RequestBudget): `key:` and the key's SHA-256 (the same
   * on every replica, never the key), or `ip:` and the client address when no keys are configured.
   */
  subjectFor(surface: 'rest' | 'graphql', headers: IncomingHttpHeaders, clientAddress: string | undefined): string {
    if (this.enabled) {
      const rest = restKey(headers);
      const key = surface === 'rest' || this.matches(rest) ? rest : bearerKey(headers);
      if (key) return `key:${digest(key).toString('hex')}`;
    }
    return `ip:${clientAddress ?? 'unknown'}`;
  }
}

const digest = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();
const single = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);
const restKey = (headers: IncomingHttpHeaders): string | undefined => single(headers['ocp-apim-subscription-key']);
function bearerKey(headers: IncomingHttpHeaders): string | undefined {
  const auth = single(headers.authorization);
  const bearer = auth && /^Bearer\s+(.+)$/i.exec(auth.trim());
  return bearer ? bearer[1] : undefined;
}
