/**
 * The collection routes of Azure AI Face v1.2 (reference §1b–1e, §1g): FaceList, LargeFaceList,
 * PersonGroup and LargePersonGroup with their persons and persisted faces, training, and
 * `GET /operations/{operationId}`. Each handler reads Azure's request (path, query, body), calls
 * the collection use case (src/app/collections) and answers Azure's JSON; every rule — ids,
 * names, userData, paging, quotas, which face of an image is added — is the use case's.
 *
 * PUT, PATCH and DELETE answer 200 with an empty body, as Azure does; train answers 202 with an
 * `operation-location` header (an absolute URL of `GET /operations/{operationId}` on this host).
 */
import express, { type Request, type Response, type Router } from 'express';
import type { CollectionServices } from '../../app/collections/service.js';
import type { AppServices } from '../../app/services.js';
import {
  needsTraining,
  type CollectionKind,
  type CollectionRef,
  type FaceListKind,
  type PersonGroupKind,
} from '../../domain/collections.js';
import { DETECTION_MODELS, FACE_ID_TTL, type DetectedFace, type FaceRectangle, type RecognitionModel } from '../../domain/types.js';
import type { WireAddFaceResult, WireCreatePersonResult, WirePersistedFace } from '../../contracts/azure-face-v1.2.js';
import { FaceError } from '../../domain/errors.js';
import { discardBody, readJsonObject } from './body.js';
import { imageOf } from './detect.js';
import { mapping } from './errors.js';
import { bool, integer, list, model, single, type Query } from './query.js';
import { collection, faceList, operationResult, persistedFace, person, trainingResult } from './wire.js';

/** The path segment of each kind. */
export const COLLECTION_SEGMENT: Readonly<Record<CollectionKind, string>> = {
  faceList: 'facelists',
  largeFaceList: 'largefacelists',
  personGroup: 'persongroups',
  largePersonGroup: 'largepersongroups',
};

const FACE_LIST_KINDS: readonly FaceListKind[] = ['faceList', 'largeFaceList'];
const PERSON_GROUP_KINDS: readonly PersonGroupKind[] = ['personGroup', 'largePersonGroup'];

const ok = (res: Response): void => {
  res.status(200).end();
};

const param = (req: Request, name: string): string => String(req.params[name]);

/** `start` and `top` as given (the use case checks them). */
const page = (query: Query): [start: string | undefined, top: number | undefined] => [single(query, 'start'), integer(query, 'top')];

/** `targetFace=left,top,width,height`; anything but four integers is NaN, which the use case refuses. */
function targetFaceOf(query: Query): FaceRectangle | null {
  const parts = list(query, 'targetFace');
  if (parts === undefined) return null;
  const n = parts.length === 4 ? parts.map((p) => (/^-?\d{1,9}$/.test(p) ? Number(p) : Number.NaN)) : [NaN, NaN, NaN, NaN];
  return { left: n[0]!, top: n[1]!, width: n[2]!, height: n[3]! };
}

/**
 * POST …/persistedfaces: image bytes or JSON `{url}`, with `targetFace`, `userData` and
 * `detectionModel`. The use case checks the collection (and person) before it asks for the
 * faces; the image is read and detected only then, with the collection's recognition model.
 */
async function addFace(
  req: Request,
  res: Response,
  services: AppServices,
  uc: CollectionServices,
  ref: CollectionRef,
  personId: string | null,
): Promise<WireAddFaceResult> {
  let read = false;
  try {
    const detectionModel = model(req.query, 'detectionModel', DETECTION_MODELS, 'detection_01');
    const targetFace = targetFaceOf(req.query);
    const userData = single(req.query, 'userData');
    const detect = async (recognitionModel: RecognitionModel): Promise<readonly DetectedFace[]> => {
      read = true;
      const bytes = await imageOf(req, res, services, false);
      // As REST /detect would with returnFaceId=true: the embedding is what a collection keeps.
      return services.provider.detect(bytes, {
        detectionModel,
        recognitionModel,
        returnFaceId: true,
        faceIdTimeToLive: FACE_ID_TTL.default,
        returnLandmarks: false,
        attributes: [],
      });
    };
    const face = await uc.faces.add(ref, personId, { detect, targetFace, userData });
    return { persistedFaceId: face.persistedFaceId };
  } catch (err) {
    // Refused before the image was read: drop it so the client gets the answer, not a reset.
    if (!read) await discardBody(req, res);
    throw err;
  }
}

/**
 * The routes of the four kinds and of training operations. On the Azure provider the upstream
 * resource holds the collections (GraphQL manages them there) and these routes are not served:
 * a REST client of such a gateway manages collections on the Azure resource itself. identify,
 * verify and findsimilars (rest/recognition.ts) do reach the upstream's collections.
 */
