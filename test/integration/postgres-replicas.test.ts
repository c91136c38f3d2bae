/**
 * Two replicas sharing one PostgreSQL (FACEGRAPH_DATABASE_URL), each with its own data
 * directory and embedded engine: a training one replica runs reads as running on the other
 * (its lease is live: it is not declared interrupted), the other identifies with the snapshot
 * once it succeeded, picks up a newer snapshot by its version, and a person deleted on one
 * replica is out of the other's identification at once.
 *
 * Faces are given as images, never faceIds: faceIds live in each replica's in-memory registry.
 * (FACEGRAPH_REDIS_URL shares faceIds between replicas; test/redis/replicas.test.ts covers that.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectionRef } from '../../src/domain/collections.js';
import type { CollectionStore } from '../../src/ports/collection-store.js';
import { faceBase64, manifest } from '../helpers/paths.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { holdTrainingReads } from '../helpers/hold-training.js';

const photos = manifest().filter((m) => m.file.startsWith('people/'));
const people = [...new Set(photos.map((m) => m.file.split('/')[1]!))].sort();
const filesOf = (person: string): string[] => photos.filter((m) => m.file.split('/')[1] === person).map((m) => m.file);
/** Three people with a held-back probe photo: two enrolled first, the third after the first training. */
const [first, second, third] = people.filter((p) => p !== 'rose_leslie' && filesOf(p).length >= 2) as [string, string, string];
const gallery = (person: string): string[] => filesOf(person).slice(0, -1);
const probe = (person: string): string => filesOf(person).at(-1)!;
const image = (file: string) => ({ base64: faceBase64(file) });

const GROUP = { kind: 'LARGE_PERSON_GROUP', id: 'replicated' };
const CREATE_GROUP = `mutation($input: CreatePersonGroupInput!) {
  createPersonGroup(input: $input) { personGroup { id } userErrors { code field message } }
}`;
const CREATE_PERSON = `mutation($input: CreatePersonInput!) {
  createPerson(input: $input) { person { personId persistedFaces { persistedFaceId } } userErrors { code field message } }
}`;
const TRAIN_GROUP = `mutation($input: PersonGroupRefInput!) { trainPersonGroup(input: $input) { training { status } userErrors { code message } } }`;
const GROUP_TRAINING = `query($kind: PersonGroupKind, $id: ID!) { personGroup(kind: $kind, id: $id) { training { status message } } }`;
const IDENTIFY = `mutation($input: IdentifyFacesInput!) {
  identifyFaces(input: $input) { results { candidates { personId } } userErrors { code field message } }
}`;
const DELETE_PERSON = `mutation($input: PersonRefInput!) { deletePerson(input: $input) { deletedId userErrors { code } } }`;

let db: TestDatabase;
let a: TestServer;
let b: TestServer;
/** While set, replica A's training waits for it before reading the embeddings. */
let hold: Promise<void> | null = null;

/** Replica A's store: its training's read of the embeddings waits for `hold`. */
const holdTraining = holdTrainingReads(() => hold);

/** How many times replica B has read a snapshot from the store. */
let snapshotReadsOnB = 0;
const countSnapshotReads = (store: CollectionStore): CollectionStore =>
  new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'readSnapshot') {
        return (ref: CollectionRef) => {
          snapshotReadsOnB++;
          return target.readSnapshot(ref);
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });

async function gql<T>(server: TestServer, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await server.gql<T>(query, variables);
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!;
}

async function enrol(server: TestServer, person: string): Promise<string> {
  const data = await gql<{ createPerson: { person: { personId: string; persistedFaces: unknown[] }; userErrors: unknown[] } }>(
    server,
    CREATE_PERSON,
    { input: { personGroup: GROUP, name: person, faces: gallery(person).map((f) => ({ image: image(f) })) } },
  );
  expect(data.createPerson.userErrors).toEqual([]);
  expect(data.createPerson.person.persistedFaces).toHaveLength(gallery(person).length);
  return data.createPerson.person.personId;
}

async function trainingOf(server: TestServer): Promise<{ status: string; message: string | null }> {
  const data = await gql<{ personGroup: { training: { status: string; message: string | null } } }>(server, GROUP_TRAINING, GROUP);
  return data.personGroup.training;
}

