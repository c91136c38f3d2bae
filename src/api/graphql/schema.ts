/** Builds the Federation 2 subgraph schema from the SDL files and the resolvers. */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { parse, type GraphQLSchema } from 'graphql';
import { DateTimeResolver, JSONObjectResolver } from 'graphql-scalars';
import { faceResolvers } from './resolvers/face.js';
import { livenessResolvers } from './resolvers/liveness.js';
import { recognitionResolvers } from './resolvers/recognition.js';

const SCHEMA_DIR = fileURLToPath(new URL('../../../schema/', import.meta.url));

export function loadTypeDefs(): string {
  return readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((f) => readFileSync(path.join(SCHEMA_DIR, f), 'utf8'))
    .join('\n');
}

export function buildSchema(): GraphQLSchema {
  // Query and Mutation fields come from several domain files: merge them, do not overwrite.
  const domains = [faceResolvers, recognitionResolvers, livenessResolvers] as Array<Record<string, Record<string, unknown>>>;
  const merged: Record<string, Record<string, unknown>> = {};
  for (const domain of domains) {
    for (const [type, fields] of Object.entries(domain)) merged[type] = { ...merged[type], ...fields };
  }
  const resolvers = { DateTime: DateTimeResolver, JSONObject: JSONObjectResolver, ...merged } as unknown as GraphQLResolverMap<unknown>;
  return buildSubgraphSchema({ typeDefs: parse(loadTypeDefs()), resolvers });
}
