/**
 * Error mapping: FaceError -> GraphQLError with a stable extensions.code; anything unexpected
 * becomes INTERNAL_SERVER_ERROR with a generic message (the real one is logged, never sent).
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { FaceError, isErrorCode } from '../../domain/errors.js';
import type { Logger } from '../../platform/logger.js';

export function toGraphQLError(err: FaceError): GraphQLError {
  return new GraphQLError(err.message, { extensions: { code: err.code, ...err.details } });
}

/** Throws a FaceError as the GraphQLError clients see; rethrows anything else unchanged. */
export function rethrow(err: unknown): never {
  if (err instanceof FaceError) throw toGraphQLError(err);
  throw err;
}

/** Codes produced by graphql-js / Apollo itself that are safe to pass through as they are. */
const PASS_THROUGH = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
]);

export function makeFormatError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof FaceError) {
      return { ...formatted, message: original.message, extensions: { code: original.code, ...original.details } };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && (PASS_THROUGH.has(code) || isErrorCode(code))) {
      const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    logger.error({ err: original }, 'unexpected error in GraphQL execution');
    return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}
