/**
 * The Azure provider's collection client (src/adapters/azure/collections.ts) against answers
 * facegraph did not write: Microsoft's Face v1.2 REST specification examples for collections,
 * identify and find-similar-in-a-list (test/fixtures/azure/, SOURCE.md says from where), served
 * by a loopback server that checks the route; and Azure's documented collection error codes
 * (reference §3, §5) read back into facegraph's codes.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureProvider } from '../../src/adapters/azure/provider.js';
import { mapAzureError } from '../../src/adapters/azure/errors.js';
import { FaceError } from '../../src/domain/errors.js';
import type { AzureConfig } from '../../src/platform/config.js';

interface SpecExample {
  operationId: string;
  parameters: Record<string, unknown>;
  responses: Record<string, { body?: unknown }>;
}
const example = (file: string): SpecExample =>
  JSON.parse(readFileSync(new URL(`../fixtures/azure/${file}`, import.meta.url), 'utf8')) as SpecExample;

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string | undefined;
  body: Buffer;
}

/** The route each example answers (reference §1c–1e, §3); anything else is Azure's bare 404. */
const answers = new Map<string, { status: number; body: unknown }>();
let seen: Seen | null = null;
let server: Server;
let provider: AzureProvider;

function serve(method: string, path: string, ex: SpecExample): void {
  const [status, res] = Object.entries(ex.responses)[0]!;
  answers.set(`${method} /face/v1.2${path}`, { status: Number(status), body: res.body });
}

const read = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

