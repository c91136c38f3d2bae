/**
 * Azure AI Face v1.2 collections (reference §1b–1e, §3 identify / verify / findsimilars): the
 * UpstreamCollectionsClient port over the provider's transport (auth, deadline, retries, error
 * mapping in http.ts and errors.ts), with guards for the wire types of
 * src/contracts/azure-face-v1.2.ts and the mapping to facegraph's collection shapes.
 *
 * Retries follow http.ts: reads, searches, PATCHes and train (repeating it is harmless) are
 * retried on 429/503; creates, add-face and deletes never are (a lost answer may mean the
 * upstream acted). Azure keeps no creation times: `createdAt` is null throughout.
 */
import type {
  CollectionInfo,
  CollectionKind,
  CollectionRef,
  Page,
  PersistedFaceInfo,
  PersonInfo,
  TrainingStatus,
} from '../../domain/collections.js';
import { FaceError } from '../../domain/errors.js';
import type { FindSimilarMode, Verification } from '../../domain/similarity.js';
import type { RecognitionModel } from '../../domain/types.js';
import type { CollectionPatch } from '../../ports/collection-store.js';
import type {
  FaceListRef,
  PersonGroupRef,
  UpstreamCollectionsClient,
  UpstreamIdentifyResult,
  UpstreamNewFace,
} from '../../ports/upstream-collections.js';
import type {
  WireAddFaceResult,
  WireCreateCollectionRequest,
  WireCreatePersonResult,
  WireFindSimilarInListRequest,
  WireIdentificationResult,
  WireIdentifyRequest,
  WirePersistedFace,
  WirePerson,
  WireTrainingResult,
  WireUpdateCollectionRequest,
  WireVerifyFaceToPersonRequest,
} from '../../contracts/azure-face-v1.2.js';
import { arrayOf, type Guard, number, object, oneOf, optional, string, WireShapeError } from './guard.js';
import type { AzureHttpClient, AzureRequest } from './http.js';
import { recognitionModelGuard, verifyResponseGuard, toVerification } from './wire.js';

/** The route segment and the id member of each kind. */
const SEGMENT: Readonly<Record<CollectionKind, string>> = {
  faceList: 'facelists',
  largeFaceList: 'largefacelists',
  personGroup: 'persongroups',
  largePersonGroup: 'largepersongroups',
};
const ID_FIELD: Readonly<Record<CollectionKind, string>> = {
  faceList: 'faceListId',
  largeFaceList: 'largeFaceListId',
  personGroup: 'personGroupId',
  largePersonGroup: 'largePersonGroupId',
};

// ---------------------------------------------------------------------------------------------
// Guards

const collectionFields = object({ name: string, userData: optional(string), recognitionModel: optional(recognitionModelGuard) });

/** A collection of `kind` as GET answers it with returnRecognitionModel=true. */
export function collectionGuard(kind: CollectionKind): Guard<CollectionInfo> {
  return (v, path) => {
    const fields = collectionFields(v, path);
    const idField = ID_FIELD[kind];
    const id = string((v as Record<string, unknown>)[idField], `${path}.${idField}`);
    if (!fields.recognitionModel) throw new WireShapeError(`${path}.recognitionModel`, 'a recognition model (returnRecognitionModel=true)');
    return { kind, id, name: fields.name, userData: fields.userData ?? null, recognitionModel: fields.recognitionModel, createdAt: null };
  };
}

export const persistedFaceGuard: Guard<WirePersistedFace> = object({ persistedFaceId: string, userData: optional(string) });
const faceListFacesGuard = object({ persistedFaces: arrayOf(persistedFaceGuard) });

export const personGuard: Guard<WirePerson> = (v, path) => {
  const p = object({ personId: string, name: string, userData: optional(string), persistedFaceIds: optional(arrayOf(string)) })(v, path);
  // The spec requires persistedFaceIds; a person without faces is read as [] if it is left out.
  return { ...p, persistedFaceIds: p.persistedFaceIds ?? [] };
};

const createPersonGuard: Guard<WireCreatePersonResult> = object({ personId: string });
const addFaceGuard: Guard<WireAddFaceResult> = object({ persistedFaceId: string });

const dateTime: Guard<number> = (v, path) => {
  const ms = Date.parse(string(v, path));
  if (Number.isNaN(ms)) throw new WireShapeError(path, 'an ISO 8601 date-time');
  return ms;
};

export const trainingGuard: Guard<WireTrainingResult> = object({
  status: oneOf(['notStarted', 'running', 'succeeded', 'failed'] as const),
  createdDateTime: string,
  lastActionDateTime: string,
  lastSuccessfulTrainingDateTime: optional(string),
  message: optional(string),
});

export const identifyGuard: Guard<WireIdentificationResult[]> = arrayOf(
  object({ faceId: string, candidates: arrayOf(object({ personId: string, confidence: number })) }),
);

