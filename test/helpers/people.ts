/**
 * Real embeddings of the shared single-person photos (../shared/faces/people), from the real
 * embedded engine: the largest face of each photo, labelled by its folder (= its person).
 */
import { EmbeddedProvider } from '../../src/adapters/engine/provider.js';
import type { DetectRequestOptions } from '../../src/domain/types.js';
import { face, manifest } from './paths.js';

export interface PersonFace {
  /** Relative to ../shared/faces, e.g. people/obama/1.jpg. */
  file: string;
  person: string;
  embedding: Float32Array;
}

const OPTIONS: DetectRequestOptions = {
  detectionModel: 'detection_03',
  recognitionModel: 'recognition_04',
  returnFaceId: true,
  faceIdTimeToLive: 86_400,
  returnLandmarks: false,
  attributes: [],
};

export function startEngine(): Promise<EmbeddedProvider> {
  const provider = new EmbeddedProvider({ workers: 2, maxQueue: 64, maxPixels: 40_000_000 });
  return provider.start().then(() => provider);
}

/** Every people/ photo of the manifest, in manifest order. */
export async function embedPeople(provider: EmbeddedProvider): Promise<PersonFace[]> {
  const photos = manifest().filter((m) => m.file.startsWith('people/'));
  return Promise.all(
    photos.map(async (m) => {
      const person = m.file.split('/')[1]!;
      if (m.people.length !== 1 || m.people[0] !== person) throw new Error(`manifest: ${m.file} is not a single photo of ${person}`);
      const faces = await provider.detect(face(m.file), OPTIONS);
      const embedding = faces[0]?.embedding;
      if (!embedding) throw new Error(`no face embedded in ${m.file}`);
      return { file: m.file, person, embedding };
    }),
  );
}
