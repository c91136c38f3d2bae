-- Training reads a collection's embeddings in insertion order, a batch at a time
-- (embeddingBatches: WHERE seq > last ORDER BY seq LIMIT n): an index range per batch instead of
-- a scan and sort of the whole collection per batch.
CREATE INDEX persisted_faces_seq ON persisted_faces (collection_uid, seq);
