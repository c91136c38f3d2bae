/** The faceId registry: per-entry TTL, reads never extend it, bounded by entries and bytes. */
import { describe, expect, it } from 'vitest';
import { MemoryFaceRegistry as FaceRegistry } from '../../src/adapters/store/memory-face-registry.js';
import type { DetectedFace } from '../../src/domain/types.js';
import { ManualClock } from '../helpers/server.js';

const face = (): DetectedFace => ({
  faceRectangle: { top: 1, left: 2, width: 30, height: 30 },
  detectionScore: 0.9,
  attributes: {},
  embedding: new Float32Array(128),
});
const models = { detectionModel: 'detection_03', recognitionModel: 'recognition_04' } as const;

describe('FaceRegistry', () => {
  it('keeps each face for its own TTL and never extends it on read', () => {
    const clock = new ManualClock();
    const reg = new FaceRegistry({ maxEntries: 10, maxBytes: 1e6, clock });
    const short = reg.registerNow(face(), models, 60);
    const long = reg.registerNow(face(), models, 3600);
    expect(short.expiresAt.getTime() - short.createdAt.getTime()).toBe(60_000);
    clock.advance(59_999);
    expect(reg.getNow(short.faceId)).toBeDefined();
    clock.advance(2);
    expect(reg.getNow(short.faceId)).toBeUndefined();
    expect(reg.getNow(long.faceId)?.recognitionModel).toBe('recognition_04');
    expect(reg.getNow('unknown')).toBeUndefined();
  });

  it('evicts the least recently used faces beyond maxEntries', () => {
    const reg = new FaceRegistry({ maxEntries: 2, maxBytes: 1e6 });
    const a = reg.registerNow(face(), models, 600);
    reg.registerNow(face(), models, 600);
    reg.registerNow(face(), models, 600);
    expect(reg.size).toBe(2);
    expect(reg.getNow(a.faceId)).toBeUndefined();
  });

  it('stays within maxBytes', () => {
    const reg = new FaceRegistry({ maxEntries: 1000, maxBytes: 10_000 });
    for (let i = 0; i < 100; i++) reg.registerNow(face(), models, 600);
    expect(reg.bytes).toBeLessThanOrEqual(10_000);
    expect(reg.size).toBeGreaterThan(0);
    expect(reg.size).toBeLessThan(100);
  });
});
