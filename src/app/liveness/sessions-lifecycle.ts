/**
 * Session lifecycle for server-side callers: create (with its token), read, list, delete, and
 * the local index of sessions an upstream provider holds. Owns each session's token expiry and
 * retention (purge time); the purge itself runs in session-purge.ts.
 */
import { randomUUID } from 'node:crypto';
import type { CreateSessionOptions } from '../../domain/liveness/types.js';
import type { Clock } from '../../ports/clock.js';
import { noEvents, type EventBus } from '../../ports/event-bus.js';
import type { LivenessStore, SessionRecord, UpstreamSessionKind, VerifyReferenceRecord } from '../../ports/liveness-store.js';
import type { Logger } from '../../platform/logger.js';
import { newSessionToken, unopenableTokenHash } from './client-auth.js';
import type { Page, SessionConnection, SessionView } from './model.js';
import { sessionPage } from './session-paging.js';
import { sessionView } from './session-view.js';

/** Reported as the session's modelVersion: the embedded engine's liveness pipeline, not an Azure model. */
export const LIVENESS_MODEL_VERSION = 'facegraph-embedded-1';

export interface SessionLifecycleDeps {
  store: LivenessStore;
  clock: Clock;
  logger: Logger;
  retentionSeconds: number;
  /** Told when a session is deleted (livenessSessionUpdated's notices). */
  events?: EventBus;
}

export class SessionLifecycle {
  constructor(private readonly deps: SessionLifecycleDeps) {}

  /** Creates a session; the returned view carries the bearer token, shown this once. */
  async createSession(options: CreateSessionOptions, verifyReference: VerifyReferenceRecord | null): Promise<SessionView> {
    const { token, tokenHash } = newSessionToken();
    const record = await this.insertSession(randomUUID(), tokenHash, options, LIVENESS_MODEL_VERSION, verifyReference, null);
    this.deps.logger.info({ sessionId: record.id, mode: record.mode, verify: verifyReference !== null }, 'liveness: session created');
    return this.view(record, token);
  }

  /**
   * Indexes a session that an upstream provider created (its options, creation order and
   * retention), so it can be listed and routed to the right upstream route family. The token
   * stays upstream: the stored hash is of random bytes, so no bearer token can ever open it here.
   */
  indexUpstreamSession(id: string, kind: UpstreamSessionKind, options: CreateSessionOptions, modelVersion: string): Promise<SessionRecord> {
    return this.insertSession(id, unopenableTokenHash(), options, modelVersion, null, kind);
  }

  /** One of the embedded engine's sessions (not an upstream-indexed one), or null. */
  async session(id: string): Promise<SessionView | null> {
    const record = await this.deps.store.sessionById(id);
    return record && !record.upstreamKind ? this.view(record) : null;
  }

  /** Newest first, Relay style. */
  async sessions(first: number | null | undefined, after: string | null | undefined): Promise<SessionConnection> {
    const page = await this.sessionRecords(first, after, false);
    const edges = await Promise.all(page.edges.map(async (e) => ({ cursor: e.cursor, node: await this.view(e.node) })));
    return { ...page, edges };
  }

  /** A page of records, newest first: embedded sessions, or (upstream) the upstream index. */
  sessionRecords(first: number | null | undefined, after: string | null | undefined, upstream: boolean): Promise<Page<SessionRecord>> {
    return sessionPage(this.deps.store, first, after, upstream);
  }

  /** The stored record of a session (embedded or upstream-indexed), or null. */
  sessionRecord(id: string): Promise<SessionRecord | null> {
    return this.deps.store.sessionById(id);
  }

  /** Revokes the token and deletes the session, its attempts and images. False if unknown. */
  async deleteSession(id: string): Promise<boolean> {
    const deleted = await this.deps.store.deleteSession(id, this.deps.clock.now());
    if (deleted) {
      this.deps.logger.info({ sessionId: id }, 'liveness: session deleted');
      void (this.deps.events ?? noEvents).publish({ kind: 'livenessSession', sessionId: id }, 'deleted');
    }
    return deleted;
  }

  /** Stores a session with its token's expiry and retention computed from the options. */
  private insertSession(
    id: string,
    tokenHash: string,
    options: CreateSessionOptions,
    modelVersion: string,
    verifyReference: VerifyReferenceRecord | null,
    upstreamKind: UpstreamSessionKind | null,
  ): Promise<SessionRecord> {
    const now = this.deps.clock.now();
    const tokenExpiresAt = now + options.authTokenTtlSeconds * 1000;
    return this.deps.store.insertSession({
      id,
      tokenHash,
      mode: options.mode,
      deviceCorrelationId: options.deviceCorrelationId,
      deviceCorrelationIdSetInClient: options.deviceCorrelationIdSetInClient,
      enableSessionImage: options.enableSessionImage,
      sendResultsToClient: options.sendResultsToClient,
      authTokenTtlSeconds: options.authTokenTtlSeconds,
      modelVersion,
      createdAt: now,
      tokenExpiresAt,
      purgeAt: Math.max(now + this.deps.retentionSeconds * 1000, tokenExpiresAt),
      verifyReference,
      upstreamKind,
    });
  }

  private async view(record: SessionRecord, authToken = ''): Promise<SessionView> {
    return sessionView(record, await this.deps.store.attempts(record.id), this.deps.clock.now(), authToken);
  }
}