const similarInListGuard = arrayOf(object({ persistedFaceId: string, confidence: number }));

// ---------------------------------------------------------------------------------------------
// Mappings

export const toPersonInfo = (w: WirePerson): PersonInfo => ({
  personId: w.personId.toLowerCase(),
  name: w.name,
  userData: w.userData ?? null,
  persistedFaceIds: w.persistedFaceIds.map((id) => id.toLowerCase()),
  createdAt: null,
});

const toFaceInfo = (w: WirePersistedFace, personId: string | null): PersistedFaceInfo => ({
  persistedFaceId: w.persistedFaceId.toLowerCase(),
  personId,
  userData: w.userData ?? null,
  createdAt: null,
});

/** Azure's TrainingResult (ISO 8601 times) as facegraph's TrainingStatus (epoch ms). */
export function toTrainingStatus(w: WireTrainingResult): TrainingStatus {
  const time = (value: string, path: string): number => dateTime(value, path);
  return {
    status: w.status,
    createdDateTime: time(w.createdDateTime, '$.createdDateTime'),
    lastActionDateTime: time(w.lastActionDateTime, '$.lastActionDateTime'),
    lastSuccessfulTrainingDateTime:
      w.lastSuccessfulTrainingDateTime === undefined ? null : time(w.lastSuccessfulTrainingDateTime, '$.lastSuccessfulTrainingDateTime'),
    message: w.message ?? null,
  };
}

/** Sorted by id, after `page.start`, at most `page.top`: Azure's paging, done here where the route has none. */
function paged<T>(items: readonly T[], idOf: (item: T) => string, page: Page): T[] {
  return [...items]
    .sort((a, b) => (idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : 0))
    .filter((item) => page.start === null || idOf(item) > page.start)
    .slice(0, page.top);
}

const pageQuery = (page: Page): URLSearchParams => {
  const q = new URLSearchParams();
  if (page.start !== null) q.set('start', page.start);
  q.set('top', String(page.top));
  return q;
};

const json = (value: unknown): { contentType: string; data: string } => ({ contentType: 'application/json', data: JSON.stringify(value) });

/** Runs a mapping whose own checks may fail, as an UPSTREAM_BAD_RESPONSE. */
function mapped<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof WireShapeError) {
      throw new FaceError('UPSTREAM_BAD_RESPONSE', `Azure AI Face answered HTTP 200 with an unexpected body: ${err.message}`, {
        upstreamCode: null,
        upstreamStatus: 200,
      });
    }
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Client

export class AzureCollectionsClient implements UpstreamCollectionsClient {
  constructor(private readonly http: AzureHttpClient) {}

  async createCollection(ref: CollectionRef, body: { name: string; userData: string | null; recognitionModel: RecognitionModel }) {
    const wire: WireCreateCollectionRequest = { name: body.name, recognitionModel: body.recognitionModel };
    if (body.userData !== null) wire.userData = body.userData;
    await this.http.noContent({
      operation: 'createCollection',
      method: 'PUT',
      route: this.route(ref),
      body: json(wire),
      idempotent: false,
    });
  }

  getCollection(ref: CollectionRef): Promise<CollectionInfo> {
    return this.http.json(
      { operation: 'getCollection', method: 'GET', route: this.route(ref), query: withModel(), idempotent: true },
      collectionGuard(ref.kind),
    );
  }

  async updateCollection(ref: CollectionRef, patch: CollectionPatch): Promise<void> {
    await this.http.noContent({
      operation: 'updateCollection',
      method: 'PATCH',
      route: this.route(ref),
      body: json(patchBody(patch)),
      idempotent: true,
    });
  }

  async deleteCollection(ref: CollectionRef): Promise<void> {
    await this.http.noContent({ operation: 'deleteCollection', method: 'DELETE', route: this.route(ref), idempotent: false });
  }

  async listCollections(kind: CollectionKind, page: Page): Promise<CollectionInfo[]> {
    // GET /facelists has no paging (reference §0): the whole list (at most 64), paged here.
    const query = kind === 'faceList' ? withModel() : withModel(pageQuery(page));
    const all = await this.http.json(
      { operation: 'listCollections', method: 'GET', route: `/${SEGMENT[kind]}`, query, idempotent: true },
      arrayOf(collectionGuard(kind)),
    );
    return kind === 'faceList' ? paged(all, (c) => c.id, page) : all;
  }

  async createPerson(ref: PersonGroupRef, body: { name: string; userData: string | null }): Promise<string> {
    const wire: WireUpdateCollectionRequest = { name: body.name };
    if (body.userData !== null) wire.userData = body.userData;
    const created = await this.http.json(
      { operation: 'createPerson', method: 'POST', route: `${this.route(ref)}/persons`, body: json(wire), idempotent: false },
      createPersonGuard,
    );
    return created.personId.toLowerCase();
  }

