/**
 * The `graphql` module the served schema was built with. graphql 16 ships CommonJS (`main`) and
 * ESM (`module`) copies: Node, and @apollo/subgraph (CommonJS) load the CommonJS one, while vitest
 * resolves a test's `import ... from 'graphql'` to the ESM one. graphql's type predicates and
 * `validate` refuse a schema from the other copy ("Cannot use GraphQLSchema from another module"),
 * so tests that inspect or validate against `buildSchema()` take these functions from here.
 */
import { createRequire } from 'node:module';

export const graphqlRuntime = createRequire(import.meta.url)('graphql') as typeof import('graphql');
