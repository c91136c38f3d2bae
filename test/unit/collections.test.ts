/**
 * The collection use cases on a real store, with synthetic unit embeddings. Runs twice: on SQLite
 * (temp dir, project `embedded`) and on PostgreSQL (project `postgres`; see test/helpers/collections.ts).
 * vec(k, seed) is "person k" (same person ≈ 0.1 apart, confidence ≈ 1; different persons √2
 * apart, confidence ≈ 0). Every collection error code, the limits (small injected ones),
 * paging, cascades, training semantics, identify / verify / findSimilar and a restart.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromFaceError } from '../../src/api/rest/errors.js';
import { createCollectionServices } from '../../src/app/collections/service.js';
import { INTERRUPTED_MESSAGE, TRAINING_LEASE_MS } from '../../src/app/collections/training.js';
import { AZURE_COLLECTION_LIMITS, type CollectionLimits, type CollectionRef } from '../../src/domain/collections.js';
import { confidenceFromDistance, euclideanDistance, roundConfidence } from '../../src/domain/similarity.js';
import { between, detected, detector, openFixture, rect, vec, type Fixture } from '../helpers/collections.js';
import { expectCode } from '../helpers/errors.js';

const LIMITS: CollectionLimits = {
  collections: { faceList: 2, largeFaceList: 5, personGroup: 5, largePersonGroup: 5 },
  facesPerList: { faceList: 3, largeFaceList: 4 },
  personsPerGroup: { personGroup: 3, largePersonGroup: 4 },
  facesPerPerson: 2,
};

const PG = { kind: 'personGroup', id: 'pg' } as const;
const LPG = { kind: 'largePersonGroup', id: 'lpg' } as const;
const FL = { kind: 'faceList', id: 'fl' } as const;
const LFL = { kind: 'largeFaceList', id: 'lfl' } as const;

let f: Fixture;

beforeEach(async () => {
  f = await openFixture(LIMITS);
});

afterEach(async () => {
  await f.close();
});

/** Creates a group of persons, person k with faces vec(k, 1..n); returns their personIds by k. */
async function group(ref: typeof PG | typeof LPG, persons: Record<number, number>): Promise<Record<number, string>> {
  const { collections, persons: people, faces } = f.services;
  await collections.create(ref.kind, ref.id, { name: ref.id, recognitionModel: 'recognition_04' });
  const ids: Record<number, string> = {};
  for (const [k, n] of Object.entries(persons)) {
    const person = await people.create(ref, { name: `person ${k}` });
    ids[Number(k)] = person.personId;
    for (let s = 1; s <= n; s++) await faces.add(ref, person.personId, { detect: detector(detected(vec(Number(k), s))) });
  }
  return ids;
}

async function train(ref: CollectionRef): Promise<void> {
  const collection = await f.services.collections.get(ref);
  await f.services.training.train(collection);
  await f.services.training.settled(collection);
}