  async getPerson(ref: PersonGroupRef, personId: string): Promise<PersonInfo> {
    return toPersonInfo(
      await this.http.json(
        { operation: 'getPerson', method: 'GET', route: this.personRoute(ref, personId), idempotent: true },
        personGuard,
      ),
    );
  }

  async updatePerson(ref: PersonGroupRef, personId: string, patch: CollectionPatch): Promise<void> {
    await this.http.noContent({
      operation: 'updatePerson',
      method: 'PATCH',
      route: this.personRoute(ref, personId),
      body: json(patchBody(patch)),
      idempotent: true,
    });
  }

  async deletePerson(ref: PersonGroupRef, personId: string): Promise<void> {
    await this.http.noContent({ operation: 'deletePerson', method: 'DELETE', route: this.personRoute(ref, personId), idempotent: false });
  }

  async listPersons(ref: PersonGroupRef, page: Page): Promise<PersonInfo[]> {
    const wire = await this.http.json(
      { operation: 'listPersons', method: 'GET', route: `${this.route(ref)}/persons`, query: pageQuery(page), idempotent: true },
      arrayOf(personGuard),
    );
    return wire.map(toPersonInfo);
  }

  async addFace(ref: CollectionRef, personId: string | null, face: UpstreamNewFace): Promise<string> {
    const query = new URLSearchParams();
    if (face.targetFace) {
      const t = face.targetFace;
      query.set('targetFace', [t.left, t.top, t.width, t.height].join(','));
    }
    if (face.userData !== null) query.set('userData', face.userData);
    query.set('detectionModel', face.detectionModel);
    const added = await this.http.json(
      {
        operation: 'addFace',
        method: 'POST',
        route: `${this.ownerRoute(ref, personId)}/persistedfaces`,
        query,
        body: { contentType: 'application/octet-stream', data: face.image },
        idempotent: false,
      },
      addFaceGuard,
    );
    return added.persistedFaceId.toLowerCase();
  }

  async getFace(ref: CollectionRef, personId: string | null, persistedFaceId: string): Promise<PersistedFaceInfo> {
    if (ref.kind === 'faceList') {
      // A FaceList's faces are read with the list (it has no GET of one face).
      const found = (await this.faceListFaces(ref)).find((f) => f.persistedFaceId === persistedFaceId);
      if (!found) throw faceNotFound(ref, persistedFaceId);
      return found;
    }
    const wire = await this.http.json(
      { operation: 'getFace', method: 'GET', route: this.faceRoute(ref, personId, persistedFaceId), idempotent: true },
      persistedFaceGuard,
    );
    return toFaceInfo(wire, personId);
  }

  async updateFace(ref: CollectionRef, personId: string | null, persistedFaceId: string, userData: string | null): Promise<void> {
    if (ref.kind === 'faceList') {
      throw new FaceError('INVALID_ARGUMENT', "Azure AI Face has no route to change a FACE_LIST face's userData.", {
        argument: 'userData',
        collectionKind: ref.kind,
        collectionId: ref.id,
      });
    }
    await this.http.noContent({
      operation: 'updateFace',
      method: 'PATCH',
      route: this.faceRoute(ref, personId, persistedFaceId),
      body: json({ userData }),
      idempotent: true,
    });
  }

  async deleteFace(ref: CollectionRef, personId: string | null, persistedFaceId: string): Promise<void> {
    await this.http.noContent({
      operation: 'deleteFace',
      method: 'DELETE',
      route: this.faceRoute(ref, personId, persistedFaceId),
      idempotent: false,
    });
  }

  async listFaces(ref: CollectionRef, personId: string | null, page?: Page): Promise<PersistedFaceInfo[]> {
    const all: Page = page ?? { start: null, top: Number.MAX_SAFE_INTEGER };
    if (personId !== null) {
      // A person lists its persistedFaceIds; each face's userData is read on its own (≤ 248).
      const person = await this.getPerson(ref as PersonGroupRef, personId);
      const faces: PersistedFaceInfo[] = [];
      for (let i = 0; i < person.persistedFaceIds.length; i += 8) {
        const chunk = person.persistedFaceIds.slice(i, i + 8);
        faces.push(...(await Promise.all(chunk.map((id) => this.getFace(ref, personId, id)))));
      }
      return page ? paged(faces, (f) => f.persistedFaceId, page) : faces;
    }
    if (ref.kind === 'faceList') return paged(await this.faceListFaces(ref), (f) => f.persistedFaceId, all);
    const wire = await this.http.json(
      {
        operation: 'listFaces',
        method: 'GET',
        route: `${this.route(ref)}/persistedfaces`,
        query: page ? pageQuery(page) : undefined,
        idempotent: true,
      },
      arrayOf(persistedFaceGuard),
    );
    return wire.map((w) => toFaceInfo(w, null));
  }

