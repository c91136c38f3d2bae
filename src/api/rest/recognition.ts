/**
 * POST /verify, /findsimilars, /group and /identify over registered faceIds (reference §1a, §3).
 * The overloads are dispatched on body fields as Azure does. Face-to-face forms go to the
 * recognition use case (faces from the registry, one recognition model, the provider); the
 * collection forms — identify in a (Large)PersonGroup, verify to one of its persons,
 * findsimilars in a (Large)FaceList — go to the collection use case. The PersonDirectory and
 * DynamicPersonGroup forms (v1.2 keeps their request shapes, not their management) say they are
 * not supported.
 */
import type { Request, Response } from 'express';
import { FaceError } from '../../domain/errors.js';
import type { FindSimilarMode } from '../../domain/similarity.js';
import type { AppServices } from '../../app/services.js';
import { readJsonObject } from './body.js';
import { AzureError, badArgument, invalidArgument, mapping, type MappingContext } from './errors.js';
import type {
  WireFindSimilarResult,
  WireGroupResult,
  WireIdentificationResult,
  WireVerifyResult,
} from '../../contracts/azure-face-v1.2.js';
import type { PersonGroupKind } from '../../domain/collections.js';

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
  maxNumOfCandidatesReturned: 'maxNumOfCandidatesReturned',
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

const unsupported = (what: string, use: string): FaceError =>
  // Not an Azure message: Azure v1.2 has these request shapes; facegraph has no PersonDirectory.
  new FaceError('INVALID_ARGUMENT', `${what} are not supported by facegraph: ${use}.`, { argument: what });

/** A body's optional number (the use case checks its range); another type is refused here. */
function optionalNumber(body: Record<string, unknown>, name: string): number | null {
  const value = body[name] ?? null;
  if (value !== null && typeof value !== 'number') throw invalidArgument(`The argument ${name} is not valid.`, `${name} must be a number.`);
  return value;
}

/** The (Large)PersonGroup a verify or identify body names, by which id member is present. */
function personGroupOf(body: Record<string, unknown>): { kind: PersonGroupKind; id: string } | null {
  if (isPresent(body.personGroupId)) return { kind: 'personGroup', id: asId(body.personGroupId) };
  if (isPresent(body.largePersonGroupId)) return { kind: 'largePersonGroup', id: asId(body.largePersonGroupId) };
  return null;
}

/** {Kind}NotFound is a 400 in identify, verify and findsimilars (404 on the collection's own routes). */
const IN_SEARCH = { collectionNotFoundStatus: 400 } as const;

export async function verify(req: Request, res: Response, services: AppServices): Promise<WireVerifyResult> {
  const body = await readJsonObject(req, res);
  const context: MappingContext = { faceNotFoundStatus: 404, ...IN_SEARCH };
  return run(context, async () => {
    if (!isPresent(body.faceId1)) {
      const group = personGroupOf(body);
      if (group) {
        const result = await services.collections.identification.verifyToPerson(group, asId(body.faceId), body.personId);
        return { isIdentical: result.isIdentical, confidence: result.confidence };
      }
      if (isPresent(body.personId)) {
        throw unsupported('PersonDirectory persons', 'verify to a person of a personGroupId or largePersonGroupId');
      }
      throw badArgument('Request body is invalid.', {
        code: 'INVALID_ARGUMENT',
        message: 'verify takes {"faceId1", "faceId2"} or {"faceId", "personGroupId" or "largePersonGroupId", "personId"}.',
      });
    }
    const result = await services.recognition.verify({ faceId: asId(body.faceId1) }, { faceId: asId(body.faceId2) }, noInlineImages);
    return { isIdentical: result.isIdentical, confidence: result.confidence };
  });
}

/** Azure's identify scope errors (reference §3): codes of their own, with facegraph's reason inside. */
const scopeError = (code: string, message: string): AzureError => new AzureError(400, code, message, { code: 'INVALID_ARGUMENT', message });

/** POST /identify: against a PersonGroup or a LargePersonGroup (their last successful training). */
export async function identify(req: Request, res: Response, services: AppServices): Promise<WireIdentificationResult[]> {
  const body = await readJsonObject(req, res);
  return run({ faceNotFoundStatus: 400, ...IN_SEARCH }, async () => {
    const groups = [body.personGroupId, body.largePersonGroupId].filter(isPresent).length;
    const others = [body.personIds, body.dynamicPersonGroupId].filter(isPresent).length;
    if (groups === 2) {
      throw scopeError('PersonGroupIdAndLargePersonGroupIdBothNotNull', 'Only one of personGroupId and largePersonGroupId can be given.');
    }
    if (groups + others === 0) {
      throw scopeError(
        'MissingIdentificationScopeParameters',
        'One of personGroupId, largePersonGroupId, personIds and dynamicPersonGroupId is required.',
      );
    }
    if (groups + others > 1) {
      throw scopeError(
        'IncompatibleIdentificationScopeParametersCombination',
        'Give exactly one of personGroupId, largePersonGroupId, personIds and dynamicPersonGroupId.',
      );
    }
    const group = personGroupOf(body);
    if (!group) throw unsupported('PersonDirectory persons and dynamic person groups', 'identify in a personGroupId or largePersonGroupId');
    const faceIds = Array.isArray(body.faceIds) ? body.faceIds.map(asId) : body.faceIds;
    const results = await services.collections.identification.identify(group, faceIds, {
      maxNumOfCandidatesReturned: optionalNumber(body, 'maxNumOfCandidatesReturned'),
      confidenceThreshold: optionalNumber(body, 'confidenceThreshold'),
    });
    return results.map((r) => ({
      faceId: r.faceId!,
      candidates: r.candidates.map((c) => ({ personId: c.personId, confidence: c.confidence })),
    }));
  });
}

/** Azure's match modes, matched without regard to case. */
function modeOf(body: Record<string, unknown>): FindSimilarMode {
  const raw = body.mode ?? 'matchPerson';
  const lower = typeof raw === 'string' ? raw.toLowerCase() : null;
  if (lower === 'matchperson') return 'matchPerson';
  if (lower === 'matchface') return 'matchFace';
  throw invalidArgument('The argument mode is not valid.', 'mode must be matchPerson or matchFace.');
}

export async function findSimilar(req: Request, res: Response, services: AppServices): Promise<WireFindSimilarResult[]> {
  const body = await readJsonObject(req, res);
  return run({ faceNotFoundStatus: 400, ...IN_SEARCH }, async () => {
    // Exactly one of the three candidate sources (Azure's messages, reference §3).
    const sources = [body.faceIds, body.faceListId, body.largeFaceListId].filter(isPresent).length;
    if (sources === 0) throw invalidArgument('LargeFaceListId, faceListId and faceIds are all null.');
    if (sources > 1) throw invalidArgument('2 or more of largeFaceListId, faceListId and faceIds are not null.');

    const max = optionalNumber(body, 'maxNumOfCandidatesReturned');
    const mode = modeOf(body);
    if (!isPresent(body.faceIds)) {
      const list = isPresent(body.faceListId)
        ? { kind: 'faceList' as const, id: asId(body.faceListId) }
        : { kind: 'largeFaceList' as const, id: asId(body.largeFaceListId) };
      const matches = await services.collections.identification.findSimilar(list, asId(body.faceId), {
        mode,
        maxNumOfCandidatesReturned: max,
      });
      return matches.map((m) => ({ confidence: m.confidence, persistedFaceId: m.persistedFaceId }));
    }
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
