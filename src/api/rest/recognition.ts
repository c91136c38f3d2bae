/**
 * POST /verify, /findsimilars and /group over registered faceIds (reference §1a, §3). The
 * overloads are dispatched on body fields; the collection-based ones (person groups, face lists)
 * need collections facegraph does not have, and say so. Faces come from the registry, must share
 * one recognition model (as GraphQL's recognition resolvers require), and go to the provider.
 */
import type { Request, Response } from 'express';
import { FaceError } from '../../domain/errors.js';
import type { FindSimilarMode } from '../../domain/similarity.js';
import type { AppServices } from '../../app/services.js';
import { readJsonObject } from './body.js';
import { AzureError, badArgument, invalidArgument, mapping, type MappingContext } from './errors.js';
import type { WireFindSimilarResult, WireGroupResult, WireVerifyResult } from '../../contracts/azure-face-v1.2.js';

const isPresent = (value: unknown): boolean => value !== undefined && value !== null;

/** A body's faceId as the use case takes it: a non-string is no faceId at all (Azure: 'Face ID is invalid.'). */
const asId = (value: unknown): string => (typeof value === 'string' ? value : '');

/** REST takes faceIds only: an image reference cannot reach the use case from here. */
const noInlineImages = (): never => {
  throw new Error('internal: REST recognition has no inline images');
};

/** The use case's argument names (GraphQL's input fields) -> Azure's body fields. */
const AZURE_FIELD: Readonly<Record<string, string>> = {
  face1: 'faceId1',
  face2: 'faceId2',
  face: 'faceId',
  candidateFaceIds: 'faceIds',
  faceIds: 'faceIds',
  maxCandidates: 'maxNumOfCandidatesReturned',
};

/** An argument error of the use case in Azure's words (reference §3, §5); any other error as it is. */
function azureArgument(err: FaceError): AzureError | FaceError {
  if (err.code !== 'INVALID_ARGUMENT' && err.code !== 'INVALID_FACE_REF') return err;
  const [name = '', index] = (typeof err.details.argument === 'string' ? err.details.argument : '').split('.');
  const field = AZURE_FIELD[name];
  if (!field) return err;
  const precise = err.message.replace(name, field);
  if (field === 'maxNumOfCandidatesReturned') return invalidArgument('The argument maxNumOfCandidatesReturned is not valid.', precise);
  if (field === 'faceIds' && index === undefined) return invalidArgument('The length of faceIds is not in a valid range.', precise);
  return badArgument('Face ID is invalid.', { code: 'INVALID_ARGUMENT', message: precise });
}

/** Runs a use case, re-raising its errors in Azure's words and statuses. */
async function run<T>(context: MappingContext, fn: () => Promise<T>): Promise<T> {
  return mapping(context, async () => {
    try {
      return await fn();
    } catch (err) {
      throw err instanceof FaceError ? azureArgument(err) : err;
    }
  });
}

const collectionsUnsupported = (what: string, use: string): FaceError =>
  // Not an Azure message: Azure has these collections; facegraph has none yet.
  new FaceError('INVALID_ARGUMENT', `${what} are not supported by facegraph: ${use}.`, { argument: what });

export async function verify(req: Request, res: Response, services: AppServices): Promise<WireVerifyResult> {
  const body = await readJsonObject(req, res);
  const context: MappingContext = { faceNotFoundStatus: 404 };
  return run(context, async () => {
    if (!isPresent(body.faceId1)) {
      if (isPresent(body.personGroupId) || isPresent(body.largePersonGroupId) || isPresent(body.personId)) {
        throw collectionsUnsupported('Person groups, large person groups and persons', 'verify two faces with {"faceId1", "faceId2"}');
      }
      throw badArgument('Request body is invalid.', { code: 'INVALID_ARGUMENT', message: 'verify takes {"faceId1", "faceId2"}.' });
    }
    const result = await services.recognition.verify({ faceId: asId(body.faceId1) }, { faceId: asId(body.faceId2) }, noInlineImages);
    return { isIdentical: result.isIdentical, confidence: result.confidence };
  });
}

/** POST /identify: every overload searches a collection (person groups, persons), which facegraph does not have. */
export async function identify(req: Request, res: Response, _services: AppServices): Promise<never> {
  await readJsonObject(req, res);
  throw collectionsUnsupported(
    'Person groups, large person groups, persons and dynamic person groups',
    'compare faceIds with /verify or /findsimilars',
  );
}

export async function findSimilar(req: Request, res: Response, services: AppServices): Promise<WireFindSimilarResult[]> {
  const body = await readJsonObject(req, res);
  return run({ faceNotFoundStatus: 400 }, async () => {
    // Exactly one of the three candidate sources (Azure's messages, reference §3).
    const sources = [body.faceIds, body.faceListId, body.largeFaceListId].filter(isPresent).length;
    if (sources === 0) throw invalidArgument('LargeFaceListId, faceListId and faceIds are all null.');
    if (sources > 1) throw invalidArgument('2 or more of largeFaceListId, faceListId and faceIds are not null.');
    if (!isPresent(body.faceIds)) throw collectionsUnsupported('Face lists and large face lists', 'pass candidate faceIds instead');

    const max = body.maxNumOfCandidatesReturned ?? null;
    if (max !== null && typeof max !== 'number')
      throw invalidArgument('The argument maxNumOfCandidatesReturned is not valid.', 'maxNumOfCandidatesReturned must be a number.');
    const rawMode = body.mode ?? 'matchPerson';
    const mode: FindSimilarMode | null =
      typeof rawMode !== 'string'
        ? null
        : rawMode.toLowerCase() === 'matchperson'
          ? 'matchPerson'
          : rawMode.toLowerCase() === 'matchface'
            ? 'matchFace'
            : null;
    if (!mode) throw invalidArgument('The argument mode is not valid.', 'mode must be matchPerson or matchFace.');

    const matches = await services.recognition.findSimilar(
      { faceId: asId(body.faceId) },
      body.faceIds,
      { mode, maxCandidates: max },
      noInlineImages,
    );
    return matches.map((match) => ({ confidence: match.confidence, faceId: match.face.faceId! }));
  });
}

export async function group(req: Request, res: Response, services: AppServices): Promise<WireGroupResult> {
  const body = await readJsonObject(req, res);
  return run({ faceNotFoundStatus: 400 }, async () => {
    const grouping = await services.recognition.group(body.faceIds);
    // The docs say messyGroup "will not appear" when empty, but the spec requires it: always sent.
    return { groups: grouping.groups.map((g) => g.map((f) => f.faceId!)), messyGroup: grouping.messyGroup.map((f) => f.faceId!) };
  });
}
