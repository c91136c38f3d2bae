/**
 * A child process for test/integration/durability.test.ts: opens the collection store named by
 * its arguments (`sqlite <dataDir>` or `postgres <url>`), and through the real use cases creates
 * a LargePersonGroup, then persons with one face each, as fast as it can, printing each write
 * the moment its promise resolved (acknowledged = durable by the port's contract):
 *
 *   ready
 *   person <personId>
 *   face <personId> <persistedFaceId>
 *
 * until it is killed (or after 100,000 persons). stdout is a pipe, written synchronously on Linux.
 */
import { MemoryFaceRegistry } from '../../src/adapters/store/memory-face-registry.js';
import { PostgresCollectionStore } from '../../src/adapters/store/postgres-collection-store.js';
import { SqliteCollectionStore } from '../../src/adapters/store/sqlite-collection-store.js';
import { createCollectionServices } from '../../src/app/collections/service.js';
import { Recognition } from '../../src/app/faces/recognition.js';
import { systemClock } from '../../src/ports/clock.js';
import type { CollectionStore } from '../../src/ports/collection-store.js';
import type { DetectedFace } from '../../src/domain/types.js';
import type { FaceProvider } from '../../src/ports/face-provider.js';

// Not ./collections.js: that imports vitest, which only runs inside a vitest worker.
const DURABLE_GROUP = { kind: 'largePersonGroup', id: 'durable' } as const;

/** A unit embedding that differs per i. */
function embedding(i: number): Float32Array {
  const v = new Float32Array(128);
  v[i % 128] = 1;
  v[(i * 7 + 3) % 128] = 0.5 + (i % 128 === (i * 7 + 3) % 128 ? 1 : 0);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

const detect = (i: number) => async (): Promise<DetectedFace[]> => [
  { faceRectangle: { left: 10, top: 10, width: 100, height: 100 }, detectionScore: 0.99, attributes: {}, embedding: embedding(i) },
];

const [kind, target] = process.argv.slice(2);
if ((kind !== 'sqlite' && kind !== 'postgres') || !target) {
  console.error('usage: durable-writer.ts sqlite <dataDir> | postgres <url>');
  process.exit(2);
}
const store: CollectionStore = kind === 'sqlite' ? SqliteCollectionStore.open(target) : await PostgresCollectionStore.open(target);
const registry = new MemoryFaceRegistry({ maxEntries: 10, maxBytes: 1_000_000, clock: systemClock });
const services = createCollectionServices({
  store,
  clock: systemClock,
  // Faces come from the detect callback below; the registry and provider are never asked.
  registered: new Recognition(registry, null as unknown as FaceProvider),
});
const say = (line: string): void => void process.stdout.write(`${line}\n`);

await services.collections.create(DURABLE_GROUP.kind, DURABLE_GROUP.id, { name: 'durability', recognitionModel: 'recognition_04' });
say('ready');
for (let i = 0; i < 100_000; i++) {
  const person = await services.persons.create(DURABLE_GROUP, { name: `person ${i}`, userData: `u${i}` });
  say(`person ${person.personId}`);
  const face = await services.faces.add(DURABLE_GROUP, person.personId, { detect: detect(i) });
  say(`face ${person.personId} ${face.persistedFaceId}`);
}
await store.close();
