/**
 * Liveness persistence in the embedded SQLite database: sessions, their pending challenge,
 * attempts with their audit record, session images and the tombstones of deleted sessions. All
 * SQL of the liveness feature for SQLite lives here, as prepared statements; multi-step changes
 * are transactions. Each method does its work synchronously (better-sqlite3) and answers a
 * resolved promise: the port is async for PostgreSQL (postgres-liveness-store.ts, the same contract).
 * Knows nothing of HTTP, GraphQL or the engine.
 */
import { randomUUID } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';
import type {
  AttemptOutcome,
  AttemptRecord,
  AttemptReservation,
  ChallengeIssue,
  FinishedAttempt,
  IssueResult,
  LivenessStore,
  NewSession,
  PendingChallenge,
  ReserveResult,
  SessionRecord,
  TombstoneRecord,
} from '../../ports/liveness-store.js';
import { embeddingToBlob } from './embedding-bytes.js';
import {
  ATTEMPT_COLUMNS,
  INTERRUPTED,
  SESSION_COLUMNS,
  toAttempt,
  toPending,
  toSession,
  type AttemptRow,
  type ChallengeRow,
  type SessionRow,
} from './liveness-rows.js';

const bool = (b: boolean): number => (b ? 1 : 0);

export class SqliteLivenessStore implements LivenessStore {
  /**
   * This store's instance, recorded on the attempts it reserves. A data directory serves one
   * process, so any other owner's Running attempt was left by a stopped process.
   */
  readonly instanceId = randomUUID();

  private readonly s: {
    insertSession: Statement;
    sessionById: Statement<[string], SessionRow>;
    sessionByToken: Statement<[string], SessionRow>;
    tombstoneByToken: Statement<[string], { session_id: string; deleted_at: number }>;
    page: Statement<[number, number, number], SessionRow>;
    newerExists: Statement<[number, number], { one: number }>;
    count: Statement<[number], { n: number }>;
    insertTombstone: Statement;
    deleteSession: Statement<[string]>;
    markStarted: Statement<[number, string]>;
    setDeviceCorrelationId: Statement<[string, string]>;
    putChallenge: Statement;
    restoreChallenge: Statement;
    challengeOf: Statement<[string], ChallengeRow>;
    deleteChallenge: Statement<[string]>;
    attemptsOf: Statement<[string], AttemptRow>;
    attemptCount: Statement<[string], { n: number }>;
    insertAttempt: Statement;
    deleteRunningAttempt: Statement<[string, number]>;
    finishAttempt: Statement;
    insertImage: Statement;
    image: Statement<[string], { bytes: Buffer; content_type: string }>;
    digestsOf: Statement<[string, number], { digest: string }>;
    digestElsewhere: Statement<[string, string, number], { one: number }>;
    purgeSessions: Statement<[number]>;
    purgeTombstones: Statement<[number]>;
    failRunning: Statement<[string, string, number, string]>;
  };

