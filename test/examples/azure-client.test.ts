/**
 * examples/azure-client/detect-verify.ts: Microsoft's `@azure-rest/ai-vision-face` client, as the
 * example uses it, against a facegraph test server with an API key, on the shared photos.
 * Same-person and different-person pairs are picked from the manifest's labels.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../examples/azure-client/detect-verify.js';
import { FACES_DIR, manifest } from '../helpers/paths.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const KEY = 'example-azure-client-key';
let server: TestServer;
let endpoint: string;

/** The single-person photos of the manifest, by person. */
function photosByPerson(): Map<string, string[]> {
  const byPerson = new Map<string, string[]>();
  for (const m of manifest()) {
    if (!m.file.startsWith('people/') || m.people.length !== 1) continue;
    const person = m.people[0]!;
    byPerson.set(person, [...(byPerson.get(person) ?? []), path.join(FACES_DIR, m.file)]);
  }
  return byPerson;
}

beforeAll(async () => {
  // The embedded engine (the example talks to the REST surface, not to a provider).
  server = await startTestServer({ FACEGRAPH_API_KEYS: KEY }, undefined, 'embedded');
  endpoint = server.url.replace(/\/graphql$/, '');
});

afterAll(async () => {
  await server?.stop();
});

describe('examples/azure-client', () => {
  const byPerson = photosByPerson();
  const twoPhotos = [...byPerson.values()].filter((files) => files.length >= 2);

  it('finds two photos of one person identical', async () => {
    const [a, b] = twoPhotos[0]!;
    const result = await main(endpoint, KEY, [a!, b!]);
    expect(result.faceIds[0]).not.toBe(result.faceIds[1]);
    expect(result.isIdentical).toBe(true);
    expect(result.confidence).toBeGreaterThanOrEqual(0.5);
  });

  it('finds photos of two people not identical', async () => {
    const [first, second] = twoPhotos;
    const result = await main(endpoint, KEY, [first![0]!, second![0]!]);
    expect(result.isIdentical).toBe(false);
    expect(result.confidence).toBeLessThan(0.5);
  });

  it('fails with the REST error code on a wrong key', async () => {
    const [a, b] = twoPhotos[0]!;
    await expect(main(endpoint, 'not-the-key', [a!, b!])).rejects.toThrow(/401/);
  });
});
