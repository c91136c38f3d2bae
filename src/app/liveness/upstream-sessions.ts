/**
 * Liveness sessions held by an upstream Azure AI Face endpoint. The upstream owns the session,
 * its token, attempts and decision (the user's device talks to the upstream's client endpoint,
 * not to facegraph). facegraph keeps a small local index of the sessions it created — options,
 * creation order, route family — because Azure v1.2 has no "list sessions" operation and a
 * session must be read under the route family (plain or with-verify) it was created in.
 */
import type { AttemptRecord, SessionRecord, UpstreamSessionKind } from '../../ports/liveness-store.js';
import type { SessionConnection, SessionView } from './model.js';
import type { LivenessService } from './service.js';
import type { UpstreamAttempt, UpstreamLivenessClient, UpstreamSession } from '../../ports/upstream-liveness.js';
import type { LivenessSessions, VerifyImage } from './sessions.js';
import { MAX_ATTEMPTS, type CreateSessionOptions } from '../../domain/liveness/types.js';

/** Upstream session reads in flight at once while listing. */
const LIST_CONCURRENCY = 4;

/** `items.map(fn)` with at most `limit` calls in flight; results in input order. */
async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export class UpstreamLivenessSessions implements LivenessSessions {
  constructor(
    private readonly index: LivenessService,
    private readonly client: UpstreamLivenessClient,
  ) {}

  async create(options: CreateSessionOptions, verifyImage: VerifyImage | null): Promise<SessionView> {
    const kind: UpstreamSessionKind = verifyImage ? 'detectLivenessWithVerify' : 'detectLiveness';
    // The upstream detects the reference face itself (and answers NO_FACE_IN_IMAGE if none).
    const upstream = await this.client.create(kind, options, verifyImage?.bytes ?? null);
    const record = await this.index.indexUpstreamSession(upstream.id, kind, options, upstream.modelVersion ?? 'unknown');
    return toView(record, upstream);
  }

  async get(id: string): Promise<SessionView | null> {
    const record = await this.index.sessionRecord(id);
    if (!record?.upstreamKind) return null;
    const upstream = await this.client.get(record.upstreamKind, id);
    if (!upstream) {
      // Gone upstream (expired or deleted elsewhere): drop it from the index too.
      await this.index.deleteSession(id);
      return null;
    }
    return toView(record, { ...upstream, authToken: '' });
  }

  async list(first: number | null | undefined, after: string | null | undefined): Promise<SessionConnection> {
    const page = await this.index.sessionRecords(first, after, true);
    // One upstream read per listed session, a few at a time: a page of 100 must not become a
    // burst of 100 requests against a rate-limited upstream (Azure S0: 10 per second).
    const sessions = await mapConcurrently(page.edges, LIST_CONCURRENCY, async (e) => ({
      e,
      upstream: await this.client.get(e.node.upstreamKind!, e.node.id),
    }));
    const gone = sessions.filter((s) => !s.upstream).map((s) => s.e.node.id);
    for (const id of gone) await this.index.deleteSession(id);
    const edges = sessions.flatMap(({ e, upstream }) =>
      upstream ? [{ cursor: e.cursor, node: toView(e.node, { ...upstream, authToken: '' }) }] : [],
    );
    return { ...page, edges, totalCount: page.totalCount - (page.edges.length - edges.length) };
  }

  async delete(id: string): Promise<boolean> {
    const record = await this.index.sessionRecord(id);
    if (!record?.upstreamKind) return false;
    const existed = await this.client.delete(record.upstreamKind, id);
    await this.index.deleteSession(id);
    return existed;
  }

  async sessionImage(id: string): Promise<{ bytes: Buffer; contentType: string } | null> {
    const bytes = await this.client.sessionImage(id);
    return bytes ? { bytes, contentType: 'image/jpeg' } : null;
  }
}

function toView(record: SessionRecord, upstream: UpstreamSession): SessionView {
  const attempts = upstream.attempts.map((a): AttemptRecord => toAttempt(record.id, a));
  return {
    record: { ...record, modelVersion: upstream.modelVersion ?? record.modelVersion },
    attempts,
    status: upstream.status,
    attemptsLeft: Math.max(0, MAX_ATTEMPTS - attempts.length),
    authToken: upstream.authToken,
    verifyReference: upstream.verifyReference,
  };
}

function toAttempt(sessionId: string, a: UpstreamAttempt): AttemptRecord {
  return {
    sessionId,
    attemptId: a.attemptId,
    status: a.status,
    decision: a.decision,
    targetFace: a.targetFace,
    digest: a.digest ?? '',
    sessionImageId: a.sessionImageId,
    verifyResult: a.verifyResult,
    error: a.error,
    // Azure v1.2 keeps no audit records: these fields are not known, and `upstream` hides them.
    createdAt: 0,
    finishedAt: null,
    clientIp: '',
    requestId: null,
    frameCount: 0,
    reasons: [],
    measures: {},
    upstream: true,
  };
}