  constructor(private readonly db: Db) {
    this.s = {
      insertSession: db.prepare(`INSERT INTO liveness_sessions (id, token_hash, mode, device_correlation_id,
          device_correlation_id_set_in_client, enable_session_image, send_results_to_client, auth_token_ttl_seconds,
          model_version, created_at, token_expires_at, purge_at, verify_face_rectangle, verify_quality, verify_embedding, upstream_kind)
        VALUES (@id, @tokenHash, @mode, @deviceCorrelationId, @setInClient, @enableSessionImage, @sendResultsToClient,
          @ttl, @modelVersion, @createdAt, @tokenExpiresAt, @purgeAt, @verifyRect, @verifyQuality, @verifyEmbedding, @upstreamKind)`),
      sessionById: db.prepare(`SELECT ${SESSION_COLUMNS} FROM liveness_sessions WHERE id = ?`),
      // Only the embedded engine's sessions have tokens facegraph checks.
      sessionByToken: db.prepare(`SELECT ${SESSION_COLUMNS} FROM liveness_sessions WHERE token_hash = ? AND upstream_kind IS NULL`),
      tombstoneByToken: db.prepare('SELECT session_id, deleted_at FROM liveness_tombstones WHERE token_hash = ?'),
      // Lists are scoped: the embedded engine's sessions (upstream = 0) or an upstream's (1).
      page: db.prepare(
        `SELECT ${SESSION_COLUMNS} FROM liveness_sessions WHERE seq < ? AND (upstream_kind IS NOT NULL) = ? ORDER BY seq DESC LIMIT ?`,
      ),
      newerExists: db.prepare('SELECT 1 AS one FROM liveness_sessions WHERE seq > ? AND (upstream_kind IS NOT NULL) = ? LIMIT 1'),
      count: db.prepare('SELECT count(*) AS n FROM liveness_sessions WHERE (upstream_kind IS NOT NULL) = ?'),
      insertTombstone: db.prepare(`INSERT OR REPLACE INTO liveness_tombstones (token_hash, session_id, deleted_at, purge_at)
        VALUES (?, ?, ?, ?)`),
      deleteSession: db.prepare('DELETE FROM liveness_sessions WHERE id = ?'),
      markStarted: db.prepare('UPDATE liveness_sessions SET started_at = coalesce(started_at, ?) WHERE id = ?'),
      setDeviceCorrelationId: db.prepare(
        'UPDATE liveness_sessions SET device_correlation_id = ? WHERE id = ? AND device_correlation_id IS NULL AND device_correlation_id_set_in_client = 1',
      ),
      putChallenge: db.prepare('INSERT OR REPLACE INTO liveness_challenges (session_id, nonce, challenge, issued_at) VALUES (?, ?, ?, ?)'),
      restoreChallenge: db.prepare(
        'INSERT OR IGNORE INTO liveness_challenges (session_id, nonce, challenge, issued_at) VALUES (?, ?, ?, ?)',
      ),
      challengeOf: db.prepare('SELECT nonce, challenge, issued_at FROM liveness_challenges WHERE session_id = ?'),
      deleteChallenge: db.prepare('DELETE FROM liveness_challenges WHERE session_id = ?'),
      attemptsOf: db.prepare(`SELECT ${ATTEMPT_COLUMNS} FROM liveness_attempts WHERE session_id = ? ORDER BY attempt_id`),
      attemptCount: db.prepare('SELECT count(*) AS n FROM liveness_attempts WHERE session_id = ?'),
      insertAttempt: db.prepare(`INSERT INTO liveness_attempts (session_id, attempt_id, status, digest, created_at, client_ip,
          request_id, frame_count, owner) VALUES (?, ?, 'Running', ?, ?, ?, ?, ?, ?)`),
      deleteRunningAttempt: db.prepare("DELETE FROM liveness_attempts WHERE session_id = ? AND attempt_id = ? AND status = 'Running'"),
      finishAttempt: db.prepare(`UPDATE liveness_attempts SET status = @status, decision = @decision, target_face = @targetFace,
          session_image_id = @sessionImageId, verify_is_identical = @verifyIsIdentical, verify_match_confidence = @verifyConfidence,
          error_code = @errorCode, error_message = @errorMessage, finished_at = @finishedAt, reasons = @reasons, measures = @measures
        WHERE session_id = @sessionId AND attempt_id = @attemptId AND status = 'Running'`),
      insertImage: db.prepare(`INSERT INTO liveness_session_images (id, session_id, attempt_id, created_at, content_type, bytes)
        VALUES (?, ?, ?, ?, ?, ?)`),
      image: db.prepare('SELECT bytes, content_type FROM liveness_session_images WHERE id = ?'),
      digestsOf: db.prepare('SELECT digest FROM liveness_attempts WHERE session_id = ? AND attempt_id <> ?'),
      digestElsewhere: db.prepare(
        'SELECT 1 AS one FROM liveness_attempts WHERE digest = ? AND NOT (session_id = ? AND attempt_id = ?) LIMIT 1',
      ),
      purgeSessions: db.prepare('DELETE FROM liveness_sessions WHERE purge_at <= ?'),
      purgeTombstones: db.prepare('DELETE FROM liveness_tombstones WHERE purge_at <= ?'),
      failRunning: db.prepare(`UPDATE liveness_attempts SET status = 'Failed', error_code = ?, error_message = ?, finished_at = ?
        WHERE status = 'Running' AND owner IS NOT ?`),
    };
  }

