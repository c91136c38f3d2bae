/**
 * The Apollo Sandbox landing page: its example document stays valid against the served schema
 * (and its variables fit that document), runs on the server with local photos in place of the
 * sample URLs, a browser's GET /graphql gets the page with both in development, and production
 * keeps Apollo's production landing page without them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationDefinitionNode } from 'graphql';
import { buildSchema } from '../../src/api/graphql/schema.js';
import { SANDBOX_DOCUMENT, SANDBOX_VARIABLES } from '../../src/api/sandbox-example.js';
import { graphqlRuntime } from '../helpers/graphql-runtime.js';
import { faceBase64 } from '../helpers/paths.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const { getVariableValues, parse, validate } = graphqlRuntime;

/** The config object Apollo inlines in the embedded Sandbox page (`var embeddedSandboxConfig = {...};`). */
function sandboxConfig(html: string): { initialState: { document?: string; variables?: unknown } } {
  const match = /var embeddedSandboxConfig = (.*);\n/.exec(html);
  if (!match) throw new Error(`no embeddedSandboxConfig in the page:\n${html.slice(0, 2000)}`);
  return JSON.parse(match[1]!) as { initialState: { document?: string; variables?: unknown } };
}

async function landingPage(server: TestServer): Promise<{ status: number; type: string | null; html: string }> {
  const res = await fetch(server.url, { headers: { accept: 'text/html' } });
  return { status: res.status, type: res.headers.get('content-type'), html: await res.text() };
}

describe('the Sandbox example document', () => {
  const schema = buildSchema();
  const document = parse(SANDBOX_DOCUMENT);
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');

  it('validates against the served schema', () => {
    expect(validate(schema, document).map((e) => e.message)).toEqual([]);
    expect(operations.map((op) => op.name?.value)).toEqual(['DetectFaces', 'VerifyFaces']);
  });

  it("its variables coerce to every operation's variable types", () => {
    for (const op of operations) {
      const { errors } = getVariableValues(schema, op.variableDefinitions ?? [], SANDBOX_VARIABLES);
      expect(errors?.map((e) => e.message) ?? [], op.name?.value).toEqual([]);
    }
  });

  it('has no "<", which Apollo would escape only once when inlining it in the page', () => {
    expect(SANDBOX_DOCUMENT).not.toContain('<');
  });
});

describe('GET /graphql from a browser', () => {
  let dev: TestServer;
  let production: TestServer;

  beforeAll(async () => {
    dev = await startTestServer();
    production = await startTestServer({ NODE_ENV: 'production' });
  });

  afterAll(async () => {
    await dev?.stop();
    await production?.stop();
  });

  it('opens Sandbox with the example document and variables in development', async () => {
    const page = await landingPage(dev);
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/text\/html/);
    const { initialState } = sandboxConfig(page.html);
    expect(initialState.document).toBe(SANDBOX_DOCUMENT);
    expect(initialState.variables).toEqual(SANDBOX_VARIABLES);
  });

  it('runs on the server, each operation, with the shared photos in place of the sample URLs', async () => {
    // The sample URLs need the internet; the operations and the server's limits (depth, cost) are what is tested.
    const obama1 = { base64: faceBase64('people/obama/1.jpg') };
    const variables = { photo: obama1, face1: obama1, face2: { base64: faceBase64('people/obama/2.jpg') } };
    const post = async (operationName: string) => {
      const res = await fetch(dev.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: SANDBOX_DOCUMENT, operationName, variables }),
      });
      return (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
    };

    const detected = await post('DetectFaces');
    expect(detected.errors).toBeUndefined();
    const faces = detected.data!.detectFaces as Array<{
      faceId: string;
      landmarks: unknown;
      attributes: { qualityForRecognition: string };
    }>;
    expect(faces).toHaveLength(1);
    expect(faces[0]!.faceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(faces[0]!.landmarks).not.toBeNull();

    const verified = await post('VerifyFaces');
    expect(verified.errors).toBeUndefined();
    expect(verified.data!.verifyFaces).toMatchObject({ verification: { isIdentical: true }, userErrors: [] });
  });

  it('keeps the production landing page, without Sandbox or the example, in production', async () => {
    const page = await landingPage(production);
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/text\/html/);
    expect(page.html).not.toContain('embeddedSandboxConfig');
    expect(page.html).not.toContain('DetectFaces');
  });
});
