-- 002: liveness sessions, their pending challenge, attempts (with audit), session images and the
-- tombstones of deleted sessions, as in the SQLite schema (src/adapters/store/migrations.ts,
-- migrations 1, 2 and 4) with the same column names: one row mapping serves both
-- (src/adapters/store/liveness-rows.ts). Flags are boolean here (0/1 in SQLite); JSON values are
-- text in both. Ids compare byte-wise (COLLATE "C"), as SQLite's TEXT does.

CREATE TABLE liveness_sessions (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,        -- creation order: newest-first paging cursor
  id text COLLATE "C" NOT NULL UNIQUE,
  token_hash text COLLATE "C" NOT NULL UNIQUE,                -- sha256 hex of the bearer token; the token is never stored
  mode text NOT NULL CHECK (mode IN ('Passive', 'PassiveActive')),
  device_correlation_id text,
  device_correlation_id_set_in_client boolean NOT NULL,
  enable_session_image boolean NOT NULL,
  send_results_to_client boolean NOT NULL,
  auth_token_ttl_seconds integer NOT NULL,
  model_version text NOT NULL,
  created_at bigint NOT NULL,                                 -- epoch ms
  token_expires_at bigint NOT NULL,
  purge_at bigint NOT NULL,
  started_at bigint,
  verify_face_rectangle text,                                 -- JSON FaceRectangle (liveness-with-verify)
  verify_quality text,                                        -- low | medium | high
  verify_embedding bytea,                                     -- float32 little-endian
  -- NULL: a session of the embedded engine; else the upstream (Azure) route family it lives under.
  upstream_kind text CHECK (upstream_kind IS NULL OR upstream_kind IN ('detectLiveness', 'detectLivenessWithVerify'))
);
CREATE INDEX liveness_sessions_purge ON liveness_sessions (purge_at);

CREATE TABLE liveness_challenges (
  session_id text COLLATE "C" PRIMARY KEY REFERENCES liveness_sessions (id) ON DELETE CASCADE,
  nonce text COLLATE "C" NOT NULL UNIQUE,
  challenge text NOT NULL,                                    -- JSON Challenge
  issued_at bigint NOT NULL
);

CREATE TABLE liveness_attempts (
  session_id text COLLATE "C" NOT NULL REFERENCES liveness_sessions (id) ON DELETE CASCADE,
  attempt_id integer NOT NULL,
  status text NOT NULL CHECK (status IN ('Running', 'Succeeded', 'Failed')),
  decision text,
  target_face text,                                           -- JSON FaceRectangle
  digest text COLLATE "C" NOT NULL,
  session_image_id text COLLATE "C",
  verify_is_identical boolean,
  verify_match_confidence double precision,
  error_code text,
  error_message text,
  created_at bigint NOT NULL,
  finished_at bigint,
  client_ip text NOT NULL,
  request_id text,
  frame_count integer NOT NULL,
  reasons text NOT NULL DEFAULT '[]',                         -- JSON string[]
  measures text NOT NULL DEFAULT '{}',                        -- JSON Record<string, number>
  owner text,                                                 -- the store instance (process) that reserved it
  PRIMARY KEY (session_id, attempt_id)
);
CREATE INDEX liveness_attempts_digest ON liveness_attempts (digest);
-- failInterruptedAttempts looks only at Running attempts: a partial index keeps that small.
CREATE INDEX liveness_attempts_running ON liveness_attempts (owner) WHERE status = 'Running';

CREATE TABLE liveness_session_images (
  id text COLLATE "C" PRIMARY KEY,
  session_id text COLLATE "C" NOT NULL REFERENCES liveness_sessions (id) ON DELETE CASCADE,
  attempt_id integer NOT NULL,
  created_at bigint NOT NULL,
  content_type text NOT NULL,
  bytes bytea NOT NULL
);
CREATE INDEX liveness_session_images_session ON liveness_session_images (session_id);

CREATE TABLE liveness_tombstones (
  token_hash text COLLATE "C" PRIMARY KEY,                    -- a deleted session's token answers 410, not 401
  session_id text COLLATE "C" NOT NULL,
  deleted_at bigint NOT NULL,
  purge_at bigint NOT NULL
);
CREATE INDEX liveness_tombstones_purge ON liveness_tombstones (purge_at);
