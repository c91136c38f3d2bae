/** Builds the Federation 2 subgraph schema from the SDL files and the resolvers. */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, type GraphQLSchema } from 'graphql';
import { DateTimeResolver, JSONObjectResolver } from 'graphql-scalars';
import { withSpan } from '../../platform/tracing.js';
import { collectionResolvers } from './resolvers/collections.js';
import { faceResolvers } from './resolvers/face.js';
import { livenessResolvers } from './resolvers/liveness.js';
import { recognitionResolvers } from './resolvers/recognition.js';
import { subscriptionResolvers } from './resolvers/subscription.js';
import { UploadScalar } from './upload-scalar.js';

/** The resolver map buildSubgraphSchema takes, from its public signature (the type itself is not exported). */
type SubgraphResolvers = NonNullable<Extract<Parameters<typeof buildSubgraphSchema>[0], { typeDefs: unknown }>['resolvers']>;

const SCHEMA_DIR = fileURLToPath(new URL('../../../schema/', import.meta.url));

export function loadTypeDefs(): string {
  return readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((f) => readFileSync(path.join(SCHEMA_DIR, f), 'utf8'))
    .join('\n');
}

type Resolver = (...args: unknown[]) => unknown;

/** A root field's resolver in a span `graphql.resolve <Type.field>` (a no-op without an OpenTelemetry SDK). */
function traced(coordinate: string, resolver: Resolver): Resolver {
  return (...args) => withSpan(`graphql.resolve ${coordinate}`, { 'graphql.field.coordinate': coordinate }, () => resolver(...args));
}

export function buildSchema(): GraphQLSchema {
  // Query and Mutation fields come from several domain files: merge them, do not overwrite.
  const domains = [faceResolvers, recognitionResolvers, livenessResolvers, collectionResolvers, subscriptionResolvers] as Array<
    Record<string, Record<string, unknown>>
  >;
  const merged: Record<string, Record<string, unknown>> = {};
  for (const domain of domains) {
    for (const [type, fields] of Object.entries(domain)) merged[type] = { ...merged[type], ...fields };
  }
  for (const type of ['Query', 'Mutation']) {
    for (const [field, resolver] of Object.entries(merged[type] ?? {})) {
      if (typeof resolver === 'function') merged[type]![field] = traced(`${type}.${field}`, resolver as Resolver);
    }
  }
  // Codegen's Resolvers (typed per field) and Apollo's map (one loose type for all fields) describe the
  // same object but are not assignable to each other; this is the cast Apollo's subgraph template makes.
  const resolvers = {
    DateTime: DateTimeResolver,
    JSONObject: JSONObjectResolver,
    Upload: UploadScalar,
    ...merged,
  } as unknown as SubgraphResolvers;
  return buildSubgraphSchema({ typeDefs: parse(loadTypeDefs()), resolvers });
}
