/**
 * The training half of bench/train-memory.ts, in a process of its own so its memory is what a
 * replica that trains holds: opens the store, trains the collection through the production
 * Training use case with the wiring's usearch index factory, waits for the job, and prints one
 * JSON line with its own peak (VmHWM) and RSS sampled every 100 ms.
 *   tsx bench/lib/train-replica.ts <sqlite-dir> <person group kind> <id>
 */
import { readFileSync } from 'node:fs';
import { UsearchIndexFactory } from '../../src/adapters/index/usearch-index.js';
import { SqliteCollectionStore } from '../../src/adapters/store/sqlite-collection-store.js';
import { createCollectionServices } from '../../src/app/collections/service.js';
import type { PersonGroupKind } from '../../src/domain/collections.js';
import type { Recognition } from '../../src/app/faces/recognition.js';

const [dir, kind, id] = process.argv.slice(2) as [string, PersonGroupKind, string];
const ref = { kind, id };
/** This process's own figures from /proc (ru_maxrss would carry the parent's peak, see identify-serve.ts). */
const status = (key: 'VmRSS' | 'VmHWM'): number =>
  Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) * 1024;

const store = SqliteCollectionStore.open(dir);
const services = createCollectionServices({
  store,
  clock: { now: () => Date.now() },
  // Training never reads registered faces.
  registered: null as unknown as Recognition,
  vectorIndex: new UsearchIndexFactory(),
});
const collection = await services.collections.get(ref);
const rssIdle = status('VmRSS');
let sampledPeak = rssIdle;
const sampler = setInterval(() => (sampledPeak = Math.max(sampledPeak, status('VmRSS'))), 100);
const t0 = performance.now();
await services.training.train(collection);
await services.training.settled(collection);
const trainSeconds = (performance.now() - t0) / 1000;
clearInterval(sampler);
const result = await services.training.status(collection);
// Where the memory after training is: V8's heap, and memory outside it (Buffers, ArrayBuffers; usearch's own allocations are in neither).
const usage = process.memoryUsage();
console.log(
  JSON.stringify({
    status: result.status,
    trainSeconds,
    rssIdle,
    rssAfter: status('VmRSS'),
    sampledPeak,
    vmHwm: status('VmHWM'),
    heapUsed: usage.heapUsed,
    external: usage.external,
  }),
);
await services.training.close();
await store.close();
