/**
 * Liveness persistence: sessions, their pending challenge, attempts with their audit record,
 * session images and the tombstones of deleted sessions. All SQL of the liveness feature lives
 * here, as prepared statements; multi-step changes are transactions. Knows nothing of HTTP,
 * GraphQL or the engine.
 */
import type { Statement } from 'better-sqlite3';
import type { FaceRectangle, Level } from '../../domain/types.js';
import type { Challenge, LivenessDecision, LivenessOperationMode } from '../../domain/liveness/types.js';
import type { Db } from './database.js';
import type {
  AttemptOutcome,
  AttemptRecord,
  AttemptReservation,
  AttemptStatus,
  LivenessStore,
  NewSession,
  PendingChallenge,
  ReserveResult,
  SessionRecord,
  TombstoneRecord,
  UpstreamSessionKind,
} from '../../ports/liveness-store.js';

interface SessionRow {
  seq: number;
  id: string;
  token_hash: string;
  mode: LivenessOperationMode;
  device_correlation_id: string | null;
  device_correlation_id_set_in_client: number;
  enable_session_image: number;
  send_results_to_client: number;
  auth_token_ttl_seconds: number;
  model_version: string;
  created_at: number;
  token_expires_at: number;
  purge_at: number;
  started_at: number | null;
  verify_face_rectangle: string | null;
  verify_quality: string | null;
  verify_embedding: Buffer | null;
  upstream_kind: UpstreamSessionKind | null;
}

interface AttemptRow {
  session_id: string;
  attempt_id: number;
  status: AttemptStatus;
  decision: LivenessDecision | null;
  target_face: string | null;
  digest: string;
  session_image_id: string | null;
  verify_is_identical: number | null;
  verify_match_confidence: number | null;
  error_code: string | null;
  error_message: string | null;
  created_at: number;
  finished_at: number | null;
  client_ip: string;
  request_id: string | null;
  frame_count: number;
  reasons: string;
  measures: string;
}

const SESSION_COLUMNS = `seq, id, token_hash, mode, device_correlation_id, device_correlation_id_set_in_client,
  enable_session_image, send_results_to_client, auth_token_ttl_seconds, model_version, created_at,
  token_expires_at, purge_at, started_at, verify_face_rectangle, verify_quality, verify_embedding, upstream_kind`;

function embeddingToBlob(e: Float32Array): Buffer {
  const out = Buffer.alloc(e.length * 4);
  for (let i = 0; i < e.length; i++) out.writeFloatLE(e[i]!, i * 4);
  return out;
}