async function train(server: TestServer): Promise<void> {
  const data = await gql<{ trainPersonGroup: { training: { status: string }; userErrors: unknown[] } }>(server, TRAIN_GROUP, {
    input: GROUP,
  });
  expect(data.trainPersonGroup.userErrors).toEqual([]);
}

/** Polls `reader` until the training succeeded; every status seen on the way is RUNNING. */
async function succeeded(reader: TestServer): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const t = await trainingOf(reader);
    if (t.status === 'SUCCEEDED') return;
    expect(t.status, t.message ?? '').toBe('RUNNING');
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('training did not finish');
}

/** The top candidate's personId for each probe photo, identified on `server`. */
async function identify(server: TestServer, files: string[]): Promise<Array<string | null>> {
  const data = await gql<{ identifyFaces: { results: Array<{ candidates: Array<{ personId: string }> }> | null; userErrors: unknown[] } }>(
    server,
    IDENTIFY,
    { input: { personGroup: GROUP, faces: files.map((f) => ({ image: image(f) })) } },
  );
  expect(data.identifyFaces.userErrors).toEqual([]);
  return data.identifyFaces.results!.map((r) => r.candidates[0]?.personId ?? null);
}

beforeAll(async () => {
  db = await createTestDatabase();
  // Each replica gets its own temporary FACEGRAPH_DATA_DIR from startTestServer; collections are in PostgreSQL.
  const env = { FACEGRAPH_DATABASE_URL: db.url, FACEGRAPH_WORKERS: '1' };
  a = await startTestServer(env, undefined, 'embedded', { decorateCollectionStore: holdTraining });
  b = await startTestServer(env, undefined, 'embedded', { decorateCollectionStore: countSnapshotReads });
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await db?.drop();
});

describe('two replicas on one PostgreSQL', () => {
  const ids = new Map<string, string>();

  it("B sees A's running training as running (not interrupted), then identifies with its snapshot", async () => {
    const created = await gql<{ createPersonGroup: { userErrors: unknown[] } }>(a, CREATE_GROUP, {
      input: { ...GROUP, name: 'Replicated', recognitionModel: 'RECOGNITION_04' },
    });
    expect(created.createPersonGroup.userErrors).toEqual([]);
    for (const person of [first, second]) ids.set(person, await enrol(a, person));

    let release!: () => void;
    hold = new Promise<void>((r) => (release = r));
    await train(a);
    // A's job waits: B reads it several times (each read would have declared it interrupted before leases).
    for (let i = 0; i < 3; i++) {
      expect(await trainingOf(b)).toEqual({ status: 'RUNNING', message: null });
      await new Promise((r) => setTimeout(r, 100));
    }
    // B's trainPersonGroup finds it running and starts no job of its own.
    await train(b);
    expect(await trainingOf(a)).toEqual({ status: 'RUNNING', message: null });
    release();
    hold = null;
    await succeeded(b);
    expect(await identify(b, [probe(first), probe(second)])).toEqual([ids.get(first), ids.get(second)]);
  });

  it("B loads A's newer snapshot when told of it (NOTIFY), before its next search: a person enrolled and trained on A is identified on B", async () => {
    ids.set(third, await enrol(a, third));
    const readsBefore = snapshotReadsOnB;
    await train(a);
    await succeeded(a);
    // B heard of the new snapshot and read it in the background, without a search asking.
    await expect.poll(() => snapshotReadsOnB, { timeout: 10_000 }).toBe(readsBefore + 1);
    expect(await identify(b, [probe(third), probe(first)])).toEqual([ids.get(third), ids.get(first)]);
    // The search used the index already loaded.
    expect(snapshotReadsOnB).toBe(readsBefore + 1);
  });

  it('a person deleted on B is out of identification on A at once', async () => {
    expect(await identify(a, [probe(first)])).toEqual([ids.get(first)]);
    const deleted = await gql<{ deletePerson: { deletedId: string } }>(b, DELETE_PERSON, {
      input: { personGroup: GROUP, personId: ids.get(first) },
    });
    expect(deleted.deletePerson.deletedId).toBe(ids.get(first));
    const [top, other] = await identify(a, [probe(first), probe(second)]);
    expect(top).not.toBe(ids.get(first));
    expect(other).toBe(ids.get(second));
    expect(await trainingOf(a)).toEqual({ status: 'SUCCEEDED', message: null });
  });
});
