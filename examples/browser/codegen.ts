import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents for the browser example: client-preset reads facegraph's SDL and the
// graphql(`...`) documents in src/, and writes src/gql/, where graphql() returns each
// document typed with its result and variables. Like the server's generated code, src/gql/ is
// not committed: `npm run codegen` (and so `npm test`) regenerates it.
const config: CodegenConfig = {
  schema: 'schema/*.graphql',
  documents: ['examples/browser/src/**/*.ts', '!examples/browser/src/gql/**'],
  ignoreNoDocuments: false,
  generates: {
    'examples/browser/src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        // Documents as strings (TypedDocumentString): fetch sends them as they are, so the page
        // needs no GraphQL library at run time.
        documentMode: 'string',
        useTypeImports: true,
        // `./graphql.js` imports: what both NodeNext type-checking and the browser need.
        emitLegacyCommonJSImports: false,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', JSONObject: 'Record<string, unknown>' },
      },
    },
  },
};

export default config;
