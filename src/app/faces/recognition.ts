/**
 * Recognition use cases: verify, find-similar and group. Every rule of these operations lives
 * here once — list sizes, duplicates, faceId format, references, recognition models — and both
 * edges (GraphQL, REST /face/v1.2) call these functions and only translate their results and
 * errors.
 *
 * Errors are FaceErrors whose `details.argument` names the offending input by its GraphQL input
 * path ('candidateFaceIds.3', 'face1.faceId'); the REST edge maps those names onto Azure's.
 */
import { FaceError } from '../../domain/errors.js';
import type { FindSimilarMode, Verification } from '../../domain/similarity.js';
import type { DetectedFace, RecognitionModel, RegisteredFace } from '../../domain/types.js';
import type { FaceGrouping, FaceProvider, RecognitionFace, SimilarFace } from '../../ports/face-provider.js';
import type { FaceRegistry } from '../../ports/face-registry.js';
import { INLINE_MODELS } from './detection.js';

/** Azure's limit for candidate and group lists. */
export const MAX_FACE_LIST = 1000;
/** Azure's default for maxNumOfCandidatesReturned. */
export const DEFAULT_MAX_CANDIDATES = 20;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A face to compare: a registered faceId, or an image whose largest face is used. */
export interface FaceRef<Image> {
  faceId?: string | null;
  image?: Image | null;
}

/** Detects an inline image's faces (largest first, with embeddings) with the given model. */
export type InlineDetector<Image> = (image: Image, recognitionModel: RecognitionModel) => Promise<readonly DetectedFace[]>;

const invalid = (argument: string, message: string): FaceError => new FaceError('INVALID_ARGUMENT', message, { argument });

export class Recognition {
  constructor(
    private readonly registry: FaceRegistry,
    private readonly provider: FaceProvider,
  ) {}

  /** A registered face by id: INVALID_ARGUMENT when not a faceId at all, FACE_NOT_FOUND when unknown or expired. */
  async registered(faceId: unknown, argument: string): Promise<RecognitionFace> {
    const id = checkFaceId(faceId, argument);
    return found(id, await this.registry.get(id), argument);
  }

  /** 1:1 verification of two references (faceIds or images; two images are detected together). */
  async verify<Image>(face1: FaceRef<Image>, face2: FaceRef<Image>, detect: InlineDetector<Image>): Promise<Verification> {
    // Both faceIds in one registry round trip; the lookups also give the inline images' model.
    const known = await this.lookup([face1.faceId, face2.faceId]);
    const model = inlineModel(known);
    const [a, b] = await Promise.all([
      this.resolveRef(face1, 'face1', model, detect, known),
      this.resolveRef(face2, 'face2', model, detect, known),
    ]);
    assertSameModel([
      [a, 'face1'],
      [b, 'face2'],
    ]);
    return this.provider.verify(a, b);
  }

  /** The candidates most like the query face, at most `maxCandidates`, ranked by confidence. */
  async findSimilar<Image>(
    query: FaceRef<Image>,
    candidateFaceIds: unknown,
    options: { mode?: FindSimilarMode | null; maxCandidates?: number | null },
    detect: InlineDetector<Image>,
  ): Promise<SimilarFace[]> {
    const ids = faceIdList(candidateFaceIds, 'candidateFaceIds', 1);
    const max = options.maxCandidates ?? DEFAULT_MAX_CANDIDATES;
    if (!Number.isInteger(max) || max < 1 || max > MAX_FACE_LIST) {
      throw invalid('maxCandidates', `maxCandidates must be an integer of 1–${MAX_FACE_LIST}, got ${max}.`);
    }
    // Up to 1000 candidates and the query's faceId: one registry round trip.
    const known = await this.lookup([query.faceId, ...ids]);
    const candidates = ids.map((id, i) => found(id, known.get(id), `candidateFaceIds.${i}`));
    const face = await this.resolveRef(query, 'face', inlineModel(known), detect, known);
    assertSameModel([[face, 'face'], ...candidates.map((c, i): [RecognitionFace, string] => [c, `candidateFaceIds.${i}`])]);
    return this.provider.findSimilar(face, candidates, options.mode ?? 'matchPerson', max);
  }

  /** Groups of the same person, largest first, and the faces that match no other. */
  async group(faceIds: unknown): Promise<FaceGrouping> {
    const ids = faceIdList(faceIds, 'faceIds', 2);
    const known = await this.lookup(ids);
    const faces = ids.map((id, i) => found(id, known.get(id), `faceIds.${i}`));
    assertSameModel(faces.map((f, i): [RecognitionFace, string] => [f, `faceIds.${i}`]));
    return this.provider.group(faces);
  }

