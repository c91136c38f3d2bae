/**
 * Memory of a replica while it trains (`npm run bench:train-memory [-- --sizes 100000,1000000]`):
 * for each size, a fresh SQLite store holds one LargePersonGroup of synthetic faces (the same
 * seeded generator as bench:identify: persons around mixes of real faces), then a fresh process
 * (bench/lib/train-replica.ts) opens the store and trains it through the production Training use
 * case with the wiring's usearch index factory. Prints, per size, the training time and that
 * process's memory: idle after opening the store (the baseline of the same run), the peak
 * (VmHWM, and RSS sampled every 100 ms) and after training. Writes bench/out/train-memory.json.
 *
 * Shortcut, on purpose: the fill writes rows straight into the store's tables in one
 * transaction, in the store's own byte format (embeddingToBlob), instead of going through the
 * add-face use case: this bench is about training; the add path's speed is bench:identify's.
 *
 *   setsid nohup npm run bench:train-memory -- --sizes 1000000 > bench/out/train-memory.log 2>&1 &
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../src/adapters/store/database.js';
import { embeddingToBlob } from '../src/adapters/store/embedding-bytes.js';
import { SqliteCollectionStore } from '../src/adapters/store/sqlite-collection-store.js';
import { BENCH_DIR } from './lib/data.js';
import { realFaces, syntheticFaces } from './lib/identify-data.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const SIZES = arg('sizes', '100000,1000000').split(',').map(Number);
const SEED = Number(arg('seed', '2026'));
const REF = { kind: 'largePersonGroup', id: 'bench' } as const;
const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const load = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join('/');

interface ReplicaResult {
  status: string;
  trainSeconds: number;
  rssIdle: number;
  rssAfter: number;
  sampledPeak: number;
  heapUsed: number;
  external: number;
  vmHwm: number;
}

async function fill(dir: string, size: number): Promise<number> {
  const store = SqliteCollectionStore.open(dir);
  const uid = randomUUID();
  await store.createCollection(
    { ...REF, uid, name: 'bench', userData: null, recognitionModel: 'recognition_04', createdAt: Date.now() },
    1_000_000,
  );
  await store.close();
  const db = new Database(path.join(dir, DATABASE_FILE));
  try {
    db.pragma('synchronous = OFF');
    const person = db.prepare(
      'INSERT INTO collection_persons (collection_uid, person_id, name, user_data, created_at) VALUES (?, ?, ?, NULL, ?)',
    );
    const face = db.prepare(
      `INSERT INTO persisted_faces (collection_uid, persisted_face_id, person_id, user_data, embedding, recognition_model, created_at)
       VALUES (?, ?, ?, NULL, ?, 'recognition_04', ?)`,
    );
    const bases = (await realFaces()).filter((r) => r.file.startsWith('face-api/'));
    const t0 = performance.now();
    db.transaction(() => {
      let personId = '';
      let current = -1;
      for (const f of syntheticFaces(bases, size, SEED)) {
        if (f.person !== current) {
          current = f.person;
          personId = randomUUID();
          person.run(uid, personId, `p${f.person}`, Date.now());
        }
        face.run(uid, randomUUID(), personId, embeddingToBlob(f.embedding), Date.now());
      }
    })();
    return (performance.now() - t0) / 1000;
  } finally {
    db.close();
  }
}

async function trainInChild(dir: string): Promise<ReplicaResult> {
  const script = path.join(BENCH_DIR, 'lib', 'train-replica.ts');
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, dir, REF.kind, REF.id], {
    maxBuffer: 1 << 20,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ReplicaResult;
}

async function main(): Promise<void> {
  console.log(`bench:train-memory — sizes ${SIZES.join(', ')}, seed ${SEED}, ${os.cpus().length} cores`);
  const rows: Array<{ faces: number; fillSeconds: number; load: string } & ReplicaResult> = [];
  for (const size of SIZES) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'facegraph-bench-train-'));
    try {
      const fillSeconds = await fill(dir, size);
      console.log(`  ${size}: filled in ${fillSeconds.toFixed(0)} s; training in a fresh process…`);
      const r = await trainInChild(dir);
      if (r.status !== 'succeeded') throw new Error(`training ${r.status}`);
      rows.push({ faces: size, fillSeconds, load: load(), ...r });
      console.log(
        `  ${size}: trained in ${r.trainSeconds.toFixed(1)} s; idle ${mb(r.rssIdle)}, peak ${mb(r.vmHwm)} (sampled ${mb(r.sampledPeak)}), after ${mb(r.rssAfter)} (V8 heap ${mb(r.heapUsed)}, external ${mb(r.external)})`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log('\n| faces | train | replica idle (baseline) | replica peak (VmHWM) | peak / idle | after training | load |');
  console.log('| ----- | ----- | ----------------------- | -------------------- | ----------- | -------------- | ---- |');
  for (const r of rows)
    console.log(
      `| ${r.faces} | ${r.trainSeconds.toFixed(1)} s | ${mb(r.rssIdle)} | ${mb(r.vmHwm)} | ${(r.vmHwm / r.rssIdle).toFixed(1)}x | ${mb(r.rssAfter)} | ${r.load} |`,
    );
  mkdirSync(path.join(BENCH_DIR, 'out'), { recursive: true });
  writeFileSync(
    path.join(BENCH_DIR, 'out', 'train-memory.json'),
    JSON.stringify({ generatedAt: new Date().toISOString(), seed: SEED, rows }, null, 1),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