describe('collections: create, get, update, delete, list', () => {
  it.each(['faceList', 'largeFaceList', 'personGroup', 'largePersonGroup'] as const)('%s', async (kind) => {
    const { collections } = f.services;
    const created = await collections.create(kind, 'c-1_x', { name: 'Cats', userData: 'u' });
    expect(created).toMatchObject({ kind, id: 'c-1_x', name: 'Cats', userData: 'u', recognitionModel: 'recognition_01' });
    const ref = { kind, id: 'c-1_x' };
    expect(await collections.get(ref)).toEqual(created);
    expect(await collections.update(ref, { userData: null })).toMatchObject({ name: 'Cats', userData: null });
    expect(await collections.update(ref, { name: 'Dogs' })).toMatchObject({ name: 'Dogs' });
    const exists = await expectCode(collections.create(kind, 'c-1_x', { name: 'again' }), 'COLLECTION_EXISTS');
    expect(exists.details).toMatchObject({ collectionKind: kind, collectionId: 'c-1_x' });
    await collections.delete(ref);
    await expectCode(collections.get(ref), 'COLLECTION_NOT_FOUND');
    await expectCode(collections.delete(ref), 'COLLECTION_NOT_FOUND');
    await expectCode(collections.update(ref, { name: 'x' }), 'COLLECTION_NOT_FOUND');
  });

  it("checks Azure's id, name, userData, model and patch rules", async () => {
    const { collections } = f.services;
    for (const id of ['', 'Upper', 'has space', 'a'.repeat(65), 'é']) {
      await expectCode(collections.create('personGroup', id, { name: 'n' }), 'INVALID_ARGUMENT');
    }
    await collections.create('personGroup', 'a'.repeat(64), { name: 'n'.repeat(128), userData: 'u'.repeat(16_384) });
    await expectCode(collections.create('personGroup', 'b', { name: '' }), 'INVALID_ARGUMENT');
    await expectCode(collections.create('personGroup', 'b', { name: 'n'.repeat(129) }), 'INVALID_ARGUMENT');
    await expectCode(collections.create('personGroup', 'b', { name: 'n', userData: 'u'.repeat(16_385) }), 'INVALID_ARGUMENT');
    await expectCode(collections.create('personGroup', 'b', { name: 'n', recognitionModel: 'recognition_09' }), 'INVALID_ARGUMENT');
    const both = await expectCode(collections.update({ kind: 'personGroup', id: 'a'.repeat(64) }, {}), 'INVALID_ARGUMENT');
    expect(both.message).toBe("Both 'name' and 'userData' are empty.");
    // An id that could never exist is simply not found.
    await expectCode(collections.get({ kind: 'faceList', id: 'NOPE' }), 'COLLECTION_NOT_FOUND');
  });

  it('limits the collections of each kind', async () => {
    const { collections } = f.services;
    await collections.create('faceList', 'a', { name: 'a' });
    await collections.create('faceList', 'b', { name: 'b' });
    const err = await expectCode(collections.create('faceList', 'c', { name: 'c' }), 'QUOTA_EXCEEDED');
    expect(err.details.limit).toBe(2);
    await collections.create('largeFaceList', 'c', { name: 'c' });
    await collections.delete({ kind: 'faceList', id: 'a' });
    await collections.create('faceList', 'c', { name: 'c' });
  });

  it('lists by id with start (exclusive) and top (1–1000, default 1000)', async () => {
    const { collections } = f.services;
    for (const id of ['d', 'b', 'a', 'e', 'c']) await collections.create('largePersonGroup', id, { name: id });
    const ids = async (start?: unknown, top?: unknown): Promise<string[]> =>
      (await collections.list('largePersonGroup', start, top)).map((c) => c.id);
    expect(await ids()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(await ids('b')).toEqual(['c', 'd', 'e']);
    expect(await ids(null, 2)).toEqual(['a', 'b']);
    expect(await ids('b', 2)).toEqual(['c', 'd']);
    expect(await ids('zz', 2)).toEqual([]);
    for (const top of [0, 1001, 1.5, '3']) await expectCode(collections.list('largePersonGroup', null, top), 'INVALID_ARGUMENT');
    await expectCode(collections.list('largePersonGroup', 'x'.repeat(65)), 'INVALID_ARGUMENT');
  });
});

describe('persons', () => {
  it('creates, gets, updates, lists and deletes persons; PERSON_NOT_FOUND otherwise', async () => {
    const { collections, persons, faces } = f.services;
    await collections.create('largePersonGroup', 'lpg', { name: 'g' });
    const made = [];
    for (const name of ['ann', 'bob', 'cy']) made.push(await persons.create(LPG, { name, userData: `${name}!` }));
    const sorted = made.map((p) => p.personId).sort();
    expect((await persons.list(LPG)).map((p) => p.personId)).toEqual(sorted);
    expect((await persons.list(LPG, sorted[0], 1)).map((p) => p.personId)).toEqual([sorted[1]]);
    const ann = made[0]!;
    const added = await faces.add(LPG, ann.personId, { detect: detector(detected(vec(1, 1))), userData: 'first' });
    expect(await persons.get(LPG, ann.personId.toUpperCase())).toMatchObject({
      name: 'ann',
      userData: 'ann!',
      persistedFaceIds: [added.persistedFaceId],
    });
    expect(await persons.update(LPG, ann.personId, { name: 'anne' })).toMatchObject({ name: 'anne', userData: 'ann!' });
    await persons.delete(LPG, ann.personId);
    const missing = await expectCode(persons.get(LPG, ann.personId), 'PERSON_NOT_FOUND');
    expect(missing.details.personId).toBe(ann.personId);
    await expectCode(persons.delete(LPG, ann.personId), 'PERSON_NOT_FOUND');
    await expectCode(persons.update(LPG, ann.personId, { name: 'x' }), 'PERSON_NOT_FOUND');
    await expectCode(faces.add(LPG, ann.personId, { detect: detector(detected(vec(1, 2))) }), 'PERSON_NOT_FOUND');
    await expectCode(persons.get(LPG, 'not-a-uuid'), 'INVALID_ARGUMENT');
    await expectCode(persons.create({ kind: 'personGroup', id: 'nope' }, { name: 'x' }), 'COLLECTION_NOT_FOUND');
    await expectCode(persons.create(LPG, { name: '' }), 'INVALID_ARGUMENT');
  });

  it('limits persons per group and faces per person', async () => {
    const { collections, persons, faces } = f.services;
    await collections.create('personGroup', 'pg', { name: 'g' });
    const p = await persons.create(PG, { name: '1' });
    await persons.create(PG, { name: '2' });
    await persons.create(PG, { name: '3' });
    expect((await expectCode(persons.create(PG, { name: '4' }), 'QUOTA_EXCEEDED')).details.limit).toBe(3);
    await faces.add(PG, p.personId, { detect: detector(detected(vec(1, 1))) });
    await faces.add(PG, p.personId, { detect: detector(detected(vec(1, 2))) });
    expect((await expectCode(faces.add(PG, p.personId, { detect: detector(detected(vec(1, 3))) }), 'QUOTA_EXCEEDED')).details.limit).toBe(
      2,
    );
  });

  it("has Azure's limits by default", () => {
    expect(AZURE_COLLECTION_LIMITS).toEqual({
      collections: { faceList: 64, largeFaceList: 1_000_000, personGroup: 1_000_000, largePersonGroup: 1_000_000 },
      facesPerList: { faceList: 1000, largeFaceList: 1_000_000 },
      personsPerGroup: { personGroup: 10_000, largePersonGroup: 1_000_000 },
      facesPerPerson: 248,
    });
  });
});

describe('persisted faces', () => {
  beforeEach(async () => {
    await f.services.collections.create('faceList', 'fl', { name: 'faces', recognitionModel: 'recognition_03' });
  });

  it("detects with the collection's model and keeps the only face (no image), with userData ≤ 1 KB", async () => {
    const { faces } = f.services;
    const detect = detector(detected(vec(1, 1)));
    const added = await faces.add(FL, null, { detect, userData: 'x'.repeat(1024) });
    expect(detect.models).toEqual(['recognition_03']);
    expect(added).toMatchObject({ personId: null, userData: 'x'.repeat(1024), recognitionModel: 'recognition_03' });
    expect(await faces.get(FL, null, added.persistedFaceId)).toEqual(added);
    expect(await faces.update(FL, null, added.persistedFaceId, 'new')).toMatchObject({ userData: 'new' });
    await expectCode(faces.add(FL, null, { detect, userData: 'x'.repeat(1025) }), 'INVALID_ARGUMENT');
    await expectCode(faces.update(FL, null, added.persistedFaceId, 'x'.repeat(1025)), 'INVALID_ARGUMENT');
  });

  it('refuses an image without a face, or with several faces and no targetFace', async () => {
    const { faces } = f.services;
    await expectCode(faces.add(FL, null, { detect: detector() }), 'NO_FACE_IN_IMAGE');
    const two = detector(detected(vec(1, 1), rect(0, 0)), detected(vec(2, 1), rect(300, 0)));
    const err = await expectCode(faces.add(FL, null, { detect: two }), 'MULTIPLE_FACES_IN_IMAGE');
    expect(fromFaceError(err)).toMatchObject({ status: 400, code: 'InvalidImage', message: 'There is more than 1 face in the image.' });
  });

  it('picks the face targetFace overlaps (IoU ≥ 0.5), else no face', async () => {
    const { faces } = f.services;
    const two = detector(detected(vec(1, 1), rect(0, 0)), detected(vec(2, 1), rect(300, 0)));
    const picked = await faces.add(FL, null, { detect: two, targetFace: rect(310, 10) });
    expect(picked.embedding).toEqual(vec(2, 1));
    // rect(350, 0) overlaps the second face by 50×100 of 15,000: IoU 1/3.
    const miss = await expectCode(faces.add(FL, null, { detect: two, targetFace: rect(350, 0) }), 'NO_FACE_IN_IMAGE');
    expect(miss.details.argument).toBe('targetFace');
    await expectCode(faces.add(FL, null, { detect: two, targetFace: rect(-1, 0) }), 'INVALID_ARGUMENT');
    await expectCode(faces.add(FL, null, { detect: two, targetFace: { left: 0, top: 0, width: 0, height: 10 } }), 'INVALID_ARGUMENT');
  });

  it('checks the collection before detecting; PERSISTED_FACE_NOT_FOUND for a face not there', async () => {
    const { faces } = f.services;
    const detect = detector(detected(vec(1, 1)));
    await expectCode(faces.add({ kind: 'faceList', id: 'other' }, null, { detect }), 'COLLECTION_NOT_FOUND');
    expect(detect.models).toEqual([]);
    const id = '00000000-0000-4000-8000-000000000000';
    await expectCode(faces.get(FL, null, id), 'PERSISTED_FACE_NOT_FOUND');
    await expectCode(faces.update(FL, null, id, 'x'), 'PERSISTED_FACE_NOT_FOUND');
    await expectCode(faces.delete(FL, null, id), 'PERSISTED_FACE_NOT_FOUND');
    await expectCode(faces.get(FL, null, 'nope'), 'INVALID_ARGUMENT');
  });

  it('limits faces per list, lists them by id with start/top, and deletes them', async () => {
    const { faces, collections } = f.services;
    const ids = [];
    for (let s = 1; s <= 3; s++) ids.push((await faces.add(FL, null, { detect: detector(detected(vec(1, s))) })).persistedFaceId);
    expect((await expectCode(faces.add(FL, null, { detect: detector(detected(vec(1, 9))) }), 'QUOTA_EXCEEDED')).details.limit).toBe(3);
    ids.sort();
    expect((await faces.list(FL, null)).map((x) => x.persistedFaceId)).toEqual(ids);
    expect((await faces.list(FL, null, ids[0], 1)).map((x) => x.persistedFaceId)).toEqual([ids[1]]);
    await faces.delete(FL, null, ids[1]);
    expect((await faces.list(FL, null)).map((x) => x.persistedFaceId)).toEqual([ids[0], ids[2]]);
    await faces.add(FL, null, { detect: detector(detected(vec(1, 9))) });

    await collections.create('largeFaceList', 'lfl', { name: 'l' });
    for (let s = 1; s <= 4; s++) await faces.add(LFL, null, { detect: detector(detected(vec(1, s))) });
    expect((await expectCode(faces.add(LFL, null, { detect: detector(detected(vec(1, 5))) }), 'QUOTA_EXCEEDED')).details.limit).toBe(4);
  });
});

describe('training', () => {
  it('returns running at once, succeeds in the background, and records the times', async () => {
    await group(PG, { 1: 1 });
    const collection = await f.services.collections.get(PG);
    await expectCode(f.services.training.status(collection), 'COLLECTION_NOT_TRAINED');
    const createdAt = collection.createdAt;
    f.clock.advance(1000);
    const started = await f.services.training.train(collection);
    expect(started).toEqual({
      status: 'running',
      createdDateTime: createdAt,
      lastActionDateTime: f.clock.t,
      lastSuccessfulTrainingDateTime: null,
      message: null,
    });
    // Training again while it runs starts nothing new.
    expect((await f.services.training.train(collection)).status).toBe('running');
    await f.services.training.settled(collection);
    expect(await f.services.training.status(collection)).toEqual({
      status: 'succeeded',
      createdDateTime: createdAt,
      lastActionDateTime: f.clock.t,
      lastSuccessfulTrainingDateTime: f.clock.t,
      message: null,
    });
  });

  it('identify: NOT_TRAINED before any training, TRAINING_NOT_FINISHED while the first runs', async () => {
    await group(LPG, { 1: 1 });
    const face = f.faceId(vec(1, 5));
    const notTrained = await expectCode(f.services.identification.identify(LPG, [face]), 'COLLECTION_NOT_TRAINED');
    expect(fromFaceError(notTrained)).toMatchObject({ status: 400, code: 'LargePersonGroupNotTrained' });
    expect(fromFaceError(notTrained, { notTrainedStatus: 404 }).status).toBe(404);
    const collection = await f.services.collections.get(LPG);
    await f.services.training.train(collection);
    const running = await expectCode(f.services.identification.identify(LPG, [face]), 'TRAINING_NOT_FINISHED');
    expect(fromFaceError(running)).toMatchObject({ status: 409, code: 'LargePersonGroupTrainingNotFinished' });
    await f.services.training.settled(collection);
    expect((await f.services.identification.identify(LPG, [face]))[0]!.candidates).toHaveLength(1);
  });

  it('searches the last successful training only: faces added later wait for the next one', async () => {
    const ids = await group(PG, { 1: 1, 2: 1 });
    await train(PG);
    const newcomer = await f.services.persons.create(PG, { name: 'three' });
    await f.services.faces.add(PG, newcomer.personId, { detect: detector(detected(vec(3, 1))) });
    await f.services.faces.add(PG, ids[1]!, { detect: detector(detected(vec(3, 2))) });
    const probe = f.faceId(vec(3, 7));
    expect((await f.services.identification.identify(PG, [probe]))[0]!.candidates).toEqual([]);

    // A second training that runs keeps serving the first one's index.
    const collection = await f.services.collections.get(PG);
    await f.services.training.train(collection);
    expect((await f.services.identification.identify(PG, [probe]))[0]!.candidates).toEqual([]);
    await f.services.training.settled(collection);
    const candidates = (await f.services.identification.identify(PG, [probe]))[0]!.candidates;
    expect(candidates.map((c) => c.personId).sort()).toEqual([ids[1], newcomer.personId].sort());
  });

  it('a deleted face or person leaves the trained index at once, and the snapshot with it', async () => {
    const ids = await group(PG, { 1: 2, 2: 1 });
    await train(PG);
    const probe1 = f.faceId(vec(1, 9));
    const probe2 = f.faceId(vec(2, 9));
    const person1 = await f.services.persons.get(PG, ids[1]);
    await f.services.faces.delete(PG, ids[1], person1.persistedFaceIds[0]);
    expect((await f.services.identification.identify(PG, [probe1]))[0]!.candidates.map((c) => c.personId)).toEqual([ids[1]]);
    await f.services.persons.delete(PG, ids[2]);
    expect((await f.services.identification.identify(PG, [probe2]))[0]!.candidates).toEqual([]);
    const snapshot = await f.store.readSnapshot(PG);
    const text = snapshot!.bytes.toString('latin1');
    expect(text.includes(ids[2]!)).toBe(false);
    expect(text.includes(person1.persistedFaceIds[0]!)).toBe(false);
    expect(text.includes(person1.persistedFaceIds[1]!)).toBe(true);
    // Also after a restart (the snapshot, not a cache, holds the cut index).
    await f.restart();
    expect((await f.services.identification.identify(PG, [probe2]))[0]!.candidates).toEqual([]);
  });

  it('a training that throws is recorded as failed, and the last success still serves', async () => {
    await group(PG, { 1: 1 });
    await train(PG);
    const broken = new Proxy(f.store, {
      get: (target, prop, receiver) =>
        prop === 'embeddingBatches'
          ? async function* () {
              yield* [];
              throw new Error('disk on fire');
            }
          : (Reflect.get(target, prop, receiver) as unknown),
    });
    const services = createCollectionServices({
      store: broken,
      clock: f.clock,
      registered: {
        registered: () => {
          throw new Error('unused');
        },
        resolveRef: () => Promise.reject(new Error('unused')),
      },
    });
    const collection = await services.collections.get(PG);
    f.clock.advance(1000);
    await services.training.train(collection);
    await services.training.settled(collection);
    const status = await services.training.status(collection);
    expect(status).toMatchObject({ status: 'failed', message: 'The training failed.', lastActionDateTime: f.clock.t });
    expect(status.lastSuccessfulTrainingDateTime).toBeLessThan(f.clock.t);
    expect((await f.services.identification.identify(PG, [f.faceId(vec(1, 3))]))[0]!.candidates).toHaveLength(1);
  });

  it('a training left running by a stopped process reads as failed, and the last success still serves', async () => {
    await group(PG, { 1: 1 });
    await train(PG);
    const collection = await f.services.collections.get(PG);
    const before = await f.services.training.status(collection);
    // The process stops while a training runs: its status stays "running" in the store.
    await f.services.training.train(collection);
    await f.restart();
    // Until its lease expires it may be another replica's training: it reads as running.
    f.clock.advance(5000);
    expect(await f.services.training.status(collection)).toMatchObject({ status: 'running' });
    f.clock.advance(TRAINING_LEASE_MS);
    const after = await f.services.training.status(collection);
    expect(after).toMatchObject({
      status: 'failed',
      message: INTERRUPTED_MESSAGE,
      lastSuccessfulTrainingDateTime: before.lastSuccessfulTrainingDateTime,
      lastActionDateTime: f.clock.t,
    });
    expect((await f.services.identification.identify(PG, [f.faceId(vec(1, 3))]))[0]!.candidates).toHaveLength(1);
  });

  it('a training another replica runs under a live lease reads as running and is not started twice', async () => {
    await group(PG, { 1: 1 });
    await train(PG);
    const collection = await f.services.collections.get(PG);
    const before = await f.services.training.status(collection);
    const running = { ...before, status: 'running' as const, lastActionDateTime: f.clock.t };
    await f.store.writeTraining(PG, collection.uid, { ...running, lease: { owner: 'other-replica', expiresAt: f.clock.t + 10_000 } });
    f.clock.advance(9_999);
    expect(await f.services.training.status(collection)).toEqual(running);
    // train() finds it running and answers its status without a job of its own.
    expect(await f.services.training.train(collection)).toEqual(running);
    expect((await f.store.getTraining(PG))?.lease?.owner).toBe('other-replica');
    // The last success still serves meanwhile.
    expect((await f.services.identification.identify(PG, [f.faceId(vec(1, 3))]))[0]!.candidates).toHaveLength(1);
    f.clock.advance(2);
    expect(await f.services.training.status(collection)).toMatchObject({ status: 'failed', message: INTERRUPTED_MESSAGE });
    expect((await f.store.getTraining(PG))?.lease).toBeNull();
  });
});

describe('replicas sharing one store', () => {
  const unused = {
    registered: () => {
      throw new Error('unused');
    },
    resolveRef: () => Promise.reject(new Error('unused')),
  };
  /** Use cases of a second replica on the same store, whose store runs `before` ahead of the first call of `method`. */
  function replica(method: 'replaceSnapshot' | 'writeTraining', before: (...args: unknown[]) => Promise<void> | null) {
    let done = false;
    const store = new Proxy(f.store, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        const fn = (value as (...args: unknown[]) => Promise<unknown>).bind(target);
        if (prop !== method) return fn;
        return async (...args: unknown[]) => {
          const pending = done ? null : before(...args);
          if (pending) {
            done = true;
            await pending;
          }
          return fn(...args);
        };
      },
    });
    return createCollectionServices({ store, clock: f.clock, registered: unused, limits: LIMITS });
  }
  const top = async (k: number) => (await f.services.identification.identify(LPG, [f.faceId(vec(k, 3))]))[0]!.candidates[0]?.personId;

  it("a delete's cut that loses to another replica's cut starts again from that snapshot", async () => {
    const ids = await group(LPG, { 1: 1, 2: 1, 3: 1 });
    await train(LPG);
    expect(await top(2)).toBe(ids[2]);
    // Replica B's cut of person 1 read snapshot 1; before it writes, A deletes person 2 (snapshot 2).
    const b = replica('replaceSnapshot', () => f.services.persons.delete(LPG, ids[2]));
    await b.persons.delete(LPG, ids[1]);
    expect(await f.store.getTraining(LPG)).toMatchObject({ status: 'succeeded', snapshotVersion: 3 });
    expect(await top(1)).not.toBe(ids[1]);
    expect(await top(2)).not.toBe(ids[2]);
    expect(await top(3)).toBe(ids[3]);
  });

  it('a training cuts what another replica deleted between its check and its save', async () => {
    const ids = await group(LPG, { 1: 1, 2: 1 });
    await train(LPG);
    // Replica B trains; as it saves, A deletes person 1 (A's cut sees only the old snapshot).
    const b = replica('writeTraining', (_ref, _uid, status) =>
      (status as { status: string }).status === 'succeeded' ? f.services.persons.delete(LPG, ids[1]) : null,
    );
    const collection = await b.collections.get(LPG);
    await b.training.train(collection);
    await b.training.settled(collection);
    expect(await f.store.getTraining(LPG)).toMatchObject({ status: 'succeeded', snapshotVersion: 4, lease: null });
    expect(await top(1)).not.toBe(ids[1]);
    expect(await top(2)).toBe(ids[2]);
  });
});