function blobToEmbedding(b: Buffer): Float32Array {
  const out = new Float32Array(b.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(i * 4);
  return out;
}

function toSession(r: SessionRow): SessionRecord {
  return {
    seq: r.seq,
    id: r.id,
    tokenHash: r.token_hash,
    mode: r.mode,
    deviceCorrelationId: r.device_correlation_id,
    deviceCorrelationIdSetInClient: r.device_correlation_id_set_in_client === 1,
    enableSessionImage: r.enable_session_image === 1,
    sendResultsToClient: r.send_results_to_client === 1,
    authTokenTtlSeconds: r.auth_token_ttl_seconds,
    modelVersion: r.model_version,
    createdAt: r.created_at,
    tokenExpiresAt: r.token_expires_at,
    purgeAt: r.purge_at,
    startedAt: r.started_at,
    verifyReference:
      r.verify_face_rectangle && r.verify_embedding
        ? {
            faceRectangle: JSON.parse(r.verify_face_rectangle) as FaceRectangle,
            qualityForRecognition: (r.verify_quality as Level | null) ?? null,
            embedding: blobToEmbedding(r.verify_embedding),
          }
        : null,
    upstreamKind: r.upstream_kind,
  };
}

function toAttempt(r: AttemptRow): AttemptRecord {
  return {
    sessionId: r.session_id,
    attemptId: r.attempt_id,
    status: r.status,
    decision: r.decision,
    targetFace: r.target_face ? (JSON.parse(r.target_face) as FaceRectangle) : null,
    digest: r.digest,
    sessionImageId: r.session_image_id,
    verifyResult:
      r.verify_is_identical !== null && r.verify_match_confidence !== null
        ? { isIdentical: r.verify_is_identical === 1, matchConfidence: r.verify_match_confidence }
        : null,
    error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
    clientIp: r.client_ip,
    requestId: r.request_id,
    frameCount: r.frame_count,
    reasons: JSON.parse(r.reasons) as string[],
    measures: JSON.parse(r.measures) as Record<string, number>,
  };
}

const bool = (b: boolean): number => (b ? 1 : 0);

export class SqliteLivenessStore implements LivenessStore {
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
    challengeOf: Statement<[string], { nonce: string; challenge: string; issued_at: number }>;
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
    failRunning: Statement<[number]>;
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
      attemptsOf: db.prepare('SELECT * FROM liveness_attempts WHERE session_id = ? ORDER BY attempt_id'),
      attemptCount: db.prepare('SELECT count(*) AS n FROM liveness_attempts WHERE session_id = ?'),
      insertAttempt: db.prepare(`INSERT INTO liveness_attempts (session_id, attempt_id, status, digest, created_at, client_ip,
          request_id, frame_count) VALUES (?, ?, 'Running', ?, ?, ?, ?, ?)`),
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
      failRunning: db.prepare(`UPDATE liveness_attempts SET status = 'Failed', error_code = 'INTERRUPTED',
          error_message = 'The server stopped while this attempt was being analysed.', finished_at = ? WHERE status = 'Running'`),
    };
  }

  insertSession(session: NewSession): SessionRecord {
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
    return this.sessionById(session.id)!;
  }

  sessionById(id: string): SessionRecord | null {
    const row = this.s.sessionById.get(id);
    return row ? toSession(row) : null;
  }

  sessionByTokenHash(tokenHash: string): SessionRecord | null {
    const row = this.s.sessionByToken.get(tokenHash);
    return row ? toSession(row) : null;
  }

  tombstoneByTokenHash(tokenHash: string): TombstoneRecord | null {
    const row = this.s.tombstoneByToken.get(tokenHash);
    return row ? { sessionId: row.session_id, deletedAt: row.deleted_at } : null;
  }

  /** Newest first: at most `limit` sessions created before the one with `beforeSeq`. */
  listSessions(limit: number, beforeSeq: number | null, upstream = false): SessionRecord[] {
    return this.s.page.all(beforeSeq ?? Number.MAX_SAFE_INTEGER, bool(upstream), limit).map(toSession);
  }

  hasSessionNewerThan(seq: number, upstream = false): boolean {
    return this.s.newerExists.get(seq, bool(upstream)) !== undefined;
  }

  countSessions(upstream = false): number {
    return this.s.count.get(bool(upstream))!.n;
  }

  /**
   * Deletes the session with its challenge, attempts and images (ON DELETE CASCADE, one
   * transaction) and keeps a tombstone of its token hash until the session would have been purged.
   */
  deleteSession(id: string, now: number): boolean {
    return this.db.transaction(() => {
      const row = this.s.sessionById.get(id);
      if (!row) return false;
      this.s.insertTombstone.run(row.token_hash, row.id, now, row.purge_at);
      this.s.deleteSession.run(id);
      return true;
    })();
  }

  markStarted(id: string, now: number): void {
    this.s.markStarted.run(now, id);
  }

  /** Records the client-supplied device correlation id, once, for sessions created to take it from the client. */
  setClientDeviceCorrelationId(id: string, value: string): void {
    this.s.setDeviceCorrelationId.run(value, id);
  }

  /** Replaces the session's pending challenge (an older unused nonce stops being valid). */
  putChallenge(sessionId: string, challenge: Challenge, now: number): void {
    this.s.putChallenge.run(sessionId, challenge.nonce, JSON.stringify(challenge), now);
  }

  attempts(sessionId: string): AttemptRecord[] {
    return this.s.attemptsOf.all(sessionId).map(toAttempt);
  }

  attemptCount(sessionId: string): number {
    return this.s.attemptCount.get(sessionId)!.n;
  }

  /**
   * Atomically: checks the nonce against the session's pending challenge, consumes it, checks
   * the attempt budget and inserts a Running attempt. Two concurrent uploads with one nonce: one wins.
   */
  reserveAttempt(r: AttemptReservation): ReserveResult {
    return this.db.transaction((): ReserveResult => {
      const count = this.s.attemptCount.get(r.sessionId)!.n;
      if (count >= r.maxAttempts) return { ok: false, reason: 'EXHAUSTED' };
      const row = this.s.challengeOf.get(r.sessionId);
      if (!row || row.nonce !== r.nonce) return { ok: false, reason: 'NONCE_MISMATCH' };
      this.s.deleteChallenge.run(r.sessionId);
      if (r.now - row.issued_at > r.challengeMaxAgeMs) return { ok: false, reason: 'CHALLENGE_EXPIRED' };
      const attemptId = count + 1;
      this.s.insertAttempt.run(r.sessionId, attemptId, r.digest, r.now, r.clientIp, r.requestId, r.frameCount);
      return { ok: true, attemptId, pending: { challenge: JSON.parse(row.challenge) as Challenge, issuedAt: row.issued_at } };
    })();
  }

  /**
   * Undoes a reservation when the service (not the attempt) failed, e.g. the engine was
   * overloaded: the attempt is not counted and its challenge is valid again, unless a newer one
   * was issued meanwhile.
   */
  releaseAttempt(sessionId: string, attemptId: number, pending: PendingChallenge): void {
    this.db.transaction(() => {
      this.s.deleteRunningAttempt.run(sessionId, attemptId);
      if (this.s.sessionById.get(sessionId)) {
        this.s.restoreChallenge.run(sessionId, pending.challenge.nonce, JSON.stringify(pending.challenge), pending.issuedAt);
      }
    })();
  }

  /** Stores the outcome and the session image together. False if the attempt is gone (session deleted meanwhile). */
  finishAttempt(sessionId: string, attemptId: number, o: AttemptOutcome): boolean {
    return this.db.transaction(() => {
      if (!this.s.sessionById.get(sessionId)) return false;
      if (o.sessionImage) {
        this.s.insertImage.run(o.sessionImage.id, sessionId, attemptId, o.finishedAt, o.sessionImage.contentType, o.sessionImage.bytes);
      }
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
      return changed === 1;
    })();
  }

  sessionImage(id: string): { bytes: Buffer; contentType: string } | null {
    const row = this.s.image.get(id);
    return row ? { bytes: row.bytes, contentType: row.content_type } : null;
  }

  /**
   * Digests earlier attempts were made with: every other attempt of this session, plus `digest`
   * itself if any other retained attempt (of any session) had it — enough for a membership test
   * without loading every digest.
   */
  previousDigests(sessionId: string, attemptId: number, digest: string): Set<string> {
    const own = new Set(this.s.digestsOf.all(sessionId, attemptId).map((r) => r.digest));
    if (this.s.digestElsewhere.get(digest, sessionId, attemptId)) own.add(digest);
    return own;
  }

  /** Deletes sessions (with everything they own) and tombstones past their purge time. */
  purge(now: number): { sessions: number; tombstones: number } {
    const result = this.db.transaction(() => ({
      sessions: this.s.purgeSessions.run(now).changes,
      tombstones: this.s.purgeTombstones.run(now).changes,
    }))();
    if (result.sessions > 0) this.db.pragma('incremental_vacuum');
    return result;
  }

  /** On start: attempts left Running by a stopped process can never finish; mark them Failed. */
  failInterruptedAttempts(now: number): number {
    return this.s.failRunning.run(now).changes;
  }
}
