import type { CodegenConfig } from '@graphql-codegen/cli';

// Generates typed resolver signatures from the SDL (schema first). The output is not edited by
// hand and not committed: `npm test` and `npm run codegen` regenerate it.
const config: CodegenConfig = {
  schema: 'schema/*.graphql',
  generates: {
    'src/api/graphql/generated/resolvers-types.ts': {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        federation: true,
        useIndexSignature: true,
        useTypeImports: true,
        contextType: '../context.js#GraphQLContext',
        mappers: {
          Face: '../models.js#FaceModel',
          ProviderCapabilities: '../../../domain/types.js#ProviderCapabilities as ProviderCapabilitiesModel',
          FaceAttributes: '../../../domain/types.js#FaceAttributes as FaceAttributesModel',
          LivenessSession: '../../../app/liveness/model.js#SessionView',
          LivenessAttempt: '../../../app/liveness/model.js#AttemptRecord',
          LivenessAttemptResult: '../../../app/liveness/model.js#AttemptRecord',
          LivenessAuditRecord: '../../../app/liveness/model.js#AttemptRecord',
          FaceCollection: '../../../domain/collections.js#CollectionInfo as CollectionModel',
          FaceList: '../../../domain/collections.js#CollectionInfo as CollectionModel',
          PersonGroup: '../../../domain/collections.js#CollectionInfo as CollectionModel',
          Person: '../resolvers/collections.js#PersonModel',
          PersistedFace: '../../../domain/collections.js#PersistedFaceInfo as PersistedFaceModel',
          TrainingStatus: '../../../domain/collections.js#TrainingStatus as TrainingStatusModel',
          IdentifyCandidate: '../resolvers/collections.js#CandidateModel',
        },
        scalars: {
          DateTime: 'Date',
          JSONObject: 'Record<string, unknown>',
          // Input only: what the Upload scalar's parseValue hands resolvers (api/graphql/upload.ts).
          Upload: { input: "import('../../../app/images.js').UploadedImage", output: 'never' },
        },
        enumsAsTypes: true,
      },
    },
  },
};

export default config;
