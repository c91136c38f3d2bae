/**
 * SSRF-safe download of a user-supplied image URL.
 *
 * Threats handled:
 * - non-http(s) schemes and embedded credentials (rejected before any I/O);
 * - hosts that resolve to loopback / private / link-local / metadata / other non-public
 *   addresses, including literal IPs in any form WHATWG URL normalises (`http://2130706433/`)
 *   and IPv6 forms that embed an IPv4 address (`::ffff:127.0.0.1`, NAT64, 6to4);
 * - DNS rebinding: the address check runs again inside the socket's `lookup` hook, so the
 *   address that is validated is exactly the address connected to;
 * - redirects to forbidden hosts (every hop is re-validated, redirects are followed manually);
 * - slow-loris servers (one deadline for the whole download) and oversized bodies (never more
 *   than maxBytes + one chunk is buffered).
 */
import { promises as dnsPromises } from 'node:dns';
import type { LookupAddress } from 'node:dns';
import net from 'node:net';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { FaceError } from '../../domain/errors.js';
import type { FetchPolicy } from '../../ports/image-fetcher.js';

export type { FetchPolicy };

export const DEFAULT_FETCH_POLICY: Readonly<FetchPolicy> = Object.freeze({
  maxBytes: 6 * 1024 * 1024,
  timeoutMs: 10_000,
  maxRedirects: 3,
  allowPrivateHosts: [],
});

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const NAT64_PREFIX = ipaddr.parseCIDR('64:ff9b::/96');

// ---------------------------------------------------------------------------------------------
// Address classification
// ---------------------------------------------------------------------------------------------

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** Parses an IP (brackets and zone id tolerated); null if it is not an IP address. */
function parseIp(ip: string): Address | null {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  // net.isIP is strict (dotted-quad only); ipaddr.isValid would also accept "127.1" style.
  if (net.isIP(bare.split('%')[0] ?? '') === 0) return null;
  try {
    return ipaddr.parse(bare);
  } catch {
    return null;
  }
}

/** IPv4-mapped IPv6 (`::ffff:a.b.c.d`) compared as the IPv4 address it stands for. */
function unmap(addr: Address): Address {
  return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() ? (addr as ipaddr.IPv6).toIPv4Address() : addr;
}

/** The IPv4 address embedded in a NAT64 or 6to4 address, if any. */
function embeddedIPv4(v6: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = v6.parts;
  const toV4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  if (v6.match(NAT64_PREFIX)) return toV4(p[6] ?? 0, p[7] ?? 0);
  if (v6.range() === '6to4') return toV4(p[1] ?? 0, p[2] ?? 0);
  return null;
}

/**
 * True unless `ip` is an ordinary public unicast address. Fails closed: anything that does not
 * parse as an IP is forbidden. Only ipaddr.js' `unicast` range is public; IPv6 addresses that
 * embed an IPv4 address (mapped, NAT64, 6to4) are judged by the embedded address.
 */
export function isForbiddenAddress(ip: string): boolean {
  const parsed = parseIp(ip);
  if (!parsed) return true;
  const addr = unmap(parsed);
  if (addr.kind() === 'ipv4') return (addr as ipaddr.IPv4).range() !== 'unicast';

  const v6 = addr as ipaddr.IPv6;
  const embedded = embeddedIPv4(v6);
  if (embedded) return embedded.range() !== 'unicast';
  return v6.range() !== 'unicast';
}

function normaliseHostname(host: string): string {
  return host.trim().toLowerCase().replace(/\.$/, '');
}

/** Whether one allow-list entry (hostname, IP or CIDR) covers this host / resolved address. */
function matchesAllowEntry(entry: string, host: string, addr: Address | null): boolean {
  const e = entry.trim().toLowerCase();
  if (e.includes('/')) {
    if (!addr || !ipaddr.isValidCIDR(e)) return false;
    const [range, bits] = ipaddr.parseCIDR(e);
    const target = unmap(addr);
    return target.kind() === range.kind() && target.match(range, bits);
  }
  const entryIp = parseIp(e);
  if (entryIp) return addr !== null && unmap(entryIp).toString() === unmap(addr).toString();
  return normaliseHostname(e) === normaliseHostname(host);
}

/** True if the operator explicitly allowed `host` or `ip` (see FetchPolicy.allowPrivateHosts). */
export function isAllowListed(host: string, ip: string, allow: readonly string[]): boolean {
  const addr = parseIp(ip);
  return allow.some((entry) => matchesAllowEntry(entry, host, addr));
}

// ---------------------------------------------------------------------------------------------
// Resolution + validation (used both before the request and inside the socket lookup hook)
// ---------------------------------------------------------------------------------------------

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