beforeAll(async () => {
  server = createServer((req, res) => {
    void read(req).then((body) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen = { method: req.method ?? '', path: url.pathname, query: url.searchParams, contentType: req.headers['content-type'], body };
      const answer = answers.get(`${req.method} ${url.pathname}`);
      if (!answer || req.headers['ocp-apim-subscription-key'] !== 'k') {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { code: '404', message: 'Resource not found' } }));
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const config: AzureConfig = {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    apiVersion: 'v1.2',
    key: 'k',
    tokenCommand: null,
    connections: 2,
    connectTimeoutMs: 2000,
    requestTimeoutMs: 5000,
    maxRetries: 0,
    retryBaseMs: 10,
    maxRetryAfterMs: 1000,
  };
  provider = new AzureProvider(config, pino({ level: 'silent' }));
});

afterAll(async () => {
  await provider?.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('the v1.2 collection examples', () => {
  it('PersonGroupOperations_GetPersonGroup: asks for the recognition model and maps the group', async () => {
    serve('GET', '/persongroups/your_person_group_id', example('PersonGroupOperations_GetPersonGroup.json'));
    const group = await provider.collections.getCollection({ kind: 'personGroup', id: 'your_person_group_id' });
    expect(seen!.query.get('returnRecognitionModel')).toBe('true');
    expect(group).toEqual({
      kind: 'personGroup',
      id: 'your_person_group_id',
      name: 'your_person_group_name',
      userData: 'your_user_data',
      recognitionModel: 'recognition_01',
      createdAt: null,
    });
  });

  it('PersonGroupOperations_GetPersonGroupTrainingStatus: ISO times to epoch ms, message null', async () => {
    serve('GET', '/persongroups/your_person_group_id/training', example('PersonGroupOperations_GetPersonGroupTrainingStatus.json'));
    const status = await provider.collections.trainingStatus({ kind: 'personGroup', id: 'your_person_group_id' });
    const t = Date.parse('2024-03-05T11:07:58.371Z');
    expect(status).toEqual({
      status: 'notStarted',
      createdDateTime: t,
      lastActionDateTime: t,
      lastSuccessfulTrainingDateTime: t,
      message: null,
    });
  });

  it("PersonGroupOperations_GetPersonGroupPersons: sends the example's start and top, maps the persons", async () => {
    const ex = example('PersonGroupOperations_GetPersonGroupPersons.json');
    serve('GET', '/persongroups/your_person_group_id/persons', ex);
    const persons = await provider.collections.listPersons(
      { kind: 'personGroup', id: 'your_person_group_id' },
      { start: String(ex.parameters.start), top: Number(ex.parameters.top) },
    );
    expect(seen!.query.get('start')).toBe(ex.parameters.start);
    expect(seen!.query.get('top')).toBe(String(ex.parameters.top));
    expect(persons).toEqual([
      {
        personId: '25985303-c537-4467-b41d-bdb45cd95ca1',
        name: 'your_person_group_person_name',
        userData: 'your_user_data',
        persistedFaceIds: ['43897a75-8d6f-42cf-885e-74832febb055'],
        createdAt: null,
      },
    ]);
  });

  it("PersonGroupOperations_AddPersonGroupPersonFace: octet-stream bytes with the example's targetFace, detectionModel and userData", async () => {
    const ex = example('PersonGroupOperations_AddPersonGroupPersonFaceFromStream.json');
    const personId = String(ex.parameters.personId);
    serve('POST', `/persongroups/your_person_group_id/persons/${personId}/persistedfaces`, ex);
    const image = Buffer.from('fake image bytes');
    const id = await provider.collections.addFace({ kind: 'personGroup', id: 'your_person_group_id' }, personId, {
      image,
      targetFace: { left: 10, top: 10, width: 100, height: 100 },
      userData: 'your_user_data',
      detectionModel: 'detection_01',
    });
    expect(id).toBe('43897a75-8d6f-42cf-885e-74832febb055');
    expect(seen!.contentType).toBe('application/octet-stream');
    expect(seen!.body.equals(image)).toBe(true);
    expect(seen!.query.get('targetFace')).toBe(ex.parameters.targetFace);
    expect(seen!.query.get('detectionModel')).toBe(ex.parameters.detectionModel);
    expect(seen!.query.get('userData')).toBe(ex.parameters.userData);
  });

  it("FaceRecognitionOperations_IdentifyFromLargePersonGroup: sends the example's body, maps the candidates", async () => {
    const ex = example('FaceRecognitionOperations_IdentifyFromLargePersonGroup.json');
    serve('POST', '/identify', ex);
    const body = ex.parameters.body as {
      faceIds: string[];
      largePersonGroupId: string;
      maxNumOfCandidatesReturned: number;
      confidenceThreshold: number;
    };
    const results = await provider.collections.identify({ kind: 'largePersonGroup', id: body.largePersonGroupId }, body.faceIds, {
      max: body.maxNumOfCandidatesReturned,
      threshold: body.confidenceThreshold,
    });
    expect(JSON.parse(seen!.body.toString('utf8'))).toEqual(body);
    expect(results).toEqual([
      {
        faceId: 'c5c24a82-6845-4031-9d5d-978df9175426',
        candidates: [{ personId: '85c0c630-c9c9-40f8-8a4e-f9ae4f926ea5', confidence: 0.8 }],
      },
    ]);
  });

  it('FaceRecognitionOperations_FindSimilarFromLargeFaceList: sends the body; the answer as printed (faceId, not persistedFaceId) is refused', async () => {
    const ex = example('FaceRecognitionOperations_FindSimilarFromLargeFaceList.json');
    serve('POST', '/findsimilars', ex);
    const body = ex.parameters.body as { faceId: string; largeFaceListId: string; maxNumOfCandidatesReturned: number; mode: 'matchPerson' };
    // The list modes answer persistedFaceId (reference §1a, FindSimilarResult); the example
    // prints faceId, as the faceIds-mode example prints persistedFaceId the other way round.
    const err = await provider.collections
      .findSimilar({ kind: 'largeFaceList', id: body.largeFaceListId }, body.faceId, {
        mode: body.mode,
        max: body.maxNumOfCandidatesReturned,
      })
      .catch((e: unknown) => e);
    expect(JSON.parse(seen!.body.toString('utf8'))).toEqual(body);
    expect(err).toBeInstanceOf(FaceError);
    expect((err as FaceError).code).toBe('UPSTREAM_BAD_RESPONSE');
    expect((err as FaceError).message).toContain('persistedFaceId');
  });
});

describe("Azure's documented collection errors, read back", () => {
  const mapped = (status: number, code: string, message = 'x') => mapAzureError({ status, body: { code, message } });

  it.each([
    [404, 'PersonGroupNotFound', 'COLLECTION_NOT_FOUND', 'personGroup'],
    [400, 'LargePersonGroupNotFound', 'COLLECTION_NOT_FOUND', 'largePersonGroup'],
    [400, 'FaceListNotFound', 'COLLECTION_NOT_FOUND', 'faceList'],
    [409, 'LargeFaceListExists', 'COLLECTION_EXISTS', 'largeFaceList'],
    [400, 'PersonGroupNotTrained', 'COLLECTION_NOT_TRAINED', 'personGroup'],
    [404, 'LargeFaceListNotTrained', 'COLLECTION_NOT_TRAINED', 'largeFaceList'],
    [409, 'LargePersonGroupTrainingNotFinished', 'TRAINING_NOT_FINISHED', 'largePersonGroup'],
  ] as const)('%i %s -> %s (%s)', (status, code, expected, kind) => {
    const err = mapped(status, code);
    expect(err.code).toBe(expected);
    expect(err.details.collectionKind).toBe(kind);
    expect(err.details.upstreamCode).toBe(code);
  });

  it.each([
    [404, 'PersonNotFound', 'PERSON_NOT_FOUND'],
    [404, 'PersistedFaceNotFound', 'PERSISTED_FACE_NOT_FOUND'],
    [400, 'FaceListNotReady', 'COLLECTION_EMPTY'],
    // A 403 is the upstream refusing facegraph, except for a count limit: the caller's.
    [403, 'QuotaExceeded', 'QUOTA_EXCEEDED'],
  ] as const)('%i %s -> %s', (status, code, expected) => {
    expect(mapped(status, code).code).toBe(expected);
  });

  it('InvalidImage "There is more than 1 face in the image." (add-face) is MULTIPLE_FACES_IN_IMAGE; the 403 of a missing approval stays the upstream refusing', () => {
    expect(mapped(400, 'InvalidImage', 'There is more than 1 face in the image.').code).toBe('MULTIPLE_FACES_IN_IMAGE');
    expect(mapped(400, 'InvalidImage', 'No face detected in the image.').code).toBe('NO_FACE_IN_IMAGE');
    expect(mapped(403, 'InvalidRequest', 'Invalid request has been sent.').code).toBe('UPSTREAM_UNAUTHORIZED');
  });
});
