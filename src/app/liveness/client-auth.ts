/**
 * The client's bearer token: minting a session token, hashing it (only the hash is stored), and
 * opening the session a presented token belongs to (TOKEN_INVALID / SESSION_DELETED / TOKEN_EXPIRED).
 */
import { createHash, randomBytes } from 'node:crypto';
import { FaceError } from '../../domain/errors.js';
import type { Clock } from '../../ports/clock.js';
import type { LivenessStore, SessionRecord } from '../../ports/liveness-store.js';

/** 32 random bytes, base64url: 43 characters, as BEARER expects. */
const BEARER = /^Bearer[ \t]+([A-Za-z0-9_-]{43})[ \t]*$/i;

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** A new session token and the hash to store; the token itself is shown to the caller once. */
export function newSessionToken(): { token: string; tokenHash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, tokenHash: hashToken(token) };
}

/** A hash no bearer token can produce (of random hex): for sessions whose token lives upstream. */
export const unopenableTokenHash = (): string => hashToken(randomBytes(32).toString('hex'));

/**
 * The session a bearer token opens. TOKEN_INVALID (missing, malformed or unknown),
 * SESSION_DELETED (a deleted session's token), TOKEN_EXPIRED. A token only ever opens its
 * own session: the client routes take no session id.
 */
export async function authenticate(store: LivenessStore, clock: Clock, authorization: string | undefined): Promise<SessionRecord> {
  const match = BEARER.exec(authorization ?? '');
  if (!match) {
    throw new FaceError(
      'TOKEN_INVALID',
      authorization ? 'The Authorization header is not "Bearer <session token>".' : 'Authorization: Bearer <session token> is required.',
    );
  }
  const hash = hashToken(match[1]!);
  const session = await store.sessionByTokenHash(hash);
  if (!session) {
    if (await store.tombstoneByTokenHash(hash))
      throw new FaceError('SESSION_DELETED', 'This liveness session has been deleted; its token is revoked.');
    throw new FaceError('TOKEN_INVALID', 'The session token is not valid.');
  }
  if (clock.now() >= session.tokenExpiresAt) {
    throw new FaceError('TOKEN_EXPIRED', `The session token expired at ${new Date(session.tokenExpiresAt).toISOString()}.`);
  }
  return session;
}