async function resolveHost(host: string): Promise<LookupAddress[]> {
  const family = net.isIP(host);
  if (family !== 0) return [{ address: host, family }];
  let addresses: LookupAddress[];
  try {
    addresses = await dnsPromises.lookup(host, { all: true });
  } catch {
    addresses = [];
  }
  if (addresses.length === 0) {
    throw new FaceError('URL_FETCH_FAILED', `The image URL host "${host}" could not be resolved.`, {
      host,
      reason: 'DNS_LOOKUP_FAILED',
    });
  }
  return addresses;
}

/**
 * Resolves `host` and throws URL_FORBIDDEN if ANY address is non-public and not allow-listed:
 * a host with one public and one private record must not be usable to reach the private one.
 * The offending address is deliberately not echoed (it would leak internal DNS data).
 */
async function resolveAllowed(host: string, allow: readonly string[]): Promise<LookupAddress[]> {
  const addresses = await resolveHost(host);
  for (const { address } of addresses) {
    if (isForbiddenAddress(address) && !isAllowListed(host, address, allow)) {
      throw new FaceError(
        'URL_FORBIDDEN',
        `The image URL host "${host}" resolves to a loopback, private, link-local or otherwise ` +
          'non-public address; only images on the public internet can be fetched.',
        { host },
      );
    }
  }
  return addresses;
}

function familyOf(option: unknown): 0 | 4 | 6 {
  if (option === 4 || option === 'IPv4') return 4;
  if (option === 6 || option === 'IPv6') return 6;
  return 0;
}

/**
 * `lookup` for net/tls.connect that only ever hands back validated addresses. Node calls it
 * with `all: true` when happy-eyeballs (autoSelectFamily) is on, so both shapes are supported.
 * Literal IP hosts skip `lookup` entirely; they are covered by the pre-request check and cannot
 * rebind.
 */
