/**
 * The serving half of bench/identify.ts, in a process of its own so its memory is what a replica
 * that serves identification holds (no exact baseline, no fill, no generator in it): opens the
 * store the bench filled and trained, loads the ANN snapshot through the production path
 * (Training.index on the first identify) and times identify on the probes. Prints one JSON line.
 *   tsx bench/lib/identify-serve.ts <sqlite-dir | postgres://…> <probes.json> <person group kind> <id>
 */
import { readFileSync } from 'node:fs';
import { UsearchIndexFactory } from '../../src/adapters/index/usearch-index.js';
import { MemoryFaceRegistry } from '../../src/adapters/store/memory-face-registry.js';
import { PostgresCollectionStore } from '../../src/adapters/store/postgres-collection-store.js';
import { SqliteCollectionStore } from '../../src/adapters/store/sqlite-collection-store.js';
import { createCollectionServices } from '../../src/app/collections/service.js';
import { Recognition } from '../../src/app/faces/recognition.js';
import type { PersonGroupKind } from '../../src/domain/collections.js';
import type { FaceProvider } from '../../src/ports/face-provider.js';

const [where, probesFile, kind, id] = process.argv.slice(2) as [string, string, PersonGroupKind, string];
const ref = { kind, id };
const rssAtStart = process.memoryUsage().rss;
const store = where.startsWith('postgres') ? await PostgresCollectionStore.open(where) : SqliteCollectionStore.open(where);
const registry = new MemoryFaceRegistry({ maxEntries: 10_000, maxBytes: 100_000_000 });
// identify reads registered faces only; it never calls the provider.
const services = createCollectionServices({
  store,
  clock: { now: () => Date.now() },
  registered: new Recognition(registry, null as unknown as FaceProvider),
  vectorIndex: new UsearchIndexFactory(),
});
const probes = (JSON.parse(readFileSync(probesFile, 'utf8')) as number[][]).map(
  (e) =>
    registry.registerNow(
      {
        faceRectangle: { left: 0, top: 0, width: 100, height: 100 },
        detectionScore: 0.99,
        attributes: {},
        embedding: Float32Array.from(e),
      },
      { recognitionModel: 'recognition_04', detectionModel: 'detection_03' },
      86_400,
    ).faceId,
);
const t0 = performance.now();
await services.identification.identify(ref, [probes[0]!]);
const firstMs = performance.now() - t0;
const times: number[] = [];
for (const p of probes) {
  const t = performance.now();
  await services.identification.identify(ref, [p]);
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
const at = (q: number): number => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
console.log(
  JSON.stringify({
    firstIdentifyMs: firstMs,
    p50: at(0.5),
    p99: at(0.99),
    rssAtStart,
    rss: process.memoryUsage().rss,
    // VmHWM, this process's own peak. Not resourceUsage().maxRSS: Linux carries ru_maxrss across
    // fork and exec, so a child spawned by a 9 GB bench process reported a 9 GB "peak" of its own.
    maxRss: Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) * 1024,
  }),
);
await services.training.close();
await store.close();