export function collectionRoutes(services: AppServices): Router {
  const router = express.Router();
  const uc = services.localCollections;
  if (!uc) {
    const off = (): never => {
      throw new FaceError(
        'NOT_FOUND',
        'The collection routes are not served on the Azure provider: manage collections on the Azure resource, or through GraphQL.',
      );
    };
    for (const segment of [...Object.values(COLLECTION_SEGMENT), 'operations']) router.all([`/${segment}`, `/${segment}/*rest`], off);
    return router;
  }

  for (const kind of Object.keys(COLLECTION_SEGMENT) as CollectionKind[]) {
    const base = `/${COLLECTION_SEGMENT[kind]}`;
    const one = `${base}/:collectionId`;
    const ref = (req: Request): CollectionRef => ({ kind, id: param(req, 'collectionId') });

    router.put(one, async (req, res) => {
      const body = await readJsonObject(req, res);
      await uc.collections.create(kind, param(req, 'collectionId'), {
        name: body.name,
        userData: body.userData,
        recognitionModel: body.recognitionModel,
      });
      ok(res);
    });
    router.get(one, async (req, res) => {
      const returnRecognitionModel = bool(req.query, 'returnRecognitionModel', false);
      const found = await uc.collections.get(ref(req));
      if (kind === 'faceList') res.json(faceList(found, await uc.faces.list(found, null), returnRecognitionModel));
      else res.json(collection(found, returnRecognitionModel));
    });
    router.patch(one, async (req, res) => {
      const body = await readJsonObject(req, res);
      await uc.collections.update(ref(req), { name: body.name, userData: body.userData });
      ok(res);
    });
    router.delete(one, async (req, res) => {
      await uc.collections.delete(ref(req));
      ok(res);
    });
    router.get(base, async (req, res) => {
      const returnRecognitionModel = bool(req.query, 'returnRecognitionModel', false);
      // GET /facelists has no paging (at most 64 lists).
      const [start, top] = kind === 'faceList' ? [undefined, undefined] : page(req.query);
      const found = await uc.collections.list(kind, start, top);
      res.json(found.map((c) => collection(c, returnRecognitionModel)));
    });

    if (needsTraining(kind)) {
      router.post(`${one}/train`, async (req, res) => {
        const operation = await uc.operations.train(ref(req));
        const location = `${req.protocol}://${req.get('host') ?? 'localhost'}${req.baseUrl}/operations/${operation.operationId}`;
        res.status(202).setHeader('operation-location', location).end();
      });
      router.get(`${one}/training`, async (req, res) => {
        // {Kind}NotTrained is a 404 here (a 400 in identify and findsimilars).
        const status = await mapping({ notTrainedStatus: 404 }, async () => uc.training.status(await uc.collections.get(ref(req))));
        res.json(trainingResult(status));
      });
    }
  }

  for (const kind of FACE_LIST_KINDS) {
    const faces = `/${COLLECTION_SEGMENT[kind]}/:collectionId/persistedfaces`;
    const ref = (req: Request): CollectionRef => ({ kind, id: param(req, 'collectionId') });
    router.post(faces, async (req, res) => {
      res.json(await addFace(req, res, services, uc, ref(req), null));
    });
    router.delete(`${faces}/:persistedFaceId`, async (req, res) => {
      await uc.faces.delete(ref(req), null, param(req, 'persistedFaceId'));
      ok(res);
    });
    if (kind === 'largeFaceList') {
      router.get(faces, async (req, res) => {
        const found = await uc.faces.list(ref(req), null, ...page(req.query));
        res.json(found.map(persistedFace) satisfies WirePersistedFace[]);
      });
      router.get(`${faces}/:persistedFaceId`, async (req, res) => {
        res.json(persistedFace(await uc.faces.get(ref(req), null, param(req, 'persistedFaceId'))));
      });
      router.patch(`${faces}/:persistedFaceId`, async (req, res) => {
        const body = await readJsonObject(req, res);
        await uc.faces.update(ref(req), null, param(req, 'persistedFaceId'), body.userData);
        ok(res);
      });
    }
  }

  for (const kind of PERSON_GROUP_KINDS) {
    const persons = `/${COLLECTION_SEGMENT[kind]}/:collectionId/persons`;
    const onePerson = `${persons}/:personId`;
    const faces = `${onePerson}/persistedfaces`;
    const ref = (req: Request): CollectionRef & { kind: PersonGroupKind } => ({ kind, id: param(req, 'collectionId') });

    router.post(persons, async (req, res) => {
      const body = await readJsonObject(req, res);
      const created = await uc.persons.create(ref(req), { name: body.name, userData: body.userData });
      res.json({ personId: created.personId } satisfies WireCreatePersonResult);
    });
    router.get(persons, async (req, res) => {
      const found = await uc.persons.list(ref(req), ...page(req.query));
      res.json(found.map(person));
    });
    router.get(onePerson, async (req, res) => {
      res.json(person(await uc.persons.get(ref(req), param(req, 'personId'))));
    });
    router.patch(onePerson, async (req, res) => {
      const body = await readJsonObject(req, res);
      await uc.persons.update(ref(req), param(req, 'personId'), { name: body.name, userData: body.userData });
      ok(res);
    });
    router.delete(onePerson, async (req, res) => {
      await uc.persons.delete(ref(req), param(req, 'personId'));
      ok(res);
    });
    router.post(faces, async (req, res) => {
      res.json(await addFace(req, res, services, uc, ref(req), param(req, 'personId')));
    });
    router.get(`${faces}/:persistedFaceId`, async (req, res) => {
      res.json(persistedFace(await uc.faces.get(ref(req), param(req, 'personId'), param(req, 'persistedFaceId'))));
    });
    router.patch(`${faces}/:persistedFaceId`, async (req, res) => {
      const body = await readJsonObject(req, res);
      await uc.faces.update(ref(req), param(req, 'personId'), param(req, 'persistedFaceId'), body.userData);
      ok(res);
    });
    router.delete(`${faces}/:persistedFaceId`, async (req, res) => {
      await uc.faces.delete(ref(req), param(req, 'personId'), param(req, 'persistedFaceId'));
      ok(res);
    });
  }

  router.get('/operations/:operationId', (req, res) => {
    res.json(operationResult(uc.operations.get(param(req, 'operationId'))));
  });
  return router;
}
