/** Embeddings as bytes, the same in every store: float32 little-endian, 4 bytes per dimension. */
export function embeddingToBlob(e: Float32Array): Buffer {
  const out = Buffer.alloc(e.length * 4);
  for (let i = 0; i < e.length; i++) out.writeFloatLE(e[i]!, i * 4);
  return out;
}

export function blobToEmbedding(b: Buffer): Float32Array {
  const out = new Float32Array(b.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(i * 4);
  return out;
}
