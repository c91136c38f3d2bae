/** The FaceRegistry contract on the in-process adapter (lru-cache), with a manual clock. */
import { MemoryFaceRegistry } from '../../src/adapters/store/memory-face-registry.js';
import { faceRegistryContract } from '../contracts/face-registry.js';
import { ManualClock } from '../helpers/server.js';

faceRegistryContract('memory (lru-cache)', () => {
  const clock = new ManualClock();
  const make = (): MemoryFaceRegistry => new MemoryFaceRegistry({ maxEntries: 10_000, maxBytes: 100_000_000, clock });
  return Promise.resolve({
    registry: make(),
    elapse: (ms) => Promise.resolve(clock.advance(ms)),
    // Two processes' registries: nothing shared.
    isolated: () => Promise.resolve(make()),
    destroy: () => Promise.resolve(),
  });
});
