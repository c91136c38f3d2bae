/**
 * examples/supergraph: facegraph (a test server on the real engine) + the example's badges
 * subgraph + the example's gateway, each on its own loopback port. Through the gateway only:
 * enrol two people from the shared photos, award one a badge (badges subgraph), train, then
 * identify a third photo and read the candidate's name (facegraph) and badges (badges subgraph)
 * in one query.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBadgesSubgraph, type Subgraph } from '../../examples/supergraph/badges.js';
import { startGateway } from '../../examples/supergraph/gateway.js';
import { faceBase64, manifest } from '../helpers/paths.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const KEY = 'example-supergraph-key';
const GROUP = { kind: 'PERSON_GROUP', id: 'supergraph-example' };

let faces: TestServer;
let badges: Subgraph;
let gateway: Subgraph;

interface Result<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** POSTs a document to the gateway; fails the test on GraphQL errors. */
async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as Result<T>;
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return body.data!;
}

/** The manifest's single-person photos of one person. */
function photosOf(person: string): string[] {
  return manifest()
    .filter((m) => m.file.startsWith('people/') && m.people.length === 1 && m.people[0] === person)
    .map((m) => m.file);
}

beforeAll(async () => {
  faces = await startTestServer({ FACEGRAPH_API_KEYS: KEY }, undefined, 'embedded');
  badges = await startBadgesSubgraph();
  gateway = await startGateway({ facegraphUrl: faces.url, badgesUrl: badges.url, facegraphKey: KEY });
});

afterAll(async () => {
  await gateway?.stop();
  await badges?.stop();
  await faces?.stop();
});

describe('examples/supergraph', () => {
  it("joins facegraph's identification with the badges subgraph", async () => {
    const created = await gql<{ createPersonGroup: { userErrors: unknown[] } }>(
      `mutation($input: CreatePersonGroupInput!) { createPersonGroup(input: $input) { userErrors { code message } } }`,
      { input: { ...GROUP, name: 'Supergraph example', recognitionModel: 'RECOGNITION_04' } },
    );
    expect(created.createPersonGroup.userErrors).toEqual([]);

    // Enrol obama and biden with all but their last photo; that one is identified below.
    const people = ['obama', 'biden'];
    const personIds = new Map<string, string>();
    for (const name of people) {
      const enrol = photosOf(name).slice(0, -1);
      expect(enrol.length, name).toBeGreaterThan(0);
      const { createPerson } = await gql<{ createPerson: { person: { personId: string } | null; userErrors: unknown[] } }>(
        `mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { personId } userErrors { code message } } }`,
        { input: { personGroup: GROUP, name, faces: enrol.map((file) => ({ image: { base64: faceBase64(file) } })) } },
      );
      expect(createPerson.userErrors).toEqual([]);
      personIds.set(name, createPerson.person!.personId);
    }

    // A badges mutation whose result also reads facegraph's fields of the same Person.
    const { awardBadge } = await gql<{ awardBadge: { name: string; badges: string[] } }>(
      `mutation($person: PersonKeyInput!) { awardBadge(person: $person, badge: "keynote-speaker") { name badges } }`,
      { person: { personGroupKind: GROUP.kind, personGroupId: GROUP.id, personId: personIds.get('obama') } },
    );
    expect(awardBadge).toEqual({ name: 'obama', badges: ['keynote-speaker'] });

    await gql(`mutation($input: PersonGroupRefInput!) { trainPersonGroup(input: $input) { userErrors { code } } }`, { input: GROUP });
    for (;;) {
      const { personGroup } = await gql<{ personGroup: { training: { status: string } } }>(
        `query($id: ID!) { personGroup(id: $id) { training { status } } }`,
        { id: GROUP.id },
      );
      if (personGroup.training.status === 'SUCCEEDED') break;
      expect(personGroup.training.status).toBe('RUNNING');
      await new Promise((r) => setTimeout(r, 100));
    }

    for (const name of people) {
      const probe = photosOf(name).at(-1)!;
      const { identifyFaces } = await gql<{
        identifyFaces: { results: Array<{ candidates: Array<{ person: { personId: string; name: string; badges: string[] } }> }> };
      }>(
        `mutation($input: IdentifyFacesInput!) {
          identifyFaces(input: $input) { results { candidates { person { personId name badges } } } userErrors { code } }
        }`,
        { input: { personGroup: GROUP, faces: [{ image: { base64: faceBase64(probe) } }] } },
      );
      const best = identifyFaces.results[0]!.candidates[0]?.person;
      expect(best, probe).toEqual({
        personId: personIds.get(name),
        name,
        badges: name === 'obama' ? ['keynote-speaker'] : [],
      });
    }
  });
});