describe('identify', () => {
  it('ranks persons by their best face, applies the threshold and maxNumOfCandidatesReturned', async () => {
    const { collections, persons, faces, identification } = f.services;
    await collections.create('personGroup', 'pg', { name: 'g', recognitionModel: 'recognition_04' });
    // Person A's faces are at angles 0.10 and 0.45 from the probe's axis, B's at 0.25, C's far.
    const a = await persons.create(PG, { name: 'A' });
    const b = await persons.create(PG, { name: 'B' });
    const c = await persons.create(PG, { name: 'C' });
    await faces.add(PG, a.personId, { detect: detector(detected(between(0, 1, 0.45))) });
    await faces.add(PG, a.personId, { detect: detector(detected(between(0, 1, 0.1))) });
    await faces.add(PG, b.personId, { detect: detector(detected(between(0, 2, 0.25))) });
    await faces.add(PG, c.personId, { detect: detector(detected(vec(5, 1))) });
    await train(PG);
    const probe = between(0, 3, 0);
    const conf = (v: Float32Array): number => roundConfidence(confidenceFromDistance(euclideanDistance(probe, v)));
    const id = f.faceId(probe);
    const [result] = await identification.identify(PG, [id]);
    expect(result).toEqual({
      faceId: id,
      candidates: [
        { personId: a.personId, confidence: conf(between(0, 1, 0.1)) },
        { personId: b.personId, confidence: conf(between(0, 2, 0.25)) },
      ],
    });
    expect(result!.candidates[0]!.confidence).toBeGreaterThan(result!.candidates[1]!.confidence);
    const top1 = await identification.identify(PG, [id], { maxNumOfCandidatesReturned: 1 });
    expect(top1[0]!.candidates.map((x) => x.personId)).toEqual([a.personId]);
    const strict = await identification.identify(PG, [id], {
      confidenceThreshold: (result!.candidates[0]!.confidence + result!.candidates[1]!.confidence) / 2,
    });
    expect(strict[0]!.candidates.map((x) => x.personId)).toEqual([a.personId]);
    const all = await identification.identify(PG, [id], { confidenceThreshold: 0 });
    expect(all[0]!.candidates.map((x) => x.personId)).toEqual([a.personId, b.personId, c.personId]);
  });

  it('identifies several faces at once against a LargePersonGroup', async () => {
    const ids = await group(LPG, { 1: 2, 2: 2, 3: 2 });
    await train(LPG);
    const probes = [3, 1, 2, 7].map((k) => f.faceId(vec(k, 11)));
    const results = await f.services.identification.identify(LPG, probes);
    expect(results.map((r) => r.faceId)).toEqual(probes);
    expect(results.map((r) => r.candidates.map((c) => c.personId))).toEqual([[ids[3]], [ids[1]], [ids[2]], []]);
  });

  it("checks faceIds, ranges, the collection and the faces' recognition model", async () => {
    await group(PG, { 1: 1 });
    await train(PG);
    const { identification } = f.services;
    const id = f.faceId(vec(1, 2));
    await expectCode(identification.identify(PG, []), 'INVALID_ARGUMENT');
    await expectCode(
      identification.identify(
        PG,
        Array.from({ length: 11 }, () => f.faceId(vec(1, 2))),
      ),
      'INVALID_ARGUMENT',
    );
    await expectCode(identification.identify(PG, [id, id]), 'DUPLICATE_FACE_ID');
    await expectCode(identification.identify(PG, ['00000000-0000-4000-8000-000000000000']), 'FACE_NOT_FOUND');
    for (const max of [0, 101, 2.5])
      await expectCode(identification.identify(PG, [id], { maxNumOfCandidatesReturned: max }), 'INVALID_ARGUMENT');
    for (const t of [-0.1, 1.1, Number.NaN])
      await expectCode(identification.identify(PG, [id], { confidenceThreshold: t }), 'INVALID_ARGUMENT');
    const missing = await expectCode(identification.identify({ kind: 'personGroup', id: 'nope' }, [id]), 'COLLECTION_NOT_FOUND');
    expect(fromFaceError(missing, { collectionNotFoundStatus: 400 })).toMatchObject({ status: 400, code: 'PersonGroupNotFound' });
    const mismatch = await expectCode(identification.identify(PG, [f.faceId(vec(1, 2), 'recognition_03')]), 'RECOGNITION_MODEL_MISMATCH');
    expect(mismatch.details.argument).toBe('faceIds.0');
  });
});