  async train(ref: CollectionRef): Promise<void> {
    // 202 with operation-location; the collection's training status tells the rest.
    await this.http.noContent({ operation: 'train', method: 'POST', route: `${this.route(ref)}/train`, idempotent: true });
  }

  async trainingStatus(ref: CollectionRef): Promise<TrainingStatus> {
    const wire = await this.http.json(
      { operation: 'trainingStatus', method: 'GET', route: `${this.route(ref)}/training`, idempotent: true },
      trainingGuard,
    );
    return mapped(() => toTrainingStatus(wire));
  }

  async identify(ref: PersonGroupRef, faceIds: string[], options: { max: number; threshold: number }): Promise<UpstreamIdentifyResult[]> {
    const body: WireIdentifyRequest = {
      faceIds,
      ...groupId(ref),
      maxNumOfCandidatesReturned: options.max,
      confidenceThreshold: options.threshold,
    };
    const wire = await this.http.json(
      { operation: 'identify', method: 'POST', route: '/identify', body: json(body), idempotent: true },
      identifyGuard,
    );
    return wire.map((r) => ({
      faceId: r.faceId,
      candidates: r.candidates.map((c) => ({ personId: c.personId.toLowerCase(), confidence: c.confidence })),
    }));
  }

  async verifyToPerson(ref: PersonGroupRef, faceId: string, personId: string): Promise<Verification> {
    const body: WireVerifyFaceToPersonRequest = { faceId, ...groupId(ref), personId };
    const wire = await this.http.json(
      { operation: 'verifyToPerson', method: 'POST', route: '/verify', body: json(body), idempotent: true },
      verifyResponseGuard,
    );
    return toVerification(wire);
  }

  async findSimilar(
    ref: FaceListRef,
    faceId: string,
    options: { mode: FindSimilarMode; max: number },
  ): Promise<Array<{ persistedFaceId: string; confidence: number }>> {
    const body: WireFindSimilarInListRequest = {
      faceId,
      ...(ref.kind === 'faceList' ? { faceListId: ref.id } : { largeFaceListId: ref.id }),
      maxNumOfCandidatesReturned: options.max,
      mode: options.mode,
    };
    const wire = await this.http.json(
      { operation: 'findSimilarInList', method: 'POST', route: '/findsimilars', body: json(body), idempotent: true },
      similarInListGuard,
    );
    return wire.slice(0, options.max).map((m) => ({ persistedFaceId: m.persistedFaceId.toLowerCase(), confidence: m.confidence }));
  }

  private async faceListFaces(ref: CollectionRef): Promise<PersistedFaceInfo[]> {
    const wire = await this.http.json(
      { operation: 'getCollection', method: 'GET', route: this.route(ref), idempotent: true } satisfies AzureRequest,
      faceListFacesGuard,
    );
    return wire.persistedFaces.map((f) => toFaceInfo(f, null));
  }

  private route(ref: CollectionRef): string {
    return `/${SEGMENT[ref.kind]}/${encodeURIComponent(ref.id)}`;
  }

  private personRoute(ref: CollectionRef, personId: string): string {
    return `${this.route(ref)}/persons/${encodeURIComponent(personId)}`;
  }

  private ownerRoute(ref: CollectionRef, personId: string | null): string {
    return personId === null ? this.route(ref) : this.personRoute(ref, personId);
  }

  private faceRoute(ref: CollectionRef, personId: string | null, persistedFaceId: string): string {
    return `${this.ownerRoute(ref, personId)}/persistedfaces/${encodeURIComponent(persistedFaceId)}`;
  }
}

const groupId = (ref: PersonGroupRef): { personGroupId: string } | { largePersonGroupId: string } =>
  ref.kind === 'personGroup' ? { personGroupId: ref.id } : { largePersonGroupId: ref.id };

function withModel(q: URLSearchParams = new URLSearchParams()): URLSearchParams {
  q.set('returnRecognitionModel', 'true');
  return q;
}

/** A PATCH body; `userData: null` clears it (sent as JSON null). */
function patchBody(patch: CollectionPatch): Record<string, string | null> {
  const body: Record<string, string | null> = {};
  if (patch.name !== undefined) body.name = patch.name;
  if (patch.userData !== undefined) body.userData = patch.userData;
  return body;
}

function faceNotFound(ref: CollectionRef, persistedFaceId: string): FaceError {
  return new FaceError('PERSISTED_FACE_NOT_FOUND', `Persisted face ${persistedFaceId} is not found.`, {
    collectionKind: ref.kind,
    collectionId: ref.id,
    persistedFaceId,
    personId: null,
  });
}
