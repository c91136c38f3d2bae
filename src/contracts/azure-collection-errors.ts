/**
 * Azure AI Face v1.2's collection error codes (reference §3 and §5) against facegraph's: one
 * table, read both ways. The REST edge (src/api/rest/errors.ts) answers facegraph's FaceErrors
 * with these codes; the Azure provider (src/adapters/azure/errors.ts) reads them back into
 * FaceErrors, with the collection kind the code names.
 *
 * A code of the per-kind rows is `{Kind}{suffix}` (PersonGroupNotFound, LargeFaceListNotTrained)
 * for each kind listed; the others are one code for every kind.
 */
import { COLLECTION_KINDS, type CollectionKind } from '../domain/collections.js';
import type { ErrorCode } from '../domain/errors.js';

export interface CollectionErrorRow {
  /** Azure's HTTP status on the collection's own routes (identify and friends differ; see api/rest/errors.ts). */
  status: number;
  /** The per-kind code's suffix, or the one code. */
  azure: string;
  /** Kinds with a `{Kind}{azure}` code; null: `azure` is the code itself. */
  kinds: readonly CollectionKind[] | null;
}

/** A FaceList is never trained (it has no train route): only the three trained kinds have these codes. */
const TRAINED_KINDS: readonly CollectionKind[] = ['largeFaceList', 'personGroup', 'largePersonGroup'];

export const AZURE_COLLECTION_ERRORS = {
  COLLECTION_NOT_FOUND: { status: 404, azure: 'NotFound', kinds: COLLECTION_KINDS },
  COLLECTION_EXISTS: { status: 409, azure: 'Exists', kinds: COLLECTION_KINDS },
  COLLECTION_NOT_TRAINED: { status: 400, azure: 'NotTrained', kinds: TRAINED_KINDS },
  TRAINING_NOT_FINISHED: { status: 409, azure: 'TrainingNotFinished', kinds: TRAINED_KINDS },
  PERSON_NOT_FOUND: { status: 404, azure: 'PersonNotFound', kinds: null },
  PERSISTED_FACE_NOT_FOUND: { status: 404, azure: 'PersistedFaceNotFound', kinds: null },
  QUOTA_EXCEEDED: { status: 403, azure: 'QuotaExceeded', kinds: null },
  // Azure's code for an empty FaceList in findsimilars; only a FaceList raises it.
  COLLECTION_EMPTY: { status: 400, azure: 'FaceListNotReady', kinds: null },
  // Azure documents no code for an unknown operationId; this one follows its {Thing}NotFound pattern.
  OPERATION_NOT_FOUND: { status: 404, azure: 'OperationNotFound', kinds: null },
} as const satisfies Partial<Record<ErrorCode, CollectionErrorRow>>;

export type CollectionErrorCode = keyof typeof AZURE_COLLECTION_ERRORS;

/** `personGroup` -> `PersonGroup`. */
const pascal = (kind: CollectionKind): string => `${kind[0]!.toUpperCase()}${kind.slice(1)}`;

/** Azure's code of each kind for a per-kind row (`{}` for a single-code row). */
export function azureCodesByKind(code: CollectionErrorCode): Partial<Record<CollectionKind, string>> {
  const row: CollectionErrorRow = AZURE_COLLECTION_ERRORS[code];
  const out: Partial<Record<CollectionKind, string>> = {};
  for (const kind of row.kinds ?? []) out[kind] = `${pascal(kind)}${row.azure}`;
  return out;
}

/** Every Azure code of the table -> facegraph's code and the kind it names (null for single codes). */
type FromAzure = { code: CollectionErrorCode; kind: CollectionKind | null };
const FROM_AZURE: ReadonlyMap<string, FromAzure> = new Map(
  (Object.keys(AZURE_COLLECTION_ERRORS) as CollectionErrorCode[]).flatMap((code): Array<[string, FromAzure]> => {
    const row: CollectionErrorRow = AZURE_COLLECTION_ERRORS[code];
    if (row.kinds === null) return [[row.azure, { code, kind: null }]];
    return row.kinds.map((kind): [string, FromAzure] => [`${pascal(kind)}${row.azure}`, { code, kind }]);
  }),
);

/** facegraph's code (and the collection kind) of one of Azure's collection error codes; null for other codes. */
export const fromAzureCollectionCode = (azureCode: string): { code: CollectionErrorCode; kind: CollectionKind | null } | null =>
  FROM_AZURE.get(azureCode) ?? null;
