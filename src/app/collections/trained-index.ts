/**
 * What a training builds and searches use: an exact index (exact-index.ts) for small
 * collections, an approximate-nearest-neighbour index (the VectorIndex port, usearch in the
 * embedded setup) from `annMinFaces` faces on. Both answer the same `nearest()` on the verify
 * scale, so identification does not care which it has.
 *
 * Why small collections stay exact: below ~20,000 faces a brute-force scan costs a few ms per
 * face (bench:identify measures it), recall is 1 by construction, training is instant and a
 * delete rewrites a small snapshot; an HNSW build of the same faces takes seconds.
 *
 * ANN snapshot blob:
 *   u32 LE header length | header JSON {format: 'facegraph-ann-v1', dim, ids: [persistedFaceId, personId | null][]} | VectorIndex bytes
 * Keys in the vector index are positions in `ids`. A deleted face's key is removed from the index
 * and its vector zeroed in the bytes saved (the port's serialize contract); its id is replaced by
 * null in `ids` so the snapshot keeps no trace of it.
 */
import { confidenceFromDistance } from '../../domain/similarity.js';
import type { VectorIndex, VectorIndexFactory } from '../../ports/vector-index.js';
import type { FaceEmbedding } from '../../ports/collection-store.js';
import { decodeIndex, encodeIndex, scoreAll, withoutEntries, type ExactIndex, type IndexEntry } from './exact-index.js';

const ANN_FORMAT = 'facegraph-ann-v1';
const EXACT_FORMAT = 'facegraph-exact-v1';

export interface AnnIndex {
  kind: 'ann';
  dim: number;
  /** By key; null once removed. */
  entries: Array<IndexEntry | null>;
  vectors: VectorIndex;
}

export type TrainedIndex = ({ kind: 'exact' } & ExactIndex) | AnnIndex;

export interface Neighbour {
  entry: IndexEntry;
  confidence: number;
}

/** How many faces the index can return. */
export const searchableSize = (index: TrainedIndex): number => (index.kind === 'exact' ? index.entries.length : index.vectors.size);

/** Up to `k` entries most like `query`, best first (ties: index order). */
export function nearest(index: TrainedIndex, query: Float32Array, k: number): Neighbour[] {
  if (index.kind === 'ann') {
    return index.vectors.search(query, k).flatMap((m) => {
      const entry = index.entries[m.key];
      return entry ? [{ entry, confidence: confidenceFromDistance(Math.sqrt(m.squaredDistance)) }] : [];
    });
  }
  const scores = scoreAll(index, query);
  const order = index.entries.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
  return order.slice(0, k).map((i) => ({ entry: index.entries[i]!, confidence: scores[i]! }));
}

export interface IndexBuilder {
  factory: VectorIndexFactory | null;
  /** Collections with at least this many faces get an ANN index (when a factory is given). */
  annMinFaces: number;
}

/** Embeddings read from the store per batch while a training builds its matrix. */
export const TRAINING_BATCH_FACES = 16_384;

/**
 * Reads the batches into one row-major matrix (sized by `expectedFaces`, so a million faces never exist
 * as a million objects at once: 1M 128-d faces as store rows cost ~3 KB each, as matrix rows 512
 * bytes) and builds the index from it. The matrix is handed to the vector index factory, which
 * takes ownership (an ANN build moves it to its worker without a copy).
 */
export async function buildTrainedIndex(
  builder: IndexBuilder,
  batches: AsyncIterable<readonly FaceEmbedding[]>,
  /** How many faces the store holds now: the matrix's first size (it grows if more arrive). */
  expectedFaces = 0,
): Promise<TrainedIndex> {
  const entries: IndexEntry[] = [];
  let dim = 0;
  let matrix = new Float32Array(0);
  let capacity = expectedFaces;
  for await (const batch of batches) {
    for (const f of batch) {
      if (dim === 0) {
        dim = f.embedding.length;
        matrix = new Float32Array(Math.max(capacity, 1) * dim);
      }
      if (f.embedding.length !== dim) throw new Error(`embedding sizes differ in one collection: ${f.embedding.length} vs ${dim}`);
      if (entries.length === capacity) {
        // Faces added since the count: grow by a quarter (a doubling would hand the index builder up to twice the memory).
        capacity = Math.max(TRAINING_BATCH_FACES, Math.ceil(1.25 * capacity));
        const grown = new Float32Array(capacity * dim);
        grown.set(matrix);
        matrix = grown;
      }
      matrix.set(f.embedding, entries.length * dim);
      entries.push({ persistedFaceId: f.persistedFaceId, personId: f.personId });
    }
  }
  const rows = matrix.subarray(0, entries.length * dim);
  if (!builder.factory || entries.length < builder.annMinFaces) return { kind: 'exact', dim, entries, matrix: rows.slice() };
  const vectors = await builder.factory.build(rows, dim);
  return { kind: 'ann', dim, entries, vectors };
}

/**
 * Removes the entries `drop` selects; answers the index to keep (the same object for an ANN
 * index, changed in place) and whether anything was removed.
 */
export function removeEntries(index: TrainedIndex, drop: (e: IndexEntry) => boolean): { index: TrainedIndex; changed: boolean } {
  if (index.kind === 'exact') {
    const kept = withoutEntries(index, drop);
    return { index: { kind: 'exact', ...kept }, changed: kept.entries.length !== index.entries.length };
  }
  const keys: number[] = [];
  index.entries.forEach((e, key) => {
    if (e && drop(e)) keys.push(key);
  });
  for (const key of keys) index.entries[key] = null;
  index.vectors.remove(keys);
  return { index, changed: keys.length > 0 };
}

export async function encodeTrainedIndex(index: TrainedIndex): Promise<Buffer> {
  if (index.kind === 'exact') return encodeIndex(index);
  const header = Buffer.from(
    JSON.stringify({ format: ANN_FORMAT, dim: index.dim, ids: index.entries.map((e) => (e ? [e.persistedFaceId, e.personId] : null)) }),
    'utf8',
  );
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length, 0);
  return index.vectors.serialize(Buffer.concat([length, header]));
}

export async function decodeTrainedIndex(bytes: Buffer, factory: VectorIndexFactory | null): Promise<TrainedIndex> {
  const headerLength = bytes.readUInt32LE(0);
  const header = JSON.parse(bytes.subarray(4, 4 + headerLength).toString('utf8')) as {
    format: string;
    dim: number;
    ids: Array<[string, string | null] | null>;
  };
  if (header.format === EXACT_FORMAT) return { kind: 'exact', ...decodeIndex(bytes) };
  if (header.format !== ANN_FORMAT) throw new Error(`unknown index snapshot format ${header.format}`);
  if (!factory) throw new Error('an ANN index snapshot needs a vector index factory');
  const vectors = await factory.load(bytes.subarray(4 + headerLength));
  const entries = header.ids.map((id) => (id ? { persistedFaceId: id[0], personId: id[1] } : null));
  return { kind: 'ann', dim: header.dim, entries, vectors };
}
