/**
 * Schema migrations, in code: migration N brings the database from user_version N-1 to N.
 * Append new migrations; never edit one that has shipped. Each runs in a transaction with the
 * user_version bump, so a crash leaves the database at a whole version.
 */
import type Database from 'better-sqlite3';

type Db = Database.Database;

const MIGRATIONS: ReadonlyArray<(db: Db) => void> = [
  // 1: liveness sessions, their pending challenge, attempts (with audit), session images, tombstones.
  (db) => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS liveness_sessions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,          -- creation order: newest-first paging cursor
        id TEXT NOT NULL UNIQUE,
        token_hash TEXT NOT NULL UNIQUE,                -- sha256 hex of the bearer token; the token is never stored
        mode TEXT NOT NULL CHECK (mode IN ('Passive', 'PassiveActive')),
        device_correlation_id TEXT,
        device_correlation_id_set_in_client INTEGER NOT NULL,
        enable_session_image INTEGER NOT NULL,
        send_results_to_client INTEGER NOT NULL,
        auth_token_ttl_seconds INTEGER NOT NULL,
        model_version TEXT NOT NULL,
        created_at INTEGER NOT NULL,                    -- epoch ms
        token_expires_at INTEGER NOT NULL,
        purge_at INTEGER NOT NULL,
        started_at INTEGER,
        verify_face_rectangle TEXT,                     -- JSON FaceRectangle (liveness-with-verify)
        verify_quality TEXT,                            -- low | medium | high
        verify_embedding BLOB                           -- Float32 little-endian
      );
      CREATE INDEX IF NOT EXISTS liveness_sessions_purge ON liveness_sessions (purge_at);

      CREATE TABLE IF NOT EXISTS liveness_challenges (
        session_id TEXT PRIMARY KEY REFERENCES liveness_sessions (id) ON DELETE CASCADE,
        nonce TEXT NOT NULL UNIQUE,
        challenge TEXT NOT NULL,                        -- JSON Challenge
        issued_at INTEGER NOT NULL
      );

      CREATE TABLE IF NOT EXISTS liveness_attempts (
        session_id TEXT NOT NULL REFERENCES liveness_sessions (id) ON DELETE CASCADE,
        attempt_id INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('Running', 'Succeeded', 'Failed')),
        decision TEXT,
        target_face TEXT,                               -- JSON FaceRectangle
        digest TEXT NOT NULL,
        session_image_id TEXT,
        verify_is_identical INTEGER,
        verify_match_confidence REAL,
        error_code TEXT,
        error_message TEXT,
        created_at INTEGER NOT NULL,
        finished_at INTEGER,
        client_ip TEXT NOT NULL,
        request_id TEXT,
        frame_count INTEGER NOT NULL,
        reasons TEXT NOT NULL DEFAULT '[]',             -- JSON string[]
        measures TEXT NOT NULL DEFAULT '{}',            -- JSON Record<string, number>
        PRIMARY KEY (session_id, attempt_id)
      );
      CREATE INDEX IF NOT EXISTS liveness_attempts_digest ON liveness_attempts (digest);

      CREATE TABLE IF NOT EXISTS liveness_session_images (
        id TEXT PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES liveness_sessions (id) ON DELETE CASCADE,
        attempt_id INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        content_type TEXT NOT NULL,
        bytes BLOB NOT NULL
      );
      CREATE INDEX IF NOT EXISTS liveness_session_images_session ON liveness_session_images (session_id);

      CREATE TABLE IF NOT EXISTS liveness_tombstones (
        token_hash TEXT PRIMARY KEY,                    -- a deleted session's token answers 410, not 401
        session_id TEXT NOT NULL,
        deleted_at INTEGER NOT NULL,
        purge_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS liveness_tombstones_purge ON liveness_tombstones (purge_at);
    `);
  },
  // 2: sessions held by an upstream provider (Azure) are indexed here too, so they can be listed
  // and routed; NULL marks a session of the embedded engine.
  (db) => {
    db.exec(`
      ALTER TABLE liveness_sessions ADD COLUMN upstream_kind TEXT
        CHECK (upstream_kind IS NULL OR upstream_kind IN ('detectLiveness', 'detectLivenessWithVerify'));
    `);
  },
  // 3: persistent collections (FaceList, LargeFaceList, PersonGroup, LargePersonGroup). Rows hang
  // off the collection's uid (one per creation) with ON DELETE CASCADE: deleting a collection
  // deletes its persons, faces, training status and snapshots; deleting a person, its faces.
  (db) => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS collections (
        uid TEXT PRIMARY KEY,                           -- internal, one per creation
        kind TEXT NOT NULL CHECK (kind IN ('faceList', 'largeFaceList', 'personGroup', 'largePersonGroup')),
        id TEXT NOT NULL,                               -- the caller's id, unique per kind
        name TEXT NOT NULL,
        user_data TEXT,
        recognition_model TEXT NOT NULL,
        created_at INTEGER NOT NULL,                    -- epoch ms
        UNIQUE (kind, id)
      );

      CREATE TABLE IF NOT EXISTS collection_persons (
        collection_uid TEXT NOT NULL REFERENCES collections (uid) ON DELETE CASCADE,
        person_id TEXT NOT NULL,
        name TEXT NOT NULL,
        user_data TEXT,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (collection_uid, person_id)
      );

      CREATE TABLE IF NOT EXISTS persisted_faces (
        collection_uid TEXT NOT NULL REFERENCES collections (uid) ON DELETE CASCADE,
        persisted_face_id TEXT NOT NULL,
        person_id TEXT,                                 -- NULL in a (Large)FaceList
        user_data TEXT,
        embedding BLOB NOT NULL,                        -- Float32 little-endian
        recognition_model TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (collection_uid, persisted_face_id),
        FOREIGN KEY (collection_uid, person_id) REFERENCES collection_persons (collection_uid, person_id) ON DELETE CASCADE
      );
      CREATE INDEX IF NOT EXISTS persisted_faces_person ON persisted_faces (collection_uid, person_id);

      CREATE TABLE IF NOT EXISTS collection_training (
        collection_uid TEXT PRIMARY KEY REFERENCES collections (uid) ON DELETE CASCADE,
        status TEXT NOT NULL CHECK (status IN ('notStarted', 'running', 'succeeded', 'failed')),
        created_at INTEGER NOT NULL,
        last_action_at INTEGER NOT NULL,
        last_success_at INTEGER,
        message TEXT,
        snapshot_version INTEGER,                       -- the index_snapshots row of the last success
        lease_owner TEXT,                               -- while running: the instance running the job
        lease_expires_at INTEGER                        -- epoch ms; renewed while the job runs
      );

      CREATE TABLE IF NOT EXISTS index_snapshots (
        collection_uid TEXT NOT NULL REFERENCES collections (uid) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        part INTEGER NOT NULL,                          -- 0, 1, …: a snapshot is stored in parts (SNAPSHOT_PART_BYTES)
        bytes BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (collection_uid, version, part)
      );
    `);
  },
  // 4: each attempt records the store instance (process) that reserved it, so failing attempts
  // interrupted by a stop leaves those of a process still running alone (LivenessStore.failInterruptedAttempts).
  (db) => {
    db.exec('ALTER TABLE liveness_attempts ADD COLUMN owner TEXT');
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(`The database schema is version ${current}, newer than this build (${SCHEMA_VERSION}): refusing to touch it.`);
  }
  for (let version = current + 1; version <= SCHEMA_VERSION; version++) {
    const step = MIGRATIONS[version - 1]!;
    db.transaction(() => {
      step(db);
      db.pragma(`user_version = ${version}`);
    })();
  }
}
