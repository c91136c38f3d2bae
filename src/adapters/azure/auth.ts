/**
 * Credentials for the upstream: a subscription key, or a Microsoft Entra bearer token printed by
 * a shell command (AZURE_FACE_TOKEN_COMMAND, e.g. `az account get-access-token --resource
 * https://cognitiveservices.azure.com --output json`).
 *
 * Neither the key, the token, the command line nor the command's stdout is ever logged or put
 * in an error: the command may carry secrets of its own.
 */
import { execFile } from 'node:child_process';
import { FaceError } from '../../domain/errors.js';
import type { Logger } from '../../platform/logger.js';

export interface Credentials {
  /** Headers that authenticate one request. */
  headers(signal: AbortSignal): Promise<Record<string, string>>;
  /**
   * The upstream answered 401 to a request sent with `used`: forget that credential. True when a
   * new one may help (a token can be re-fetched; a key cannot change by itself).
   */
  invalidate(used: Record<string, string>): boolean;
}

export class KeyCredentials implements Credentials {
  constructor(private readonly key: string) {}

  async headers(): Promise<Record<string, string>> {
    return { 'ocp-apim-subscription-key': this.key };
  }

  invalidate(): boolean {
    return false;
  }
}

/** Used when the command prints a bare token, whose lifetime facegraph cannot know. */
export const DEFAULT_TOKEN_LIFETIME_MS = 50 * 60_000;
/** Tokens are refreshed this long before they expire, so none expires in flight. */
export const REFRESH_MARGIN_MS = 5 * 60_000;
/** `az account get-access-token` takes a few seconds; one that takes this long is stuck. */
export const TOKEN_COMMAND_TIMEOUT_MS = 30_000;

export interface ParsedToken {
  token: string;
  /** Epoch milliseconds, or null when the output did not say. */
  expiresAt: number | null;
}

/**
 * The command's stdout: a bare token, or JSON as `az account get-access-token` prints it
 * (`accessToken`, plus `expires_on` in epoch seconds on newer az, `expiresOn` as a local
 * date-time string on all). Throws a plain Error (without the output) when it is neither.
 */
export function parseTokenOutput(stdout: string): ParsedToken {
  const text = stdout.trim();
  if (text.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error('the token command printed invalid JSON');
    }
    const o = json as Record<string, unknown>;
    const token =
      typeof o.accessToken === 'string' ? o.accessToken.trim() : typeof o.access_token === 'string' ? o.access_token.trim() : '';
    if (!token) throw new Error('the token command printed JSON without an accessToken');
    return { token, expiresAt: expiryOf(o) };
  }
  if (!text || /\s/.test(text)) throw new Error('the token command printed no token (expected one token, or JSON with accessToken)');
  return { token: text, expiresAt: null };
}

function expiryOf(o: Record<string, unknown>): number | null {
  // Epoch seconds are unambiguous; prefer them.
  for (const key of ['expires_on', 'expiresOn']) {
    const v = o[key];
    if (typeof v === 'number' && Number.isFinite(v)) return v > 1e12 ? v : v * 1000;
    if (typeof v === 'string' && /^\d+$/.test(v.trim())) {
      const n = Number(v);
      return n > 1e12 ? n : n * 1000;
    }
  }
  if (typeof o.expiresOn === 'string') {
    // az prints local time without a zone ("2025-01-31 12:34:56.000000"), which Date.parse
    // reads as local time too: the same machine's clock.
    const t = Date.parse(o.expiresOn);
    if (!Number.isNaN(t)) return t;
  }
  return null;
}

/** When a token fetched at `now` should be replaced. */
export function refreshAt(expiresAt: number | null, now: number): number {
  if (expiresAt === null) return now + DEFAULT_TOKEN_LIFETIME_MS;
  const lifetime = expiresAt - now;
  // A short-lived token is used for half its life rather than not at all.
  return now + Math.max(0, lifetime - Math.min(REFRESH_MARGIN_MS, lifetime / 2));
}

export interface TokenCommandOptions {
  timeoutMs?: number;
  now?: () => number;
}

export class TokenCommandCredentials implements Credentials {
  private cached: { token: string; refreshAt: number } | null = null;
  /** One fetch at a time: concurrent requests share it. */
  private inflight: Promise<string> | null = null;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(
    private readonly command: string,
    private readonly logger: Logger,
    options: TokenCommandOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? TOKEN_COMMAND_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
  }

  async headers(signal: AbortSignal): Promise<Record<string, string>> {
    return { authorization: `Bearer ${await this.token(signal)}` };
  }

  invalidate(used: Record<string, string>): boolean {
    // Only forget the token that failed: a concurrent request may already have a newer one.
    if (this.cached && used.authorization === `Bearer ${this.cached.token}`) this.cached = null;
    return true;
  }

  async token(signal: AbortSignal): Promise<string> {
    if (this.cached && this.now() < this.cached.refreshAt) return this.cached.token;
    // The shared fetch has its own timeout, not the caller's deadline, so one impatient caller
    // does not fail the fetch for the others; each caller still stops waiting at its deadline.
    this.inflight ??= this.fetch().finally(() => {
      this.inflight = null;
    });
    return abortable(this.inflight, signal);
  }

  private async fetch(): Promise<string> {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        '/bin/sh',
        ['-c', this.command],
        { timeout: this.timeoutMs, maxBuffer: 1024 * 1024, windowsHide: true },
        (err, out, stderr) => {
          if (err) {
            const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null };
            const timedOut = e.killed === true && e.signal === 'SIGTERM';
            // stderr helps ("Please run 'az login'"); long token-like runs are cut out of it.
            this.logger.warn(
              { exitCode: typeof e.code === 'number' ? e.code : null, signal: e.signal ?? null, timedOut, stderr: redact(String(stderr)) },
              'AZURE_FACE_TOKEN_COMMAND failed',
            );
            reject(
              new FaceError(
                'UPSTREAM_UNAUTHORIZED',
                timedOut
                  ? `AZURE_FACE_TOKEN_COMMAND did not finish within ${this.timeoutMs} ms.`
                  : 'AZURE_FACE_TOKEN_COMMAND failed; see the server log.',
                { upstreamCode: timedOut ? 'TOKEN_COMMAND_TIMEOUT' : 'TOKEN_COMMAND_FAILED', upstreamStatus: null },
              ),
            );
            return;
          }
          resolve(String(out));
        },
      );
    });
    let parsed: ParsedToken;
    try {
      parsed = parseTokenOutput(stdout);
    } catch (err) {
      const reason = err instanceof Error ? err.message : 'unreadable output';
      this.logger.warn({ reason }, 'AZURE_FACE_TOKEN_COMMAND printed no usable token');
      throw new FaceError('UPSTREAM_UNAUTHORIZED', `AZURE_FACE_TOKEN_COMMAND: ${reason}.`, {
        upstreamCode: 'TOKEN_COMMAND_OUTPUT',
        upstreamStatus: null,
      });
    }
    const now = this.now();
    this.cached = { token: parsed.token, refreshAt: refreshAt(parsed.expiresAt, now) };
    this.logger.debug(
      { expiresAt: parsed.expiresAt ? new Date(parsed.expiresAt).toISOString() : null, refreshInMs: this.cached.refreshAt - now },
      'Entra token fetched',
    );
    return parsed.token;
  }
}

/** The promise, or a rejection with the signal's reason once it aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export function redact(text: string): string {
  return text.replace(/[A-Za-z0-9\-_.+/=]{32,}/g, '[redacted]').slice(0, 500);
}
