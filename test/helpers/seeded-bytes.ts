/**
 * A deterministic stand-in for crypto.randomBytes (SHA-256 of a seed and a counter), for servers
 * whose liveness challenges a test must be able to repeat (StartOptions.challengeRandom): the
 * same seed issues the same nonces, steps and light sequences in the same order.
 */
import { createHash } from 'node:crypto';
import type { RandomBytes } from '../../src/domain/liveness/random.js';

export function seededBytes(seed: string): RandomBytes {
  let counter = 0;
  let pool = Buffer.alloc(0);
  return (size: number) => {
    while (pool.length < size) pool = Buffer.concat([pool, createHash('sha256').update(`${seed}:${counter++}`).digest()]);
    const out = pool.subarray(0, size);
    pool = pool.subarray(size);
    return Buffer.from(out);
  };
}
