/**
 * The floor under facegraph's upload path, for bench/gateway.ts: the least a GraphQL multipart
 * server on the same stack (Express 5, busboy, Apollo Server 5) does to run the same engine
 * detection. One `detectFaces(image: { file })` field whose resolver hands the file's bytes to
 * the provider and returns the rectangles with a fresh faceId: no API key, no limits, no
 * plugins beyond Apollo's defaults, no faceId registry, no tracing or metrics. What facegraph's
 * path costs on top of this is facegraph's own code; what this costs over the engine alone is
 * the stack's (HTTP, multipart parsing, Apollo's request pipeline).
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import busboy from 'busboy';
import express, { type RequestHandler } from 'express';
import type { DetectRequestOptions } from '../../src/domain/types.js';
import type { FaceProvider } from '../../src/ports/face-provider.js';

const typeDefs = `#graphql
  scalar Upload
  input ImageInput { file: Upload }
  type FaceRectangle { top: Int! left: Int! width: Int! height: Int! }
  type Face { faceId: ID! faceRectangle: FaceRectangle! }
  type Query { detectFaces(image: ImageInput!): [Face!]! }
`;

/** operations + map + files into req.body, the spec's way, with no checks at all (a bench, not a server). */
const readMultipart: RequestHandler = (req, _res, next) => {
  const parser = busboy({ headers: req.headers });
  let operations: { variables: Record<string, unknown> } | undefined;
  let map: Record<string, string[]> = {};
  parser.on('field', (name, value) => {
    if (name === 'operations') operations = JSON.parse(value) as { variables: Record<string, unknown> };
    else if (name === 'map') map = JSON.parse(value) as Record<string, string[]>;
  });
  parser.on('file', (name, stream) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      // Paths are "variables.<name>" in the bench's documents.
      for (const path of map[name] ?? []) operations!.variables[path.split('.')[1]!] = Buffer.concat(chunks);
    });
  });
  parser.on('close', () => {
    req.body = operations;
    next();
  });
  req.pipe(parser);
};

export interface BareServer {
  url: string;
  stop(): Promise<void>;
}

export async function startBareGraphQL(provider: FaceProvider, options: DetectRequestOptions): Promise<BareServer> {
  const apollo = new ApolloServer({
    typeDefs,
    resolvers: {
      Query: {
        detectFaces: async (_root: unknown, args: { image: { file: Buffer } }) =>
          (await provider.detect(args.image.file, options)).map((face) => ({ faceId: randomUUID(), faceRectangle: face.faceRectangle })),
      },
    },
  });
  await apollo.start();
  const app = express();
  app.post('/graphql', readMultipart, expressMiddleware(apollo));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    async stop() {
      await apollo.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
