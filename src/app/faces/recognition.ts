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
import type { DetectedFace, RecognitionModel } from '../../domain/types.js';
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
  registered(faceId: unknown, argument: string): RecognitionFace {
    if (typeof faceId !== 'string' || !UUID.test(faceId))
      throw invalid(argument, `${argument} must be a faceId (a UUID returned by detect).`);
    const id = faceId.toLowerCase();
    const entry = this.registry.get(id);
    if (!entry) {
      throw new FaceError('FACE_NOT_FOUND', `Face ${id} was not found: it is unknown or its faceIdTimeToLive has expired.`, {
        faceId: id,
        argument,
      });
    }
    return { faceId: id, face: entry.face, recognitionModel: entry.recognitionModel };
  }

  /** 1:1 verification of two references (faceIds or images; two images are detected together). */
  async verify<Image>(face1: FaceRef<Image>, face2: FaceRef<Image>, detect: InlineDetector<Image>): Promise<Verification> {
    const model = this.inlineModel([face1.faceId, face2.faceId]);
    const [a, b] = await Promise.all([this.resolveRef(face1, 'face1', model, detect), this.resolveRef(face2, 'face2', model, detect)]);
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
    const candidates = ids.map((id, i) => this.registered(id, `candidateFaceIds.${i}`));
    const face = await this.resolveRef(query, 'face', this.inlineModel([query.faceId, ...ids]), detect);
    assertSameModel([[face, 'face'], ...candidates.map((c, i): [RecognitionFace, string] => [c, `candidateFaceIds.${i}`])]);
    return this.provider.findSimilar(face, candidates, options.mode ?? 'matchPerson', max);
  }

  /** Groups of the same person, largest first, and the faces that match no other. */
  async group(faceIds: unknown): Promise<FaceGrouping> {
    const faces = faceIdList(faceIds, 'faceIds', 2).map((id, i) => this.registered(id, `faceIds.${i}`));
    assertSameModel(faces.map((f, i): [RecognitionFace, string] => [f, `faceIds.${i}`]));
    return this.provider.group(faces);
  }

  /** A face reference: the registered face, or the largest face of the image detected with `model`. */
  async resolveRef<Image>(
    ref: FaceRef<Image>,
    argument: string,
    model: RecognitionModel,
    detect: InlineDetector<Image>,
  ): Promise<RecognitionFace> {
    const hasId = typeof ref.faceId === 'string' && ref.faceId.length > 0;
    const hasImage = ref.image !== null && ref.image !== undefined;
    if (hasId === hasImage) throw new FaceError('INVALID_FACE_REF', 'A face reference needs exactly one of faceId or image.', { argument });
    if (hasId) return this.registered(ref.faceId, `${argument}.faceId`);
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

  /**
   * Inline images are detected with the recognition model of the registered faces they are
   * compared with (an upstream provider binds its faceIds to one model); the default otherwise.
   */
  private inlineModel(faceIds: ReadonlyArray<unknown>): RecognitionModel {
    for (const id of faceIds) {
      const entry = typeof id === 'string' ? this.registry.get(id.toLowerCase()) : undefined;
      if (entry) return entry.recognitionModel;
    }
    return INLINE_MODELS.recognitionModel;
  }
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
