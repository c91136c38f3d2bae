/**
 * What the GraphQL edge needs from collections, whoever holds them: this process (the local
 * use cases over the CollectionStore, `localCollectionsApi`) or the upstream face service of
 * the Azure provider (upstream.ts, over the UpstreamCollectionsClient port). Same rules and
 * errors either way where facegraph can check them before the call; the rest is the holder's.
 */
import type {
  CollectionInfo,
  CollectionKind,
  CollectionRef,
  FaceListKind,
  PersistedFaceInfo,
  PersonInfo,
  TrainingStatus,
} from '../../domain/collections.js';
import type { FindSimilarMode, Verification } from '../../domain/similarity.js';
import type { DetectionModel } from '../../domain/types.js';
import type { InlineDetector } from '../faces/recognition.js';
import type { CollectionPatchInput, NewCollectionInput } from './collections.js';
import type { AddFaceInput } from './faces.js';
import type { IdentifyOptions, IdentifyResult, SimilarPersistedFace } from './identification.js';
import type { NewPersonInput, PersonGroupRef } from './persons.js';
import type { CollectionServices } from './service.js';

/** A face to enrol: detected here (local) or sent as bytes to the upstream's add-face route. */
export interface EnrolFaceInput extends AddFaceInput {
  /** The image's bytes (read once, when needed). */
  image: () => Promise<Buffer>;
  /** The detection model the upstream detects the face with (add-face's `detectionModel`). */
  detectionModel: DetectionModel;
}

export interface CollectionsApi {
  collections: {
    create(kind: CollectionKind, id: unknown, input: NewCollectionInput): Promise<CollectionInfo>;
    /** COLLECTION_NOT_FOUND when there is none. */
    get(ref: CollectionRef): Promise<CollectionInfo>;
    update(ref: CollectionRef, patch: CollectionPatchInput): Promise<CollectionInfo>;
    delete(ref: CollectionRef): Promise<void>;
    list(kind: CollectionKind, start?: unknown, top?: unknown): Promise<CollectionInfo[]>;
  };
  persons: {
    create(ref: PersonGroupRef, input: NewPersonInput): Promise<PersonInfo>;
    get(ref: PersonGroupRef, personId: unknown): Promise<PersonInfo>;
    update(ref: PersonGroupRef, personId: unknown, patch: CollectionPatchInput): Promise<PersonInfo>;
    delete(ref: PersonGroupRef, personId: unknown): Promise<void>;
    list(ref: PersonGroupRef, start?: unknown, top?: unknown): Promise<PersonInfo[]>;
  };
  faces: {
    add(ref: CollectionRef, personId: unknown, input: EnrolFaceInput): Promise<PersistedFaceInfo>;
    get(ref: CollectionRef, personId: unknown, persistedFaceId: unknown): Promise<PersistedFaceInfo>;
    update(ref: CollectionRef, personId: unknown, persistedFaceId: unknown, userData: unknown): Promise<PersistedFaceInfo>;
    delete(ref: CollectionRef, personId: unknown, persistedFaceId: unknown): Promise<void>;
    list(ref: CollectionRef, personId: unknown, start?: unknown, top?: unknown): Promise<PersistedFaceInfo[]>;
  };
  training: {
    /** Starts (or joins) the collection's training and returns its status without waiting. Not for a FaceList. */
    train(ref: CollectionRef): Promise<TrainingStatus>;
    /** COLLECTION_NOT_TRAINED when never trained. */
    status(ref: CollectionRef): Promise<TrainingStatus>;
  };
  identification: {
    identify<Image = never>(
      ref: PersonGroupRef,
      faceIds: unknown,
      options?: IdentifyOptions,
      detect?: InlineDetector<Image>,
    ): Promise<IdentifyResult[]>;
    verifyToPerson<Image = never>(
      ref: PersonGroupRef,
      faceId: unknown,
      personId: unknown,
      detect?: InlineDetector<Image>,
    ): Promise<Verification>;
    findSimilar<Image = never>(
      ref: CollectionRef & { kind: FaceListKind },
      faceId: unknown,
      options?: { mode?: FindSimilarMode | null; maxNumOfCandidatesReturned?: number | null },
      detect?: InlineDetector<Image>,
    ): Promise<SimilarPersistedFace[]>;
  };
}

/** The local use cases as the edge's CollectionsApi (training looks the collection up first). */
export function localCollectionsApi(services: CollectionServices): CollectionsApi {
  const { collections, training } = services;
  return {
    collections,
    persons: services.persons,
    faces: services.faces,
    identification: services.identification,
    training: {
      train: async (ref) => training.train(await collections.get(ref)),
      status: async (ref) => training.status(await collections.get(ref)),
    },
  };
}
