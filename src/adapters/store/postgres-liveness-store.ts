/**
 * Liveness persistence in PostgreSQL (node-postgres Pool), selected by FACEGRAPH_DATABASE_URL:
 * the same contract as the SQLite store (test/contracts/liveness-store.ts runs against both).
 * Schema: migrations/postgres/002_liveness.sql, the SQLite schema's columns; rows map to records
 * in liveness-rows.ts for both. Session images and the verify embedding are bytea.
 *
 * Atomicity without a single writer. SQLite serialises every write; here each multi-step change
 * is one READ COMMITTED transaction that first locks the session's row (SELECT … FOR NO KEY
 * UPDATE) and then reads what it decides on: a reservation (budget, nonce, consume, insert), a
 * release, a finish, a challenge issue. Concurrent ones for one session — through this pool's
 * connections or another replica's — queue on that lock, and each statement after it sees what
 * the previous holder committed: of two uploads with one nonce, the second finds the nonce gone.
 * FOR NO KEY UPDATE leaves other tables' foreign-key checks (FOR KEY SHARE) unblocked; a delete
 * takes the stronger FOR UPDATE lock and so waits for, and is waited for by, all of them.
 *
 * Interrupted attempts with replicas. Every attempt records the instance (a random id per
 * store) that reserved it. While the store is open it holds a session-level advisory lock keyed
 * by that id on a pooled connection of its own; PostgreSQL drops the lock when the connection
 * ends, i.e. when the process dies. failInterruptedAttempts fails only Running attempts whose
 * owner's lock is not held (pg_locks): those of a process that is gone, never those another live
 * replica is analysing. If the lock's connection breaks while the process lives, the store
 * takes the lock again (every `lockRetryMs`); until then another replica's sweep could fail this
 * process's Running attempts, whose finish then answers null (SESSION_DELETED to the client). A
 * host that vanishes without closing its connections keeps its lock until the server's TCP
 * keepalive notices: its attempts are failed late, never early.
 *
 * Durability: as the collection store (postgres-pool.ts raises synchronous_commit to on). Deleted
 * and purged rows, session images included, stay in the table files until VACUUM reuses their
 * space and in the WAL until it is recycled: there is no secure_delete as in SQLite.
 */
import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient, QueryResultRow } from 'pg';
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
import { inTransaction, type TxQuery } from './postgres-pool.js';

/** The first key of the instance advisory locks (the second is hashtext(instance id)): "live". */
const INSTANCE_LOCK = 0x6c697665;

/** Whether the advisory lock of the attempt `a`'s owner is held by some session on this database. */
const OWNER_ALIVE = `EXISTS (SELECT 1 FROM pg_locks l
  WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND l.classid = ${INSTANCE_LOCK}::oid AND l.objid = hashtext(a.owner)::oid)`;

export interface PostgresLivenessOptions {
  /** The instance lock's connection failed, or taking the lock again failed. */
  onError?: (err: Error) => void;
  /** How long to wait before taking a lost instance lock again (default 1 s). */
  lockRetryMs?: number;
}

export class PostgresLivenessStore implements LivenessStore {
  /**
   * On `pool` (openPostgresPool: migrated, with the stores' settings), which the caller ends
   * after close(). Takes this instance's advisory lock before answering.
   */
  static async open(pool: Pool, options: PostgresLivenessOptions = {}): Promise<PostgresLivenessStore> {
    const store = new PostgresLivenessStore(pool, options);
    await store.lockInstance(true);
    return store;
  }

  private id = randomUUID();
  private lockClient: PoolClient | null = null;
  private retry: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(
    private readonly pool: Pool,
    private readonly options: PostgresLivenessOptions,
  ) {}

  /** This store's instance, recorded on the attempts it reserves. */
  get instanceId(): string {
    return this.id;
  }

  async insertSession(session: NewSession): Promise<SessionRecord> {
    const ref = session.verifyReference;
    const [row] = await this.query<SessionRow>(
      `INSERT INTO liveness_sessions (id, token_hash, mode, device_correlation_id, device_correlation_id_set_in_client,
         enable_session_image, send_results_to_client, auth_token_ttl_seconds, model_version, created_at, token_expires_at,
         purge_at, verify_face_rectangle, verify_quality, verify_embedding, upstream_kind)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
       RETURNING ${SESSION_COLUMNS}`,
      [
        session.id,
        session.tokenHash,
        session.mode,
        session.deviceCorrelationId,
        session.deviceCorrelationIdSetInClient,
        session.enableSessionImage,
        session.sendResultsToClient,
        session.authTokenTtlSeconds,
        session.modelVersion,
        session.createdAt,
        session.tokenExpiresAt,
        session.purgeAt,
        ref ? JSON.stringify(ref.faceRectangle) : null,
        ref?.qualityForRecognition ?? null,
        ref ? embeddingToBlob(ref.embedding) : null,
        session.upstreamKind ?? null,
      ],
    );
    return toSession(row!);
  }

