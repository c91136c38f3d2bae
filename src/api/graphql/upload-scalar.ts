/**
 * The `Upload` scalar: a file part of a GraphQL multipart request (multipart.ts reads the parts
 * and puts a FilePart where `map` says). Its description lives in schema/base.graphql.
 */
import { GraphQLError, GraphQLScalarType } from 'graphql';
import type { UploadedImage } from '../../app/images.js';

/** A file part as multipart.ts read it: only this class is an Upload value. */
export class FilePart implements UploadedImage {
  constructor(
    readonly size: number,
    readonly bytes: Buffer | null,
  ) {}
}

const onlyAsFilePart = (): GraphQLError =>
  new GraphQLError(
    'An Upload value can only be a file part of a multipart/form-data request, mapped onto a null variable (GraphQL multipart request spec).',
  );

export const UploadScalar = new GraphQLScalarType<UploadedImage, never>({
  name: 'Upload',
  // A JSON value (a string, an object) is not a file: without this check a client could claim
  // any `size` / `bytes` it likes.
  parseValue(value) {
    if (value instanceof FilePart) return value;
    throw onlyAsFilePart();
  },
  parseLiteral() {
    throw onlyAsFilePart();
  },
  serialize() {
    throw new GraphQLError('Upload is an input-only scalar.');
  },
});