function guardedLookup(allow: readonly string[]): LookupFunction {
  return (hostname, options, callback) => {
    resolveAllowed(stripBrackets(hostname), allow).then(
      (addresses) => {
        const family = familyOf(options.family);
        const usable = family === 0 ? addresses : addresses.filter((a) => a.family === family);
        if (options.all) return callback(null, usable);
        const first = usable[0];
        if (!first) {
          const err: NodeJS.ErrnoException = new Error(`No IPv${family} address for ${hostname}`);
          err.code = 'ENOTFOUND';
          return callback(err, '', 0);
        }
        callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}

/**
 * An undici Agent whose sockets can only connect to addresses allowed by `allow`: the check is
 * applied at connect time to the address actually used (DNS-rebinding safe). TLS SNI and the
 * Host header still use the URL's hostname because only the lookup is replaced.
 */
export function createSafeAgent(allow: readonly string[]): Agent {
  return new Agent({ connect: { lookup: guardedLookup(allow) } });
}

// ---------------------------------------------------------------------------------------------
// URL handling
// ---------------------------------------------------------------------------------------------

function parseHttpUrl(raw: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FaceError('INVALID_URL', `${what} is not a valid absolute http(s) URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FaceError('INVALID_URL', `${what} must use http or https; "${url.protocol.replace(/:$/, '')}" is not supported.`, {
      scheme: url.protocol.replace(/:$/, ''),
    });
  }
  if (url.username !== '' || url.password !== '') {
    throw new FaceError('INVALID_URL', `${what} must not contain credentials (user:password@).`);
  }
  return url;
}

/** The hostname to validate: WHATWG URL has already normalised numeric IPv4 forms. */
function hostOf(url: URL): string {
  return stripBrackets(url.hostname);
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

// ---------------------------------------------------------------------------------------------
// Download
// ---------------------------------------------------------------------------------------------

function tooLarge(maxBytes: number, extra: Record<string, unknown> = {}): FaceError {
  return new FaceError('IMAGE_TOO_LARGE', `The image at the URL is larger than the maximum of ${maxBytes} bytes.`, { maxBytes, ...extra });
}

/**
 * Closes a response body we will not read. undici emits an AbortError when an unfinished body
 * is destroyed; nobody else listens to it, so swallow it instead of crashing the process.
 */
function discardBody(res: Dispatcher.ResponseData): void {
  res.body.on('error', () => undefined);
  res.body.destroy();
}

/** Streams the body, aborting as soon as it exceeds maxBytes (at most one extra chunk held). */
async function readBody(res: Dispatcher.ResponseData, maxBytes: number): Promise<Buffer> {
  const declared = Number(firstHeader(res.headers['content-length']));
  if (Number.isFinite(declared) && declared > maxBytes) {
    discardBody(res);
    throw tooLarge(maxBytes, { contentLength: declared });
  }
  const chunks: Buffer[] = [];
  let received = 0;
  // Throwing inside for-await destroys the stream (iterator.return), closing the socket.
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, received);
}

/** Rejects with the signal's reason as soon as it aborts (dns.lookup itself is not abortable). */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** Client-safe reasons for common network failures; anything else is reported generically. */
const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'the server refused the connection',
  ECONNRESET: 'the connection was reset',
  ENOTFOUND: 'the host could not be resolved',
  EAI_AGAIN: 'the host could not be resolved',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  UND_ERR_SOCKET: 'the connection was closed unexpectedly',
};

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Finds a FaceError possibly wrapped by undici/net (via `cause`). */
function findFaceError(err: unknown): FaceError | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof FaceError) return e;
  }
  return undefined;
}

function toFaceError(err: unknown, signal: AbortSignal, timeoutMs: number): FaceError {
  const face = findFaceError(err);
  if (face) return face;
  const code = errorCode(err);
  if (signal.aborted || (code !== undefined && TIMEOUT_CODES.has(code))) {
    return new FaceError('URL_TIMEOUT', `The image URL did not deliver the image within ${timeoutMs} ms.`, {
      timeoutMs,
    });
  }
  const reason = code !== undefined ? NETWORK_REASONS[code] : undefined;
  if (code?.startsWith('ERR_TLS') || code?.includes('CERT') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT') {
    return new FaceError('URL_FETCH_FAILED', 'The image URL could not be fetched: the TLS handshake failed.', {
      reason: 'TLS_ERROR',
    });
  }
  return new FaceError('URL_FETCH_FAILED', `The image URL could not be fetched: ${reason ?? 'a network error occurred'}.`, {
    reason: reason ? code : 'NETWORK_ERROR',
  });
}

async function requestOnce(url: URL, agent: Agent, signal: AbortSignal, timeoutMs: number) {
  return request(url, {
    method: 'GET',
    dispatcher: agent,
    signal,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    headers: { accept: 'image/*', 'user-agent': 'facegraph-image-fetch/1' },
  });
}

/** Next URL for a redirect response, or null if the response is not a redirect. */
function redirectTarget(res: Dispatcher.ResponseData, current: URL): URL | null {
  if (!REDIRECT_STATUSES.has(res.statusCode)) return null;
  const location = firstHeader(res.headers.location);
  if (!location) return null;
  let absolute: string;
  try {
    absolute = new URL(location, current).href;
  } catch {
    throw new FaceError('INVALID_URL', 'The image URL redirected to an invalid location.');
  }
  return parseHttpUrl(absolute, 'The redirect target of the image URL');
}

/**
 * Downloads `rawUrl` under `policy`. Throws FaceError with INVALID_URL, URL_FORBIDDEN,
 * URL_FETCH_FAILED, URL_TIMEOUT or IMAGE_TOO_LARGE.
 */
export async function fetchImage(rawUrl: string, policy: FetchPolicy): Promise<Buffer> {
  let url = parseHttpUrl(rawUrl, 'The image url');
  const signal = AbortSignal.timeout(policy.timeoutMs);
  // One agent per download: no connection is shared with another user's request.
  const agent = createSafeAgent(policy.allowPrivateHosts);
  try {
    for (let redirects = 0; ; redirects++) {
      // Checked before connecting so forbidden hosts get a clear error and literal IPs (which
      // bypass the lookup hook) are covered; the hook re-checks at connect time.
      await raceAbort(resolveAllowed(hostOf(url), policy.allowPrivateHosts), signal);
      const res = await requestOnce(url, agent, signal, policy.timeoutMs);
      const next = redirectTarget(res, url);
      if (next) {
        discardBody(res); // redirect bodies are never read
        if (redirects >= policy.maxRedirects) {
          throw new FaceError('URL_FETCH_FAILED', `The image URL redirected more than the maximum of ${policy.maxRedirects} times.`, {
            maxRedirects: policy.maxRedirects,
          });
        }
        url = next;
        continue;
      }
      if (res.statusCode < 200 || res.statusCode > 299) {
        discardBody(res);
        throw new FaceError('URL_FETCH_FAILED', `The image URL answered with HTTP status ${res.statusCode}; a 2xx status is required.`, {
          status: res.statusCode,
        });
      }
      return await readBody(res, policy.maxBytes);
    }
  } catch (err) {
    throw toFaceError(err, signal, policy.timeoutMs);
  } finally {
    // destroy (not close) so a hung server cannot keep the socket alive past the deadline.
    agent.destroy().catch(() => undefined);
  }
}