  /**
   * A face reference: the registered face, or the largest face of the image detected with
   * `model`. `known` holds faces already looked up (so a list costs one round trip).
   */
  async resolveRef<Image>(
    ref: FaceRef<Image>,
    argument: string,
    model: RecognitionModel,
    detect: InlineDetector<Image>,
    known?: ReadonlyMap<string, RegisteredFace>,
  ): Promise<RecognitionFace> {
    const hasId = typeof ref.faceId === 'string' && ref.faceId.length > 0;
    const hasImage = ref.image !== null && ref.image !== undefined;
    if (hasId === hasImage) throw new FaceError('INVALID_FACE_REF', 'A face reference needs exactly one of faceId or image.', { argument });
    if (hasId) {
      const id = checkFaceId(ref.faceId, `${argument}.faceId`);
      return known ? found(id, known.get(id), `${argument}.faceId`) : this.registered(id, `${argument}.faceId`);
    }
    try {
      const largest = (await detect(ref.image as Image, model))[0];
      if (!largest) throw new FaceError('NO_FACE_IN_IMAGE', 'No face was detected in the image.');
      return { faceId: null, face: largest, recognitionModel: model };
    } catch (err) {
      // Input errors about the image name the image; infrastructure errors stay as they are.
      if (err instanceof FaceError && !err.isInfrastructure)
        throw new FaceError(err.code, err.message, { ...err.details, argument: `${argument}.image` });
      throw err;
    }
  }

  /** The registered faces among `ids` (non-faceIds are skipped: their checks come later, in order), in one read. */
  private async lookup(ids: ReadonlyArray<unknown>): Promise<Map<string, RegisteredFace>> {
    const wanted = [...new Set(ids.filter((id): id is string => typeof id === 'string' && UUID.test(id)).map((id) => id.toLowerCase()))];
    const known = new Map<string, RegisteredFace>();
    if (wanted.length === 0) return known;
    const entries = await this.registry.getMany(wanted);
    wanted.forEach((id, i) => {
      const entry = entries[i];
      if (entry) known.set(id, entry);
    });
    return known;
  }
}

/** The lower-cased faceId, or INVALID_ARGUMENT when `faceId` is not one. */
function checkFaceId(faceId: unknown, argument: string): string {
  if (typeof faceId !== 'string' || !UUID.test(faceId))
    throw invalid(argument, `${argument} must be a faceId (a UUID returned by detect).`);
  return faceId.toLowerCase();
}

/** The registered face as recognition sees it, or FACE_NOT_FOUND. */
function found(id: string, entry: RegisteredFace | undefined, argument: string): RecognitionFace {
  if (!entry) {
    throw new FaceError('FACE_NOT_FOUND', `Face ${id} was not found: it is unknown or its faceIdTimeToLive has expired.`, {
      faceId: id,
      argument,
    });
  }
  return { faceId: id, face: entry.face, recognitionModel: entry.recognitionModel };
}

/**
 * Inline images are detected with the recognition model of the registered faces they are
 * compared with (an upstream provider binds its faceIds to one model); the default otherwise.
 */
function inlineModel(known: ReadonlyMap<string, RegisteredFace>): RecognitionModel {
  for (const entry of known.values()) return entry.recognitionModel;
  return INLINE_MODELS.recognitionModel;
}

/** `min`–1000 distinct faceIds. */
function faceIdList(value: unknown, argument: string, min: number): string[] {
  if (!Array.isArray(value) || value.length < min || value.length > MAX_FACE_LIST) {
    const got = Array.isArray(value) ? `got ${value.length}` : 'not a list';
    throw invalid(argument, `${argument} must hold ${min}–${MAX_FACE_LIST} faceIds, ${got}.`);
  }
  const seen = new Set<string>();
  return value.map((id: unknown, i) => {
    if (typeof id !== 'string' || !UUID.test(id))
      throw invalid(`${argument}.${i}`, `${argument}[${i}] must be a faceId (a UUID returned by detect).`);
    const lower = id.toLowerCase();
    if (seen.has(lower)) throw new FaceError('DUPLICATE_FACE_ID', `Face ${lower} appears more than once in ${argument}.`, { argument });
    seen.add(lower);
    return lower;
  });
}

/** Registered faces must share one recognition model (Azure binds it to the faceId); inline faces adapt. */
function assertSameModel(faces: ReadonlyArray<readonly [RecognitionFace, string]>): void {
  const first = faces.find(([f]) => f.faceId !== null)?.[0];
  if (!first) return;
  for (const [f, argument] of faces) {
    if (f.faceId !== null && f.recognitionModel !== first.recognitionModel) {
      throw new FaceError(
        'RECOGNITION_MODEL_MISMATCH',
        `Face ${f.faceId} was detected with ${f.recognitionModel} but face ${first.faceId} with ${first.recognitionModel}; faces of different recognition models cannot be compared.`,
        { argument },
      );
    }
  }
}