  async insertSession(session: NewSession): Promise<SessionRecord> {
    const ref = session.verifyReference;
    this.s.insertSession.run({
      id: session.id,
      tokenHash: session.tokenHash,
      mode: session.mode,
      deviceCorrelationId: session.deviceCorrelationId,
      setInClient: bool(session.deviceCorrelationIdSetInClient),
      enableSessionImage: bool(session.enableSessionImage),
      sendResultsToClient: bool(session.sendResultsToClient),
      ttl: session.authTokenTtlSeconds,
      modelVersion: session.modelVersion,
      createdAt: session.createdAt,
      tokenExpiresAt: session.tokenExpiresAt,
      purgeAt: session.purgeAt,
      verifyRect: ref ? JSON.stringify(ref.faceRectangle) : null,
      verifyQuality: ref?.qualityForRecognition ?? null,
      verifyEmbedding: ref ? embeddingToBlob(ref.embedding) : null,
      upstreamKind: session.upstreamKind ?? null,
    });
    return this.session(session.id)!;
  }

  async sessionById(id: string): Promise<SessionRecord | null> {
    return this.session(id);
  }

  async sessionByTokenHash(tokenHash: string): Promise<SessionRecord | null> {
    const row = this.s.sessionByToken.get(tokenHash);
    return row ? toSession(row) : null;
  }

  async tombstoneByTokenHash(tokenHash: string): Promise<TombstoneRecord | null> {
    const row = this.s.tombstoneByToken.get(tokenHash);
    return row ? { sessionId: row.session_id, deletedAt: row.deleted_at } : null;
  }

  async listSessions(limit: number, beforeSeq: number | null, upstream = false): Promise<SessionRecord[]> {
    return this.s.page.all(beforeSeq ?? Number.MAX_SAFE_INTEGER, bool(upstream), limit).map(toSession);
  }

  async hasSessionNewerThan(seq: number, upstream = false): Promise<boolean> {
    return this.s.newerExists.get(seq, bool(upstream)) !== undefined;
  }

  async countSessions(upstream = false): Promise<number> {
    return this.s.count.get(bool(upstream))!.n;
  }

  async deleteSession(id: string, now: number): Promise<boolean> {
    return this.db.transaction(() => {
      const row = this.s.sessionById.get(id);
      if (!row) return false;
      this.s.insertTombstone.run(row.token_hash, row.id, now, row.purge_at);
      this.s.deleteSession.run(id);
      return true;
    })();
  }

  async setClientDeviceCorrelationId(id: string, value: string): Promise<void> {
    this.s.setDeviceCorrelationId.run(value, id);
  }

  async issueChallenge(c: ChallengeIssue): Promise<IssueResult> {
    return this.db.transaction((): IssueResult => {
      if (!this.s.sessionById.get(c.sessionId)) return { ok: false, reason: 'SESSION_GONE' };
      const used = this.s.attemptCount.get(c.sessionId)!.n;
      if (used >= c.maxAttempts) return { ok: false, reason: 'EXHAUSTED' };
      this.s.putChallenge.run(c.sessionId, c.challenge.nonce, JSON.stringify(c.challenge), c.now);
      this.s.markStarted.run(c.now, c.sessionId);
      return { ok: true, attemptsUsed: used };
    })();
  }

  async attempts(sessionId: string): Promise<AttemptRecord[]> {
    return this.s.attemptsOf.all(sessionId).map(toAttempt);
  }

  async attemptCount(sessionId: string): Promise<number> {
    return this.s.attemptCount.get(sessionId)!.n;
  }