  async sessionById(id: string): Promise<SessionRecord | null> {
    const [row] = await this.query<SessionRow>(`SELECT ${SESSION_COLUMNS} FROM liveness_sessions WHERE id = $1`, [id]);
    return row ? toSession(row) : null;
  }

  async sessionByTokenHash(tokenHash: string): Promise<SessionRecord | null> {
    // Only the embedded engine's sessions have tokens facegraph checks.
    const [row] = await this.query<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM liveness_sessions WHERE token_hash = $1 AND upstream_kind IS NULL`,
      [tokenHash],
    );
    return row ? toSession(row) : null;
  }

  async tombstoneByTokenHash(tokenHash: string): Promise<TombstoneRecord | null> {
    const [row] = await this.query<{ session_id: string; deleted_at: number }>(
      'SELECT session_id, deleted_at FROM liveness_tombstones WHERE token_hash = $1',
      [tokenHash],
    );
    return row ? { sessionId: row.session_id, deletedAt: row.deleted_at } : null;
  }

  async listSessions(limit: number, beforeSeq: number | null, upstream = false): Promise<SessionRecord[]> {
    // Lists are scoped: the embedded engine's sessions or an upstream's.
    const rows = await this.query<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM liveness_sessions WHERE seq < $1 AND (upstream_kind IS NOT NULL) = $2 ORDER BY seq DESC LIMIT $3`,
      [beforeSeq ?? Number.MAX_SAFE_INTEGER, upstream, limit],
    );
    return rows.map(toSession);
  }

  async hasSessionNewerThan(seq: number, upstream = false): Promise<boolean> {
    const rows = await this.query('SELECT 1 FROM liveness_sessions WHERE seq > $1 AND (upstream_kind IS NOT NULL) = $2 LIMIT 1', [
      seq,
      upstream,
    ]);
    return rows.length > 0;
  }

  async countSessions(upstream = false): Promise<number> {
    const [row] = await this.query<{ n: number }>('SELECT count(*) AS n FROM liveness_sessions WHERE (upstream_kind IS NOT NULL) = $1', [
      upstream,
    ]);
    return row!.n;
  }

  async deleteSession(id: string, now: number): Promise<boolean> {
    return inTransaction(this.pool, async (q) => {
      const [row] = await q<{ token_hash: string; purge_at: number }>(
        'SELECT token_hash, purge_at FROM liveness_sessions WHERE id = $1 FOR UPDATE',
        [id],
      );
      if (!row) return false;
      await q(
        `INSERT INTO liveness_tombstones (token_hash, session_id, deleted_at, purge_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (token_hash) DO UPDATE SET session_id = EXCLUDED.session_id, deleted_at = EXCLUDED.deleted_at, purge_at = EXCLUDED.purge_at`,
        [row.token_hash, id, now, row.purge_at],
      );
      await q('DELETE FROM liveness_sessions WHERE id = $1', [id]);
      return true;
    });
  }

  async setClientDeviceCorrelationId(id: string, value: string): Promise<void> {
    await this.query(
      'UPDATE liveness_sessions SET device_correlation_id = $1 WHERE id = $2 AND device_correlation_id IS NULL AND device_correlation_id_set_in_client',
      [value, id],
    );
  }

  async issueChallenge(c: ChallengeIssue): Promise<IssueResult> {
    return inTransaction(this.pool, async (q): Promise<IssueResult> => {
      if (!(await this.lockSession(q, c.sessionId))) return { ok: false, reason: 'SESSION_GONE' };
      const used = await this.countAttempts(q, c.sessionId);
      if (used >= c.maxAttempts) return { ok: false, reason: 'EXHAUSTED' };
      await q(
        `INSERT INTO liveness_challenges (session_id, nonce, challenge, issued_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (session_id) DO UPDATE SET nonce = EXCLUDED.nonce, challenge = EXCLUDED.challenge, issued_at = EXCLUDED.issued_at`,
        [c.sessionId, c.challenge.nonce, JSON.stringify(c.challenge), c.now],
      );
      await q('UPDATE liveness_sessions SET started_at = coalesce(started_at, $1) WHERE id = $2', [c.now, c.sessionId]);
      return { ok: true, attemptsUsed: used };
    });
  }

  async attempts(sessionId: string): Promise<AttemptRecord[]> {
    return (await this.query<AttemptRow>(this.attemptsSql, [sessionId])).map(toAttempt);
  }

  async attemptCount(sessionId: string): Promise<number> {
    return this.countAttempts((sql, params) => this.query(sql, params), sessionId);
  }

  async reserveAttempt(r: AttemptReservation): Promise<ReserveResult> {
    return inTransaction(this.pool, async (q): Promise<ReserveResult> => {
      // Reservations of one session queue here; each then reads what the previous one committed.
      // No row (unknown session): no challenge either, so NONCE_MISMATCH, as in SQLite.
      await this.lockSession(q, r.sessionId);
      const count = await this.countAttempts(q, r.sessionId);
      if (count >= r.maxAttempts) return { ok: false, reason: 'EXHAUSTED' };
      const [row] = await q<ChallengeRow>('SELECT nonce, challenge, issued_at FROM liveness_challenges WHERE session_id = $1', [
        r.sessionId,
      ]);
      if (!row || row.nonce !== r.nonce) return { ok: false, reason: 'NONCE_MISMATCH' };
      // Consumed even when too old: an expired challenge is not valid again either.
      await q('DELETE FROM liveness_challenges WHERE session_id = $1', [r.sessionId]);
      if (r.now - row.issued_at > r.challengeMaxAgeMs) return { ok: false, reason: 'CHALLENGE_EXPIRED' };
      const attemptId = count + 1;
      await q(
        `INSERT INTO liveness_attempts (session_id, attempt_id, status, digest, created_at, client_ip, request_id, frame_count, owner)
         VALUES ($1, $2, 'Running', $3, $4, $5, $6, $7, $8)`,
        [r.sessionId, attemptId, r.digest, r.now, r.clientIp, r.requestId, r.frameCount, this.id],
      );
      return { ok: true, attemptId, pending: toPending(row) };
    });
  }

  async releaseAttempt(sessionId: string, attemptId: number, pending: PendingChallenge): Promise<void> {
    await inTransaction(this.pool, async (q) => {
      const exists = await this.lockSession(q, sessionId);
      await q("DELETE FROM liveness_attempts WHERE session_id = $1 AND attempt_id = $2 AND status = 'Running'", [sessionId, attemptId]);
      // Valid again unless a newer challenge was issued meanwhile (then this insert does nothing).
      if (exists) {
        await q(
          'INSERT INTO liveness_challenges (session_id, nonce, challenge, issued_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
          [sessionId, pending.challenge.nonce, JSON.stringify(pending.challenge), pending.issuedAt],
        );
      }
    });
  }

  async finishAttempt(sessionId: string, attemptId: number, o: AttemptOutcome): Promise<FinishedAttempt | null> {
    return inTransaction(this.pool, async (q): Promise<FinishedAttempt | null> => {
      if (!(await this.lockSession(q, sessionId))) return null;
      // The outcome first: an attempt that is no longer Running gets no image either.
      const updated = await q(
        `UPDATE liveness_attempts SET status = $3, decision = $4, target_face = $5, session_image_id = $6, verify_is_identical = $7,
           verify_match_confidence = $8, error_code = $9, error_message = $10, finished_at = $11, reasons = $12, measures = $13
         WHERE session_id = $1 AND attempt_id = $2 AND status = 'Running' RETURNING attempt_id`,
        [
          sessionId,
          attemptId,
          o.status,
          o.decision,
          o.targetFace ? JSON.stringify(o.targetFace) : null,
          o.sessionImage?.id ?? null,
          o.verifyResult ? o.verifyResult.isIdentical : null,
          o.verifyResult?.matchConfidence ?? null,
          o.error?.code ?? null,
          o.error?.message ?? null,
          o.finishedAt,
          JSON.stringify(o.reasons),
          JSON.stringify(o.measures),
        ],
      );
      if (updated.length !== 1) return null;
      if (o.sessionImage) {
        await q(
          'INSERT INTO liveness_session_images (id, session_id, attempt_id, created_at, content_type, bytes) VALUES ($1, $2, $3, $4, $5, $6)',
          [o.sessionImage.id, sessionId, attemptId, o.finishedAt, o.sessionImage.contentType, o.sessionImage.bytes],
        );
      }
      const [session] = await q<SessionRow>(`SELECT ${SESSION_COLUMNS} FROM liveness_sessions WHERE id = $1`, [sessionId]);
      const attempts = await q<AttemptRow>(this.attemptsSql, [sessionId]);
      return { session: toSession(session!), attempts: attempts.map(toAttempt) };
    });
  }

  async sessionImage(id: string): Promise<{ bytes: Buffer; contentType: string } | null> {
    const [row] = await this.query<{ bytes: Buffer; content_type: string }>(
      'SELECT bytes, content_type FROM liveness_session_images WHERE id = $1',
      [id],
    );
    return row ? { bytes: row.bytes, contentType: row.content_type } : null;
  }

  async previousDigests(sessionId: string, attemptId: number, digest: string): Promise<Set<string>> {
    const own = await this.query<{ digest: string }>('SELECT digest FROM liveness_attempts WHERE session_id = $1 AND attempt_id <> $2', [
      sessionId,
      attemptId,
    ]);
    const digests = new Set(own.map((r) => r.digest));
    const elsewhere = await this.query(
      'SELECT 1 FROM liveness_attempts WHERE digest = $1 AND NOT (session_id = $2 AND attempt_id = $3) LIMIT 1',
      [digest, sessionId, attemptId],
    );
    if (elsewhere.length > 0) digests.add(digest);
    return digests;
  }

  async purge(now: number): Promise<{ sessions: number; tombstones: number }> {
    return inTransaction(this.pool, async (q) => ({
      sessions: (await q('DELETE FROM liveness_sessions WHERE purge_at <= $1 RETURNING seq', [now])).length,
      tombstones: (await q('DELETE FROM liveness_tombstones WHERE purge_at <= $1 RETURNING token_hash', [now])).length,
    }));
  }

  async failInterruptedAttempts(now: number): Promise<number> {
    // A row whose owner is alive is skipped; rows without an owner cannot occur here (the
    // column came with the table) but would count as orphans, as in SQLite.
    const rows = await this.query(
      `UPDATE liveness_attempts a SET status = 'Failed', error_code = $1, error_message = $2, finished_at = $3
       WHERE a.status = 'Running' AND (a.owner IS NULL OR NOT ${OWNER_ALIVE}) RETURNING a.attempt_id`,
      [INTERRUPTED.code, INTERRUPTED.message, now],
    );
    return rows.length;
  }

  /** Gives the instance lock up (its connection is closed, not returned to the pool). The pool is the opener's. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const client = this.lockClient;
    this.lockClient = null;
    // A session-level advisory lock would outlive release() on a reused connection: destroy it.
    client?.release(true);
  }

  private readonly attemptsSql = `SELECT ${ATTEMPT_COLUMNS} FROM liveness_attempts WHERE session_id = $1 ORDER BY attempt_id`;

  private async query<R extends QueryResultRow = QueryResultRow>(sql: string, params: unknown[]): Promise<R[]> {
    return (await this.pool.query<R>(sql, params)).rows;
  }

  /** Locks the session's row for this transaction; false when there is no such session. */
  private async lockSession(q: TxQuery, sessionId: string): Promise<boolean> {
    return (await q('SELECT 1 FROM liveness_sessions WHERE id = $1 FOR NO KEY UPDATE', [sessionId])).length > 0;
  }

  private async countAttempts(q: TxQuery, sessionId: string): Promise<number> {
    const [row] = await q<{ n: number }>('SELECT count(*) AS n FROM liveness_attempts WHERE session_id = $1', [sessionId]);
    return row!.n;
  }

  /**
   * Takes this instance's advisory lock on a connection kept out of the pool's rotation. At
   * open (`initial`), a key already held (two ids with the same hashtext) gets a new id; later
   * the id stays, since attempts carry it, and a held key is an error to retry.
   */
  private async lockInstance(initial: boolean): Promise<void> {
    const client = await this.pool.connect();
    try {
      for (;;) {
        const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [
          INSTANCE_LOCK,
          this.id,
        ]);
        if (rows[0]?.ok) break;
        if (!initial) throw new Error(`The liveness instance lock of ${this.id} is held by another connection.`);
        this.id = randomUUID();
      }
    } catch (err) {
      client.release(true);
      throw err;
    }
    if (this.closed) {
      client.release(true);
      return;
    }
    // A server restart or a network failure ends the connection, and with it the lock.
    client.on('error', (err) => this.lockLost(client, err));
    client.on('end', () => this.lockLost(client, new Error('The liveness instance lock connection ended.')));
    this.lockClient = client;
  }

  private lockLost(client: PoolClient, err: Error): void {
    if (this.lockClient !== client) return;
    this.lockClient = null;
    client.release(err);
    this.options.onError?.(err);
    this.scheduleRelock();
  }

  private scheduleRelock(): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      if (this.closed) return;
      this.lockInstance(false).catch((err: Error) => {
        this.options.onError?.(err);
        this.scheduleRelock();
      });
    }, this.options.lockRetryMs ?? 1000);
    this.retry.unref();
  }
}
