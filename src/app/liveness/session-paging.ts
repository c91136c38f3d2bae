/**
 * Paging through the session index, newest first, Relay style: page size bounds and the opaque
 * cursors (base64url of "LivenessSession:<seq>") handed out by livenessSessions.
 */
import { FaceError } from '../../domain/errors.js';
import type { LivenessStore, SessionRecord } from '../../ports/liveness-store.js';
import type { Page } from './model.js';

export const PAGE_SIZE = Object.freeze({ min: 1, max: 100, default: 20 });

const CURSOR_PREFIX = 'LivenessSession:';
const encodeCursor = (seq: number): string => Buffer.from(`${CURSOR_PREFIX}${seq}`).toString('base64url');

function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const seq = Number(text.slice(CURSOR_PREFIX.length));
  if (!text.startsWith(CURSOR_PREFIX) || !Number.isSafeInteger(seq) || seq < 1 || encodeCursor(seq) !== cursor) {
    throw new FaceError('INVALID_ARGUMENT', 'after is not a cursor returned by livenessSessions.', { argument: 'after' });
  }
  return seq;
}

/**
 * A page of session records: the embedded engine's own sessions, or (upstream) the index of
 * sessions held by an upstream provider. INVALID_ARGUMENT for a bad `first` or `after`.
 */
export async function sessionPage(
  store: LivenessStore,
  first: number | null | undefined,
  after: string | null | undefined,
  upstream: boolean,
): Promise<Page<SessionRecord>> {
  const limit = first ?? PAGE_SIZE.default;
  if (!Number.isInteger(limit) || limit < PAGE_SIZE.min || limit > PAGE_SIZE.max) {
    throw new FaceError('INVALID_ARGUMENT', `first must be ${PAGE_SIZE.min}–${PAGE_SIZE.max}, got ${limit}.`, { argument: 'first' });
  }
  const afterSeq = after ? decodeCursor(after) : null;
  const rows = await store.listSessions(limit + 1, afterSeq, upstream);
  const edges = rows.slice(0, limit).map((record) => ({ cursor: encodeCursor(record.seq), node: record }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > limit,
      hasPreviousPage: afterSeq !== null && (await store.hasSessionNewerThan(afterSeq, upstream)),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: await store.countSessions(upstream),
  };
}