describe('verify to a person', () => {
  it('is the best of the person’s faces now, with no training', async () => {
    const ids = await group(PG, { 1: 2, 2: 1 });
    const { identification } = f.services;
    const probe = vec(1, 20);
    const same = await identification.verifyToPerson(PG, f.faceId(probe), ids[1]);
    const faces = await f.store.listFaces(PG, ids[1]!);
    const best = Math.max(...faces.map((x) => confidenceFromDistance(euclideanDistance(probe, x.embedding))));
    expect(same).toEqual({ isIdentical: true, confidence: roundConfidence(best) });
    const other = await identification.verifyToPerson(PG, f.faceId(probe), ids[2]);
    expect(other.isIdentical).toBe(false);
    expect(other.confidence).toBeLessThan(0.5);
  });

  it('PERSON_NOT_FOUND, PERSISTED_FACE_NOT_FOUND for a person without faces, and the model check', async () => {
    await group(LPG, { 1: 1 });
    const { identification, persons } = f.services;
    const id = f.faceId(vec(1, 2));
    const err = await expectCode(identification.verifyToPerson(LPG, id, '00000000-0000-4000-8000-000000000000'), 'PERSON_NOT_FOUND');
    expect(fromFaceError(err)).toMatchObject({ status: 404, code: 'PersonNotFound' });
    const empty = await persons.create(LPG, { name: 'empty' });
    const none = await expectCode(identification.verifyToPerson(LPG, id, empty.personId), 'PERSISTED_FACE_NOT_FOUND');
    expect(fromFaceError(none)).toMatchObject({ status: 404, code: 'PersistedFaceNotFound' });
    await expectCode(
      identification.verifyToPerson(LPG, f.faceId(vec(1, 2), 'recognition_01'), empty.personId),
      'RECOGNITION_MODEL_MISMATCH',
    );
    await expectCode(identification.verifyToPerson({ kind: 'largePersonGroup', id: 'x' }, id, empty.personId), 'COLLECTION_NOT_FOUND');
  });
});

