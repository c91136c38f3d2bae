/**
 * Trained collections with an ANN index (usearch, from 1 face on so small data exercises it):
 * identify and LargeFaceList findSimilar answer as the exact index does, deletes are gone from
 * search at once and from the stored snapshot's bytes, and a restart loads the ANN snapshot.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsearchIndexFactory } from '../../src/adapters/index/usearch-index.js';
import type { CollectionRef } from '../../src/domain/collections.js';
import { detected, detector, openFixture, vec, type Fixture } from '../helpers/collections.js';

const LPG = { kind: 'largePersonGroup', id: 'lpg' } as const;
const LFL = { kind: 'largeFaceList', id: 'lfl' } as const;
const PERSONS = 40;
const FACES = 3;

let ann: Fixture;
let exact: Fixture;

beforeEach(async () => {
  ann = await openFixture(undefined, { vectorIndex: new UsearchIndexFactory({ buildThreads: 1 }), annMinFaces: 1 });
  exact = await openFixture();
});

afterEach(async () => {
  await ann.close();
  await exact.close();
});

/**
 * The same group in both fixtures: person k has faces vec(k, 1..FACES), person 0 has 80 (more than
 * identify's first search asks for); answers personIds by fixture.
 */
async function group(f: Fixture): Promise<string[]> {
  await f.services.collections.create(LPG.kind, LPG.id, { name: 'g', recognitionModel: 'recognition_04' });
  const ids: string[] = [];
  for (let k = 0; k < PERSONS; k++) {
    const person = await f.services.persons.create(LPG, { name: `p${k}` });
    ids.push(person.personId);
    for (let s = 1; s <= (k === 0 ? 80 : FACES); s++)
      await f.services.faces.add(LPG, person.personId, { detect: detector(detected(vec(k, s))) });
  }
  return ids;
}

async function train(f: Fixture, ref: CollectionRef): Promise<void> {
  const collection = await f.services.collections.get(ref);
  await f.services.training.train(collection);
  await f.services.training.settled(collection);
}

/** Candidates with personIds replaced by person numbers, so two fixtures compare. */
async function identify(f: Fixture, ids: string[], probe: Float32Array, max: number, threshold: number): Promise<Array<[number, number]>> {
  const [result] = await f.services.identification.identify(LPG, [f.faceId(probe)], {
    maxNumOfCandidatesReturned: max,
    confidenceThreshold: threshold,
  });
  return result!.candidates.map((c) => [ids.indexOf(c.personId), c.confidence]);
}

describe('ANN-trained collections', () => {
  it('identify answers as the exact index does, also when more persons are asked for than a first search returns', async () => {
    const annIds = await group(ann);
    const exactIds = await group(exact);
    await train(ann, LPG);
    await train(exact, LPG);
    expect((await ann.store.readSnapshot(LPG))!.bytes.subarray(4, 60).toString()).toContain('facegraph-ann-v1');
    for (let k = 0; k < PERSONS; k += 7) {
      const probe = vec(k, 99);
      expect(await identify(ann, annIds, probe, 10, 0.5)).toEqual(await identify(exact, exactIds, probe, 10, 0.5));
      // threshold 0: every person qualifies. Near person 0, the first search (k = 64) sees only person 0's faces.
      expect(await identify(ann, annIds, probe, 5, 0)).toEqual(await identify(exact, exactIds, probe, 5, 0));
      expect(await identify(ann, annIds, probe, 30, 0)).toEqual(await identify(exact, exactIds, probe, 30, 0));
      expect(await identify(ann, annIds, probe, 40, 0)).toHaveLength(PERSONS);
    }
  });

  it('a deleted face or person is gone from search at once, from the snapshot bytes, and after a restart', async () => {
    const ids = await group(ann);
    await train(ann, LPG);
    const person0 = await ann.services.persons.get(LPG, ids[0]!);
    const victim = vec(0, 1);
    const bytesOf = (v: Float32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    expect((await ann.store.readSnapshot(LPG))!.bytes.indexOf(bytesOf(victim))).toBeGreaterThan(0);
    await ann.services.faces.delete(LPG, ids[0]!, person0.persistedFaceIds[0]!);
    const snapshot = (await ann.store.readSnapshot(LPG))!.bytes;
    expect(snapshot.indexOf(bytesOf(victim))).toBe(-1);
    expect(snapshot.indexOf(Buffer.from(person0.persistedFaceIds[0]!))).toBe(-1);
    // Person 0 is still found through its other faces.
    expect((await identify(ann, ids, victim, 1, 0.5))[0]![0]).toBe(0);

    await ann.services.persons.delete(LPG, ids[1]!);
    expect((await identify(ann, ids, vec(1, 99), 5, 0.5)).map(([k]) => k)).not.toContain(1);
    for (let s = 1; s <= FACES; s++) expect((await ann.store.readSnapshot(LPG))!.bytes.indexOf(bytesOf(vec(1, s)))).toBe(-1);

    await ann.restart();
    expect((await identify(ann, ids, vec(1, 99), 5, 0.5)).map(([k]) => k)).not.toContain(1);
    expect((await identify(ann, ids, vec(2, 99), 1, 0.5))[0]![0]).toBe(2);
  });

  it('LargeFaceList findSimilar searches the ANN index in both modes', async () => {
    for (const f of [ann, exact]) {
      await f.services.collections.create(LFL.kind, LFL.id, { name: 'l', recognitionModel: 'recognition_04' });
      for (let k = 0; k < 30; k++) await f.services.faces.add(LFL, null, { detect: detector(detected(vec(k % 10, k))) });
      await train(f, LFL);
    }
    const similar = async (f: Fixture, mode: 'matchFace' | 'matchPerson'): Promise<number[]> => {
      const found = await f.services.identification.findSimilar(LFL, f.faceId(vec(3, 500)), { mode, maxNumOfCandidatesReturned: 5 });
      return found.map((m) => m.confidence);
    };
    expect(await similar(ann, 'matchFace')).toEqual(await similar(exact, 'matchFace'));
    expect(await similar(ann, 'matchPerson')).toEqual(await similar(exact, 'matchPerson'));
    expect(await similar(ann, 'matchPerson')).toHaveLength(3);
  });
});
