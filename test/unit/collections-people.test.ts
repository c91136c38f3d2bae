/**
 * Identification with real embeddings: the shared people/ photos embedded by the real engine
 * (recognition_04). Each person is enrolled with all photos but the last; the held-out photos
 * are identified against the trained PersonGroup and verified against each person.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddedProvider } from '../../src/adapters/engine/provider.js';
import { detected, detector, openFixture, type Fixture } from '../helpers/collections.js';
import { embedPeople, startEngine, type PersonFace } from '../helpers/people.js';

const PG = { kind: 'personGroup', id: 'people' } as const;

let engine: EmbeddedProvider;
let f: Fixture;
let probes: PersonFace[];
const personIds = new Map<string, string>();

beforeAll(async () => {
  engine = await startEngine();
  const people = await embedPeople(engine);
  f = await openFixture();
  const { collections, persons, faces, training } = f.services;
  await collections.create(PG.kind, PG.id, { name: 'people', recognitionModel: 'recognition_04' });
  const byPerson = new Map<string, PersonFace[]>();
  for (const p of people) byPerson.set(p.person, [...(byPerson.get(p.person) ?? []), p]);
  probes = [];
  for (const [name, photos] of byPerson) {
    const person = await persons.create(PG, { name });
    personIds.set(name, person.personId);
    // One photo of each person with more than one is held out as a probe.
    const enrolled = photos.length > 1 ? photos.slice(0, -1) : photos;
    if (photos.length > 1) probes.push(photos.at(-1)!);
    for (const photo of enrolled)
      await faces.add(PG, person.personId, { detect: detector(detected(photo.embedding)), userData: photo.file });
  }
  const collection = await collections.get(PG);
  await training.train(collection);
  await training.settled(collection);
});

afterAll(async () => {
  await f?.close();
  await engine?.close();
});

describe('collections with real embeddings', () => {
  it('identifies each held-out photo as its person, and nobody else', async () => {
    expect(probes.length).toBe(5);
    const results = await f.services.identification.identify(
      PG,
      probes.map((p) => f.faceId(p.embedding)),
      { confidenceThreshold: 0 },
    );
    for (const [i, result] of results.entries()) {
      const expected = personIds.get(probes[i]!.person);
      expect(result.candidates[0]?.personId, probes[i]!.file).toBe(expected);
      expect(result.candidates[0]!.confidence).toBeGreaterThanOrEqual(0.5);
      // Every other person is below the verify threshold.
      expect(
        result.candidates.slice(1).every((c) => c.confidence < 0.5),
        probes[i]!.file,
      ).toBe(true);
    }
  });

  it('verifies each held-out photo to its person only', async () => {
    for (const probe of probes) {
      for (const [name, personId] of personIds) {
        const v = await f.services.identification.verifyToPerson(PG, f.faceId(probe.embedding), personId);
        expect(v.isIdentical, `${probe.file} vs ${name}`).toBe(name === probe.person);
      }
    }
  });
});
