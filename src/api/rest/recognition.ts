/**
 * POST /verify, /findsimilars and /group over registered faceIds (reference §1a, §3). The
 * overloads are dispatched on body fields; the collection-based ones (person groups, face lists)
 * need collections facegraph does not have, and say so. Faces come from the registry, must share
 * one recognition model (as GraphQL's recognition resolvers require), and go to the provider.
 */
import type { Request, Response } from 'express';
import { FaceError } from '../../domain/errors.js';
import type { RecognitionFace } from '../../ports/face-provider.js';
import type { FindSimilarMode } from '../../domain/similarity.js';
import type { AppServices } from '../graphql/context.js';
import { readJsonObject } from './body.js';
import { badArgument, invalidArgument, mapping, type MappingContext } from './errors.js';

const MAX_LIST = 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const isPresent = (value: unknown): boolean => value !== undefined && value !== null;

function faceIdOf(value: unknown, field: string): string {
  if (typeof value !== 'string' || !UUID.test(value)) {
    throw badArgument('Face ID is invalid.', { code: 'INVALID_ARGUMENT', message: `${field} must be a faceId (a UUID returned by detect).` });
  }
  return value.toLowerCase();
}

function faceIdList(value: unknown, field: string, min: number): string[] {
  if (!Array.isArray(value) || value.length < min || value.length > MAX_LIST) {
    const got = Array.isArray(value) ? `got ${value.length}` : 'not an array';
    throw invalidArgument(`The length of ${field} is not in a valid range.`, `${field} must hold ${min}–${MAX_LIST} faceIds, ${got}.`);
  }
  const ids = value.map((v, i) => faceIdOf(v, `${field}[${i}]`));
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) throw new FaceError('DUPLICATE_FACE_ID', `Face ${id} appears more than once in ${field}.`);
    seen.add(id);
  }
  return ids;
}

/** A registered face, or FACE_NOT_FOUND (status per operation, mapped by the caller). */
function registered(services: AppServices, faceId: string): RecognitionFace {
  const entry = services.registry.get(faceId);
  if (!entry) throw new FaceError('FACE_NOT_FOUND', `Face ${faceId} was not found: it is unknown or its faceIdTimeToLive has expired.`, { faceId });
  return { faceId, face: entry.face, recognitionModel: entry.recognitionModel };
}

/** Azure binds the recognition model to a faceId; faces of different models cannot be compared. */
function assertSameModel(faces: readonly RecognitionFace[]): void {
  const first = faces[0];
  if (!first) return;
  for (const f of faces) {
    if (f.recognitionModel !== first.recognitionModel) {
      throw new FaceError(
        'RECOGNITION_MODEL_MISMATCH',
        `Face ${f.faceId} was detected with ${f.recognitionModel} but face ${first.faceId} with ${first.recognitionModel}; faces of different recognition models cannot be compared.`,
      );
    }
  }
}

const collectionsUnsupported = (what: string, use: string): FaceError =>
  // Not an Azure message: Azure has these collections; facegraph has none yet.
  new FaceError('INVALID_ARGUMENT', `${what} are not supported by facegraph: ${use}.`, { argument: what });

export async function verify(req: Request, res: Response, services: AppServices): Promise<{ isIdentical: boolean; confidence: number }> {
  const body = await readJsonObject(req, res);
  const context: MappingContext = { faceNotFoundStatus: 404 };
  return mapping(context, async () => {
    if (!isPresent(body.faceId1)) {
      if (isPresent(body.personGroupId) || isPresent(body.largePersonGroupId) || isPresent(body.personId)) {
        throw collectionsUnsupported('Person groups, large person groups and persons', 'verify two faces with {"faceId1", "faceId2"}');
      }
      throw badArgument('Request body is invalid.', { code: 'INVALID_ARGUMENT', message: 'verify takes {"faceId1", "faceId2"}.' });
    }
    const face1 = registered(services, faceIdOf(body.faceId1, 'faceId1'));
    const face2 = registered(services, faceIdOf(body.faceId2, 'faceId2'));
    assertSameModel([face1, face2]);
    const result = await services.provider.verify(face1, face2);
    return { isIdentical: result.isIdentical, confidence: result.confidence };
  });
}

/** POST /identify: every overload searches a collection (person groups, persons), which facegraph does not have. */
export async function identify(req: Request, res: Response, _services: AppServices): Promise<never> {
  await readJsonObject(req, res);
  throw collectionsUnsupported('Person groups, large person groups, persons and dynamic person groups', 'compare faceIds with /verify or /findsimilars');
}

export async function findSimilar(req: Request, res: Response, services: AppServices): Promise<Array<{ confidence: number; faceId: string }>> {
  const body = await readJsonObject(req, res);
  return mapping({ faceNotFoundStatus: 400 }, async () => {
    // Exactly one of the three candidate sources (Azure's messages, reference §3).
    const sources = [body.faceIds, body.faceListId, body.largeFaceListId].filter(isPresent).length;
    if (sources === 0) throw invalidArgument('LargeFaceListId, faceListId and faceIds are all null.');
    if (sources > 1) throw invalidArgument('2 or more of largeFaceListId, faceListId and faceIds are not null.');
    if (!isPresent(body.faceIds)) throw collectionsUnsupported('Face lists and large face lists', 'pass candidate faceIds instead');

    const queryId = faceIdOf(body.faceId, 'faceId');
    const ids = faceIdList(body.faceIds, 'faceIds', 1);
    const max = body.maxNumOfCandidatesReturned ?? 20;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > MAX_LIST) {
      throw invalidArgument('The argument maxNumOfCandidatesReturned is not valid.', `maxNumOfCandidatesReturned must be an integer of 1–${MAX_LIST}.`);
    }
    const rawMode = body.mode ?? 'matchPerson';
    const mode: FindSimilarMode | null = typeof rawMode !== 'string' ? null : rawMode.toLowerCase() === 'matchperson' ? 'matchPerson' : rawMode.toLowerCase() === 'matchface' ? 'matchFace' : null;
    if (!mode) throw invalidArgument('The argument mode is not valid.', 'mode must be matchPerson or matchFace.');

    const query = registered(services, queryId);
    const candidates = ids.map((id) => registered(services, id));
    assertSameModel([query, ...candidates]);
    const matches = await services.provider.findSimilar(query, candidates, mode, max);
    return matches.map((match) => ({ confidence: match.confidence, faceId: match.face.faceId! }));
  });
}

export async function group(req: Request, res: Response, services: AppServices): Promise<{ groups: string[][]; messyGroup: string[] }> {
  const body = await readJsonObject(req, res);
  return mapping({ faceNotFoundStatus: 400 }, async () => {
    const faces = faceIdList(body.faceIds, 'faceIds', 2).map((id) => registered(services, id));
    assertSameModel(faces);
    const grouping = await services.provider.group(faces);
    // The docs say messyGroup "will not appear" when empty, but the spec requires it: always sent.
    return { groups: grouping.groups.map((g) => g.map((f) => f.faceId!)), messyGroup: grouping.messyGroup.map((f) => f.faceId!) };
  });
}
