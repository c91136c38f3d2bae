/**
 * The FaceRegistry contract (src/ports/face-registry.ts), run against every adapter:
 * test/unit/face-registry-memory.test.ts (lru-cache, project `embedded`) and
 * test/redis/face-registry.test.ts (Redis, project `redis`). Round trip of every field with the
 * embedding bit-exact, per-face TTL (short TTLs; nothing asserts speed), unknown ids, batches
 * in order, and isolation between registries that do not share a namespace.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DetectedFace, RegisteredFace } from '../../src/domain/types.js';
import type { FaceRegistry } from '../../src/ports/face-registry.js';

export interface RegistryHarness {
  registry: FaceRegistry;
  /** Lets `ms` pass for the registry (a manual clock moves; with Redis, real time passes). */
  elapse(ms: number): Promise<void>;
  /** A registry in another namespace (Redis: another key prefix on the same server). */
  isolated(): Promise<FaceRegistry>;
  destroy(): Promise<void>;
}

const models = { detectionModel: 'detection_03', recognitionModel: 'recognition_04' } as const;

/** A face with every field a detection can fill, and an embedding whose bits are awkward. */
export function fullFace(seed = 1): DetectedFace {
  const embedding = new Float32Array(128);
  for (let i = 0; i < embedding.length; i++) embedding[i] = Math.sin(seed * 1000 + i) / (i + 1);
  // Values JSON or a decimal round trip would not keep: -0, a subnormal, extremes, 1/3.
  embedding[0] = -0;
  embedding[1] = 1.4e-45;
  embedding[2] = 3.4028234663852886e38;
  embedding[3] = 1 / 3;
  return {
    faceRectangle: { top: 10 + seed, left: 20, width: 130, height: 131 },
    detectionScore: 0.987654321,
    landmarks: {
      pupilLeft: { x: 40.1, y: 50.2 },
      pupilRight: { x: 80.3, y: 50.4 },
    } as DetectedFace['landmarks'],
    attributes: { headPose: { pitch: -1.5, roll: 2.25, yaw: 0 }, qualityForRecognition: 'high' },
    embedding,
    landmarks68: Array.from({ length: 68 }, (_, i) => ({ x: i + 0.5, y: 2 * i + 0.25 })),
    pose: { pitch: -1.5, roll: 2.25, yaw: 0 },
  };
}

const bits = (e: Float32Array | undefined): number[] => (e ? [...new Uint32Array(e.buffer, e.byteOffset, e.length)] : []);

export function faceRegistryContract(name: string, open: () => Promise<RegistryHarness>): void {
  describe(`FaceRegistry contract: ${name}`, () => {
    let h: RegistryHarness;
    beforeEach(async () => {
      h = await open();
    });
    afterEach(async () => {
      await h.destroy();
    });

    it('gives back every field of a registered face, the embedding bit for bit', async () => {
      const face = fullFace();
      const entry = await h.registry.register(face, models, 600);
      expect(entry.faceId).toMatch(/^[0-9a-f-]{36}$/);
      expect(entry.expiresAt.getTime() - entry.createdAt.getTime()).toBe(600_000);
      const got = (await h.registry.get(entry.faceId))!;
      expect(got).toBeDefined();
      expect(got.faceId).toBe(entry.faceId);
      expect(got.recognitionModel).toBe('recognition_04');
      expect(got.detectionModel).toBe('detection_03');
      expect(got.createdAt.getTime()).toBe(entry.createdAt.getTime());
      expect(got.expiresAt.getTime()).toBe(entry.expiresAt.getTime());
      expect(got.face.embedding).toBeInstanceOf(Float32Array);
      expect(bits(got.face.embedding)).toEqual(bits(face.embedding));
      expect(Object.is(got.face.embedding![0], -0)).toBe(true);
      const { embedding: _a, ...rest } = got.face;
      const { embedding: _b, ...expected } = face;
      expect(rest).toEqual(expected);
    });

    it('keeps an upstream faceId as the faceId, and a face without an embedding', async () => {
      const { embedding: _drop, ...face } = fullFace(2);
      const upstreamFaceId = '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d';
      const entry = await h.registry.register({ ...face, upstreamFaceId }, models, 600);
      expect(entry.faceId).toBe(upstreamFaceId);
      const got = await h.registry.get(upstreamFaceId);
      expect(got?.face.embedding).toBeUndefined();
      expect(got?.face.upstreamFaceId).toBe(upstreamFaceId);
    });

    it('answers undefined for an unknown faceId, alone or in a batch', async () => {
      const known = await h.registry.register(fullFace(), models, 600);
      const unknown = '00000000-0000-4000-8000-000000000000';
      expect(await h.registry.get(unknown)).toBeUndefined();
      const [a, b, c] = await h.registry.getMany([unknown, known.faceId, unknown]);
      expect(a).toBeUndefined();
      expect(b?.faceId).toBe(known.faceId);
      expect(c).toBeUndefined();
      expect(await h.registry.getMany([])).toEqual([]);
      expect(await h.registry.registerMany([], models, 600)).toEqual([]);
    });

    it('expires each face after its own TTL; reads do not extend it', async () => {
      const short = await h.registry.register(fullFace(1), models, 0.4);
      const long = await h.registry.register(fullFace(2), models, 600);
      expect(await h.registry.get(short.faceId)).toBeDefined();
      await h.elapse(200);
      // A read in the middle of the TTL must not restart it.
      expect(await h.registry.get(short.faceId)).toBeDefined();
      // 550 ms in all: past the TTL, but before 600 ms, where a TTL restarted by the read would end.
      await h.elapse(350);
      expect(await h.registry.get(short.faceId)).toBeUndefined();
      expect(await h.registry.getMany([short.faceId, long.faceId])).toEqual([undefined, expect.objectContaining({ faceId: long.faceId })]);
    });

    it('registers and reads many faces in one batch, in order', async () => {
      const faces = Array.from({ length: 300 }, (_, i) => fullFace(i));
      const entries = await h.registry.registerMany(faces, models, 600);
      expect(entries).toHaveLength(300);
      expect(new Set(entries.map((e) => e.faceId)).size).toBe(300);
      const ids = entries.map((e) => e.faceId).reverse();
      const got = await h.registry.getMany(ids);
      expect(got.map((g) => g?.faceId)).toEqual(ids);
      got.forEach((g, i) => expect(bits(g!.face.embedding)).toEqual(bits(faces[299 - i]!.embedding)));
      // Single reads issued together (as GraphQL resolvers do) answer each their own face.
      const singles = await Promise.all(ids.slice(0, 50).map((id) => h.registry.get(id)));
      expect(singles.map((s: RegisteredFace | undefined) => s?.faceId)).toEqual(ids.slice(0, 50));
    });

    it('does not see the faces of another namespace', async () => {
      const other = await h.isolated();
      const mine = await h.registry.register(fullFace(), models, 600);
      const theirs = await other.register(fullFace(), models, 600);
      expect(await other.get(mine.faceId)).toBeUndefined();
      expect(await h.registry.get(theirs.faceId)).toBeUndefined();
      expect(await other.get(theirs.faceId)).toBeDefined();
    });
  });
}