describe('findSimilar in face lists', () => {
  it('FaceList: searched as it is (no training); empty is COLLECTION_EMPTY (FaceListNotReady)', async () => {
    const { collections, faces, identification } = f.services;
    await collections.create('faceList', 'fl', { name: 'l', recognitionModel: 'recognition_04' });
    const probe = f.faceId(vec(1, 30));
    const empty = await expectCode(identification.findSimilar(FL, probe), 'COLLECTION_EMPTY');
    expect(fromFaceError(empty)).toMatchObject({ status: 400, code: 'FaceListNotReady' });
    const near = await faces.add(FL, null, { detect: detector(detected(vec(1, 1))) });
    const far = await faces.add(FL, null, { detect: detector(detected(vec(2, 1))) });
    const matchPerson = await identification.findSimilar(FL, probe);
    expect(matchPerson.map((m) => m.persistedFaceId)).toEqual([near.persistedFaceId]);
    const matchFace = await identification.findSimilar(FL, probe, { mode: 'matchFace' });
    expect(matchFace.map((m) => m.persistedFaceId)).toEqual([near.persistedFaceId, far.persistedFaceId]);
    expect(await identification.findSimilar(FL, probe, { mode: 'matchFace', maxNumOfCandidatesReturned: 1 })).toHaveLength(1);
    await expectCode(identification.findSimilar(FL, probe, { maxNumOfCandidatesReturned: 1001 }), 'INVALID_ARGUMENT');
    await expectCode(identification.findSimilar(FL, f.faceId(vec(1, 30), 'recognition_02')), 'RECOGNITION_MODEL_MISMATCH');
  });

  it('LargeFaceList: needs training and searches its last success', async () => {
    const { collections, faces, identification } = f.services;
    await collections.create('largeFaceList', 'lfl', { name: 'l', recognitionModel: 'recognition_04' });
    const first = await faces.add(LFL, null, { detect: detector(detected(vec(4, 1))) });
    const probe = f.faceId(vec(4, 2));
    const err = await expectCode(identification.findSimilar(LFL, probe), 'COLLECTION_NOT_TRAINED');
    expect(fromFaceError(err)).toMatchObject({ status: 400, code: 'LargeFaceListNotTrained' });
    await train(LFL);
    const later = await faces.add(LFL, null, { detect: detector(detected(vec(4, 3))) });
    expect((await identification.findSimilar(LFL, probe)).map((m) => m.persistedFaceId)).toEqual([first.persistedFaceId]);
    await train(LFL);
    const found = await identification.findSimilar(LFL, probe);
    expect(found.map((m) => m.persistedFaceId).sort()).toEqual([first.persistedFaceId, later.persistedFaceId].sort());
    expect(found[0]!.confidence).toBeGreaterThanOrEqual(found[1]!.confidence);
  });
});

