/**
 * Rows of the collection tables as both collection stores read them (SQLite and PostgreSQL share
 * one schema and column names), and their domain objects: one mapping for both adapters.
 */
import type { Collection, CollectionKind, PersistedFace, Person, TrainingStatus } from '../../domain/collections.js';
import type { RecognitionModel } from '../../domain/types.js';
import type { TrainingRecord } from '../../ports/collection-store.js';
import { blobToEmbedding } from './embedding-bytes.js';

export interface CollectionRow {
  uid: string;
  kind: CollectionKind;
  id: string;
  name: string;
  user_data: string | null;
  recognition_model: RecognitionModel;
  created_at: number;
}

export interface PersonRow {
  person_id: string;
  name: string;
  user_data: string | null;
  created_at: number;
  face_ids: string[];
}

export interface FaceRow {
  persisted_face_id: string;
  person_id: string | null;
  user_data: string | null;
  embedding: Buffer;
  recognition_model: RecognitionModel;
  created_at: number;
}

export interface TrainingRow {
  status: TrainingStatus['status'];
  created_at: number;
  last_action_at: number;
  last_success_at: number | null;
  message: string | null;
  snapshot_version: number | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
}

export const toCollection = (r: CollectionRow): Collection => ({
  kind: r.kind,
  id: r.id,
  uid: r.uid,
  name: r.name,
  userData: r.user_data,
  recognitionModel: r.recognition_model,
  createdAt: r.created_at,
});

export const toPerson = (r: PersonRow): Person => ({
  personId: r.person_id,
  name: r.name,
  userData: r.user_data,
  persistedFaceIds: r.face_ids,
  createdAt: r.created_at,
});

export const toFace = (r: FaceRow): PersistedFace => ({
  persistedFaceId: r.persisted_face_id,
  personId: r.person_id,
  userData: r.user_data,
  embedding: blobToEmbedding(r.embedding),
  recognitionModel: r.recognition_model,
  createdAt: r.created_at,
});

export const toTrainingRecord = (r: TrainingRow): TrainingRecord => ({
  status: r.status,
  createdDateTime: r.created_at,
  lastActionDateTime: r.last_action_at,
  lastSuccessfulTrainingDateTime: r.last_success_at,
  message: r.message,
  snapshotVersion: r.snapshot_version,
  // PostgreSQL returns bigint columns as numbers (its type override); Number() keeps SQLite's too.
  lease: r.lease_owner === null || r.lease_expires_at === null ? null : { owner: r.lease_owner, expiresAt: Number(r.lease_expires_at) },
});
