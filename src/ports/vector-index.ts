/**
 * The approximate-nearest-neighbour index port: what collection training builds from a
 * collection's embeddings and identify / findSimilar search. Keys are the rows of the matrix the
 * index was built from (0..count-1); the use case maps them to persisted faces. Distances are
 * SQUARED EUCLIDEAN, the measure domain/similarity.ts turns into confidences (sqrt first), so an
 * index ranks exactly as the exact search does.
 *
 * The embedded adapter is usearch (src/adapters/index/usearch-index.ts).
 */

export interface VectorMatch {
  key: number;
  squaredDistance: number;
}

export interface VectorIndex {
  readonly dim: number;
  /** How many vectors can still be found (removed ones excluded). */
  readonly size: number;
  /** Up to `k` nearest live vectors, nearest first. */
  search(query: Float32Array, k: number): VectorMatch[];
  /** Removes keys from search at once; answers how many were present. */
  remove(keys: readonly number[]): number;
  /**
   * The index as bytes for the store, after `prefix` in the same buffer (a header: so the index's
   * bytes are never held twice). A removed vector's bytes are overwritten (zeroed) in them:
   * removed embeddings are never readable from a serialised index.
   */
  serialize(prefix?: Buffer): Promise<Buffer>;
}

export interface VectorIndexFactory {
  /** Library and parameters, for logs and benches. */
  readonly description: string;
  /**
   * Builds an index of `vectors` (count × dim, row-major; key = row) off the event loop. The index
   * takes `vectors` over: its buffer may be transferred (detached here), so copy it first to keep it.
   */
  build(vectors: Float32Array, dim: number): Promise<VectorIndex>;
  /** An index from serialize()'s bytes. */
  load(bytes: Buffer): Promise<VectorIndex>;
}