  async reserveAttempt(r: AttemptReservation): Promise<ReserveResult> {
    // One transaction of a single writer: nothing runs between the checks and the insert.
    return this.db.transaction((): ReserveResult => {
      const count = this.s.attemptCount.get(r.sessionId)!.n;
      if (count >= r.maxAttempts) return { ok: false, reason: 'EXHAUSTED' };
      const row = this.s.challengeOf.get(r.sessionId);
      if (!row || row.nonce !== r.nonce) return { ok: false, reason: 'NONCE_MISMATCH' };
      this.s.deleteChallenge.run(r.sessionId);
      if (r.now - row.issued_at > r.challengeMaxAgeMs) return { ok: false, reason: 'CHALLENGE_EXPIRED' };
      const attemptId = count + 1;
      this.s.insertAttempt.run(r.sessionId, attemptId, r.digest, r.now, r.clientIp, r.requestId, r.frameCount, this.instanceId);
      return { ok: true, attemptId, pending: toPending(row) };
    })();
  }

  async releaseAttempt(sessionId: string, attemptId: number, pending: PendingChallenge): Promise<void> {
    this.db.transaction(() => {
      this.s.deleteRunningAttempt.run(sessionId, attemptId);
      if (this.s.sessionById.get(sessionId)) {
        this.s.restoreChallenge.run(sessionId, pending.challenge.nonce, JSON.stringify(pending.challenge), pending.issuedAt);
      }
    })();
  }

  async finishAttempt(sessionId: string, attemptId: number, o: AttemptOutcome): Promise<FinishedAttempt | null> {
    return this.db.transaction((): FinishedAttempt | null => {
      // The outcome first: an attempt that is no longer Running gets no image either.
      const changed = this.s.finishAttempt.run({
        sessionId,
        attemptId,
        status: o.status,
        decision: o.decision,
        targetFace: o.targetFace ? JSON.stringify(o.targetFace) : null,
        sessionImageId: o.sessionImage?.id ?? null,
        verifyIsIdentical: o.verifyResult ? bool(o.verifyResult.isIdentical) : null,
        verifyConfidence: o.verifyResult?.matchConfidence ?? null,
        errorCode: o.error?.code ?? null,
        errorMessage: o.error?.message ?? null,
        finishedAt: o.finishedAt,
        reasons: JSON.stringify(o.reasons),
        measures: JSON.stringify(o.measures),
      }).changes;
      if (changed !== 1) return null;
      if (o.sessionImage) {
        this.s.insertImage.run(o.sessionImage.id, sessionId, attemptId, o.finishedAt, o.sessionImage.contentType, o.sessionImage.bytes);
      }
      return { session: this.session(sessionId)!, attempts: this.s.attemptsOf.all(sessionId).map(toAttempt) };
    })();
  }

  async sessionImage(id: string): Promise<{ bytes: Buffer; contentType: string } | null> {
    const row = this.s.image.get(id);
    return row ? { bytes: row.bytes, contentType: row.content_type } : null;
  }

  async previousDigests(sessionId: string, attemptId: number, digest: string): Promise<Set<string>> {
    const own = new Set(this.s.digestsOf.all(sessionId, attemptId).map((r) => r.digest));
    if (this.s.digestElsewhere.get(digest, sessionId, attemptId)) own.add(digest);
    return own;
  }

  async purge(now: number): Promise<{ sessions: number; tombstones: number }> {
    const result = this.db.transaction(() => ({
      sessions: this.s.purgeSessions.run(now).changes,
      tombstones: this.s.purgeTombstones.run(now).changes,
    }))();
    if (result.sessions > 0) this.db.pragma('incremental_vacuum');
    return result;
  }

  async failInterruptedAttempts(now: number): Promise<number> {
    // Rows from before owners were recorded (owner NULL) are another process's too.
    return this.s.failRunning.run(INTERRUPTED.code, INTERRUPTED.message, now, this.instanceId).changes;
  }

  /** The database handle is the wiring's to close. */
  async close(): Promise<void> {}

  private session(id: string): SessionRecord | null {
    const row = this.s.sessionById.get(id);
    return row ? toSession(row) : null;
  }
}
