/**
 * The embedded engine's liveness service, as one object for the edges and the wiring: a facade
 * that only delegates. Each job lives in its own module:
 *   sessions-lifecycle.ts  create / read / list / delete, the upstream index (session-paging.ts, session-view.ts)
 *   session-purge.ts       interrupted attempts at start, retention purge timer
 *   client-auth.ts         bearer token -> session; token minting and hashing
 *   challenge-issue.ts     GET /liveness/api/session: the challenge document
 *   attempt-intake.ts      POST /liveness/api/attempts: slot, reservation, release, finish
 *   attempt-outcome.ts     frames -> decision, verify-with-liveness.ts, session-images.ts
 * Input rules for create are in create-input.ts. Knows nothing of HTTP or GraphQL; every time
 * comes from the injected clock.
 */
import type { Clock } from '../../ports/clock.js';
import type { RandomBytes } from '../../domain/liveness/random.js';
import { noEvents, type EventBus } from '../../ports/event-bus.js';
import type { FaceProvider } from '../../ports/face-provider.js';
import type { CreateSessionOptions } from '../../domain/liveness/types.js';
import type { LivenessStore, SessionRecord, UpstreamSessionKind, VerifyReferenceRecord } from '../../ports/liveness-store.js';
import type { Logger } from '../../platform/logger.js';
import type { Metrics } from '../../platform/metrics.js';
import { AttemptIntake, type AttemptMeta, type AttemptResponse } from './attempt-intake.js';
import { issueChallenge, type ClientSessionDocument } from './challenge-issue.js';
import { authenticate } from './client-auth.js';
import { readSessionImage } from './session-images.js';
import { SessionPurge } from './session-purge.js';
import type { Page, SessionConnection, SessionView } from './model.js';
import { SessionLifecycle } from './sessions-lifecycle.js';
import type { AttemptUpload } from './upload.js';

export interface LivenessServiceOptions {
  store: LivenessStore;
  provider: FaceProvider;
  clock: Clock;
  logger: Logger;
  retentionSeconds: number;
  purgeIntervalMs: number;
  maxConcurrentAttempts: number;
  /** Issue a light sequence with every challenge (see challenge-issue.ts). */
  lightChallenge: boolean;
  /** Where challenges draw their random bytes: crypto's by default (tests seed it). */
  random?: RandomBytes;
  metrics?: Metrics;
  /**
   * Where session changes are announced (livenessSessionUpdated): the client's first fetch, an
   * attempt reserved, finished or released, a delete. None by default.
   */
  events?: EventBus;
}

export class LivenessService {
  private readonly lifecycle: SessionLifecycle;
  private readonly purge: SessionPurge;
  private readonly intake: AttemptIntake;

  constructor(private readonly options: LivenessServiceOptions) {
    this.lifecycle = new SessionLifecycle(options);
    this.purge = new SessionPurge(options);
    this.intake = new AttemptIntake(options);
  }

  // ---- server-side callers (GraphQL, REST, the upstream index) ------------------------------

  createSession(options: CreateSessionOptions, verifyReference: VerifyReferenceRecord | null): Promise<SessionView> {
    return this.lifecycle.createSession(options, verifyReference);
  }

  indexUpstreamSession(id: string, kind: UpstreamSessionKind, options: CreateSessionOptions, modelVersion: string): Promise<SessionRecord> {
    return this.lifecycle.indexUpstreamSession(id, kind, options, modelVersion);
  }

  session(id: string): Promise<SessionView | null> {
    return this.lifecycle.session(id);
  }

  sessions(first: number | null | undefined, after: string | null | undefined): Promise<SessionConnection> {
    return this.lifecycle.sessions(first, after);
  }

  sessionRecords(first: number | null | undefined, after: string | null | undefined, upstream: boolean): Promise<Page<SessionRecord>> {
    return this.lifecycle.sessionRecords(first, after, upstream);
  }

  sessionRecord(id: string): Promise<SessionRecord | null> {
    return this.lifecycle.sessionRecord(id);
  }

  deleteSession(id: string): Promise<boolean> {
    return this.lifecycle.deleteSession(id);
  }

  /** Fails interrupted attempts and purges once (a failing store fails start-up), then on a timer. */
  start(): Promise<void> {
    return this.purge.start();
  }

  stop(): Promise<void> {
    return this.purge.stop();
  }

  purgeExpired(): Promise<{ sessions: number; tombstones: number }> {
    return this.purge.purgeExpired();
  }

  sessionImage(id: string): Promise<{ bytes: Buffer; contentType: string } | null> {
    return readSessionImage(this.options.store, id);
  }

  // ---- the client (bearer token) ----------------------------------------------------------

  authenticate(authorization: string | undefined): Promise<SessionRecord> {
    return authenticate(this.options.store, this.options.clock, authorization);
  }

  async clientSession(session: SessionRecord): Promise<ClientSessionDocument> {
    const document = await issueChallenge(this.options.store, this.options.clock, session, {
      light: this.options.lightChallenge,
      random: this.options.random,
    });
    // The first fetch starts the session (NotStarted -> Running); later ones change nothing a subscriber sees.
    if (session.startedAt === null)
      void (this.options.events ?? noEvents).publish({ kind: 'livenessSession', sessionId: session.id }, 'Running');
    return document;
  }

  beginUpload(session: SessionRecord): Promise<() => void> {
    return this.intake.beginUpload(session);
  }

  submitAttempt(session: SessionRecord, upload: AttemptUpload, meta: AttemptMeta): Promise<AttemptResponse> {
    return this.intake.submitAttempt(session, upload, meta);
  }
}
