/** Cutting a snapshot into parts and joining them back, one part at a time. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SnapshotJoiner, snapshotParts } from '../../src/ports/collection-store.js';

const join = (parts: readonly Buffer[], size: number): Buffer => {
  const joiner = new SnapshotJoiner(size);
  for (const part of parts) joiner.add(part);
  return joiner.done();
};

describe('snapshot parts', () => {
  it('joins the parts snapshotParts cut back into the same bytes', () => {
    const bytes = randomBytes(10_001);
    const parts = snapshotParts(bytes, 1000);
    expect(parts).toHaveLength(11);
    expect(join(parts, bytes.length).equals(bytes)).toBe(true);
  });

  it('joins an empty snapshot (one empty part)', () => {
    expect(join(snapshotParts(Buffer.alloc(0), 1000), 0)).toHaveLength(0);
  });

  it('throws when parts are missing or exceed the announced size', () => {
    const parts = snapshotParts(randomBytes(3000), 1000);
    expect(() => join(parts.slice(0, 2), 3000)).toThrow('hold 2000 of the 3000 bytes');
    expect(() => join(parts, 2500)).toThrow('exceed the 2500 bytes');
  });
});
