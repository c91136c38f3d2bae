/**
 * Federation end to end: composes a supergraph from the real faces subgraph and a small "people"
 * subgraph that references Face by key, runs an Apollo Gateway over both (each served over real
 * HTTP on loopback), and checks that the gateway resolves Face entities through `_entities`.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { composeServices } from '@apollo/composition';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { loadTypeDefs } from '../../src/api/graphql/schema.js';
import { faceBase64 } from '../helpers/paths.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const PEOPLE_SDL = `
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  type Photo @key(fields: "id") {
    id: ID!
    face: Face
  }

  type Face @key(fields: "faceId", resolvable: false) {
    faceId: ID
  }

  type Query {
    photo(faceId: ID!): Photo
  }
`;

const UNKNOWN_FACE_ID = '00000000-0000-0000-0000-000000000000';

interface FaceResult {
  faceId: string | null;
  faceRectangle: { width: number };
}

interface GatewayResult<T> {
  data?: T | null;
  errors?: ReadonlyArray<{ message: string; path?: ReadonlyArray<string | number>; extensions?: Record<string, unknown> }>;
}

describe('federation: gateway over the faces and people subgraphs', () => {
  let faces: TestServer;
  let people: ApolloServer;
  let peopleUrl: string;
  let gateway: ApolloServer;
  let supergraphSdl: string;
  let hints: string[] = [];
  /** Every operation the gateway sent to a subgraph, in order. */
  const sent: Array<{ subgraph: string; query: string }> = [];

  /** Runs an operation through the gateway (in process) and returns its single result. */
  async function execute<T>(query: string, variables?: Record<string, unknown>): Promise<GatewayResult<T>> {
    const response = await gateway.executeOperation({ query, variables });
    if (response.body.kind !== 'single') throw new Error(`expected a single result, got ${response.body.kind}`);
    return response.body.singleResult as GatewayResult<T>;
  }

  beforeAll(async () => {
    faces = await startTestServer();

    people = new ApolloServer({
      schema: buildSubgraphSchema({
        typeDefs: parse(PEOPLE_SDL),
        resolvers: {
          Query: {
            photo: (_root: unknown, { faceId }: { faceId: string }) => ({ id: 'p1', face: { faceId } }),
          },
        },
      }),
      // Otherwise it logs "Enabling inline tracing for this subgraph" to the test output.
      plugins: [ApolloServerPluginInlineTraceDisabled()],
    });
    ({ url: peopleUrl } = await startStandaloneServer(people, { listen: { port: 0, host: '127.0.0.1' } }));

    const composition = composeServices([
      { name: 'faces', typeDefs: parse(loadTypeDefs()), url: faces.url },
      { name: 'people', typeDefs: parse(PEOPLE_SDL), url: peopleUrl },
    ]);
    if (composition.errors) {
      throw new Error(`composition failed:\n${composition.errors.map((e) => e.message).join('\n')}`);
    }
    supergraphSdl = composition.supergraphSdl;
    hints = composition.hints.map((h) => `${h.definition.code}: ${h.message}`);

    // Static supergraph (no polling). The default data source posts JSON with
    // content-type: application/json, which passes the faces subgraph's CSRF prevention.
    const apolloGateway = new ApolloGateway({
      supergraphSdl,
      buildService: ({ name, url }) =>
        new RemoteGraphQLDataSource({
          url,
          willSendRequest: ({ request }) => {
            sent.push({ subgraph: name, query: request.query ?? '' });
          },
        }),
    });
    gateway = new ApolloServer({ gateway: apolloGateway });
    await gateway.start();
  });

  afterAll(async () => {
    await gateway?.stop();
    await people?.stop();
    await faces?.stop();
  });

  it('composes a supergraph containing Face from both subgraphs', () => {
    expect(supergraphSdl).toMatch(/type Face\b/);
    expect(supergraphSdl).toContain('@join__type(graph: FACES, key: "faceId")');
    expect(supergraphSdl).toContain('@join__type(graph: PEOPLE, key: "faceId", resolvable: false)');
    expect(supergraphSdl).toMatch(/type Photo\b/);
    // Surface composition hints in the test output; they are not failures.
    if (hints.length > 0) console.info(`composition hints:\n${hints.join('\n')}`);
  });

  let detected: { faceId: string; width: number } | undefined;

  it('detects a face through the gateway', async () => {
    const result = await execute<{ detectFaces: FaceResult[] }>(
      'query Detect($b: String!) { detectFaces(image: { base64: $b }) { faceId faceRectangle { width } } }',
      { b: faceBase64('people/obama/1.jpg') },
    );
    expect(result.errors).toBeUndefined();
    const list = result.data?.detectFaces;
    expect(list).toHaveLength(1);
    const face = list![0]!;
    expect(face.faceId).toEqual(expect.any(String));
    expect(face.faceId!.length).toBeGreaterThan(0);
    expect(face.faceRectangle.width).toBeGreaterThan(0);
    detected = { faceId: face.faceId!, width: face.faceRectangle.width };
  });

  it('resolves Face from the faces subgraph via _entities on a people Photo', async () => {
    expect(detected).toBeDefined();
    const { faceId, width } = detected!;
    sent.length = 0;
    const result = await execute<{ photo: { id: string; face: FaceResult | null } | null }>(
      'query Photo($id: ID!) { photo(faceId: $id) { id face { faceId faceRectangle { width } } } }',
      { id: faceId },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.photo?.id).toBe('p1');
    expect(result.data?.photo?.face).toEqual({ faceId, faceRectangle: { width } });
    // people answered photo, then the faces subgraph resolved the Face entity by its key.
    expect(sent.map((r) => r.subgraph)).toEqual(['people', 'faces']);
    expect(sent[1]!.query).toContain('_entities');
  });

  it('resolves an unknown faceId to a null face without failing the operation', async () => {
    // A field only the faces subgraph has (faceRectangle) forces an _entities fetch; the faces
    // subgraph's __resolveReference returns null for an unknown faceId, so face becomes null.
    sent.length = 0;
    const result = await execute<{ photo: { id: string; face: FaceResult | null } | null }>(
      `query { photo(faceId: "${UNKNOWN_FACE_ID}") { id face { faceId faceRectangle { width } } } }`,
    );
    expect(result.data?.photo).not.toBeNull();
    expect(result.data?.photo?.id).toBe('p1');
    expect(result.data?.photo?.face).toBeNull();
    expect(sent.map((r) => r.subgraph)).toEqual(['people', 'faces']);
    if (result.errors) console.info(`unknown faceId errors: ${JSON.stringify(result.errors)}`);
  });

  it('does not ask the faces subgraph when only the key field is selected', async () => {
    // The people subgraph already holds Face.faceId (the key), so the query planner answers
    // `face { faceId }` from the people subgraph alone: no _entities call, and the stub is
    // returned as-is even for a faceId the faces subgraph does not know.
    sent.length = 0;
    const result = await execute<{ photo: { face: { faceId: string | null } | null } | null }>(
      `query { photo(faceId: "${UNKNOWN_FACE_ID}") { face { faceId } } }`,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.photo?.face).toEqual({ faceId: UNKNOWN_FACE_ID });
    expect(sent.map((r) => r.subgraph)).toEqual(['people']);
  });
});