describe('delete and restart', () => {
  it('deleting a collection leaves nothing of it in the database, and its id starts afresh', async () => {
    await group(PG, { 1: 2, 2: 1 });
    await train(PG);
    await f.services.collections.delete(PG);
    expect(await f.rowCounts()).toEqual({
      collections: 0,
      collection_persons: 0,
      persisted_faces: 0,
      collection_training: 0,
      index_snapshots: 0,
    });
    await f.services.collections.create('personGroup', 'pg', { name: 'again', recognitionModel: 'recognition_04' });
    await expectCode(f.services.identification.identify(PG, [f.faceId(vec(1, 3))]), 'COLLECTION_NOT_TRAINED');
    expect(await f.services.persons.list(PG)).toEqual([]);
  });

  it('a restart keeps collections, persons, faces, training and the trained index', async () => {
    const ids = await group(LPG, { 1: 1, 2: 2 });
    await train(LPG);
    await f.services.collections.create('faceList', 'fl', { name: 'l', userData: 'kept', recognitionModel: 'recognition_04' });
    await f.services.faces.add(FL, null, { detect: detector(detected(vec(2, 5))), userData: 'face' });
    const status = await f.services.training.status(await f.services.collections.get(LPG));
    await f.restart();
    const { collections, persons, training, identification } = f.services;
    expect(await collections.get(FL)).toMatchObject({ userData: 'kept' });
    expect((await persons.list(LPG)).map((p) => [p.personId, p.persistedFaceIds.length]).sort()).toEqual(
      [
        [ids[1], 1],
        [ids[2], 2],
      ].sort(),
    );
    expect(await training.status(await collections.get(LPG))).toEqual(status);
    const [result] = await identification.identify(LPG, [f.faceId(vec(2, 9))]);
    expect(result!.candidates.map((c) => c.personId)).toEqual([ids[2]]);
    expect((await identification.findSimilar(FL, f.faceId(vec(2, 9))))[0]).toMatchObject({ confidence: expect.any(Number) });
  });
});
