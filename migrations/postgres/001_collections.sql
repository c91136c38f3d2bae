-- 001: persistent collections (FaceList, LargeFaceList, PersonGroup, LargePersonGroup), as in the
-- SQLite schema (src/adapters/store/migrations.ts, migration 3). Rows hang off the collection's
-- uid (one per creation) with ON DELETE CASCADE: deleting a collection deletes its persons,
-- faces, training status and snapshots; deleting a person, its faces.
-- Ids compare byte-wise (COLLATE "C"), as SQLite's TEXT does: paging by `id > start ORDER BY id`
-- must not depend on the server's locale.

CREATE TABLE collections (
  uid text COLLATE "C" PRIMARY KEY,                           -- internal, one per creation
  kind text NOT NULL CHECK (kind IN ('faceList', 'largeFaceList', 'personGroup', 'largePersonGroup')),
  id text COLLATE "C" NOT NULL,                               -- the caller's id, unique per kind
  name text NOT NULL,
  user_data text,
  recognition_model text NOT NULL,
  created_at bigint NOT NULL,                                 -- epoch ms
  UNIQUE (kind, id)
);

CREATE TABLE collection_persons (
  collection_uid text COLLATE "C" NOT NULL REFERENCES collections (uid) ON DELETE CASCADE,
  person_id text COLLATE "C" NOT NULL,
  name text NOT NULL,
  user_data text,
  created_at bigint NOT NULL,
  PRIMARY KEY (collection_uid, person_id)
);

CREATE TABLE persisted_faces (
  collection_uid text COLLATE "C" NOT NULL REFERENCES collections (uid) ON DELETE CASCADE,
  persisted_face_id text COLLATE "C" NOT NULL,
  person_id text COLLATE "C",                                 -- NULL in a (Large)FaceList
  seq bigint GENERATED ALWAYS AS IDENTITY,                    -- insertion order (a person's faces, training)
  user_data text,
  embedding bytea NOT NULL,                                   -- float32 little-endian
  recognition_model text NOT NULL,
  created_at bigint NOT NULL,
  PRIMARY KEY (collection_uid, persisted_face_id),
  FOREIGN KEY (collection_uid, person_id) REFERENCES collection_persons (collection_uid, person_id) ON DELETE CASCADE
);
CREATE INDEX persisted_faces_person ON persisted_faces (collection_uid, person_id, persisted_face_id);

CREATE TABLE collection_training (
  collection_uid text COLLATE "C" PRIMARY KEY REFERENCES collections (uid) ON DELETE CASCADE,
  status text NOT NULL CHECK (status IN ('notStarted', 'running', 'succeeded', 'failed')),
  created_at bigint NOT NULL,
  last_action_at bigint NOT NULL,
  last_success_at bigint,
  message text,
  snapshot_version integer,                                   -- the index_snapshots row of the last success
  lease_owner text,                                           -- while running: the instance running the job
  lease_expires_at bigint                                     -- epoch ms; renewed while the job runs
);

CREATE TABLE index_snapshots (
  collection_uid text COLLATE "C" NOT NULL REFERENCES collections (uid) ON DELETE CASCADE,
  version integer NOT NULL,
  part integer NOT NULL,                                       -- 0, 1, …: a snapshot is stored in parts
  bytes bytea NOT NULL,
  created_at bigint NOT NULL,
  PRIMARY KEY (collection_uid, version, part)
);
