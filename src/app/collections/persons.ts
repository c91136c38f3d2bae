/** Persons of a PersonGroup or LargePersonGroup: create, get, update, delete, list. */
import { randomUUID } from 'node:crypto';
import {
  AZURE_COLLECTION_LIMITS,
  checkName,
  checkPage,
  checkUserData,
  checkUuid,
  KIND_LABEL,
  MAX_USER_DATA,
  type CollectionLimits,
  type CollectionRef,
  type Person,
  type PersonGroupKind,
} from '../../domain/collections.js';
import type { Clock } from '../../ports/clock.js';
import type { CollectionStore } from '../../ports/collection-store.js';
import { checkPatch, type Collections, type CollectionPatchInput } from './collections.js';
import { insertFailure, personNotFound } from './errors.js';
import type { Training } from './training.js';

export type PersonGroupRef = CollectionRef & { kind: PersonGroupKind };

export interface NewPersonInput {
  name: unknown;
  userData?: unknown;
}

export class Persons {
  constructor(
    private readonly store: CollectionStore,
    private readonly collections: Collections,
    private readonly training: Training,
    private readonly clock: Clock,
    private readonly limits: CollectionLimits = AZURE_COLLECTION_LIMITS,
  ) {}

  /** Adds a person (no faces yet); QUOTA_EXCEEDED when the group is full. */
  async create(ref: PersonGroupRef, input: NewPersonInput): Promise<Person> {
    const name = checkName(input.name);
    const userData = checkUserData(input.userData, MAX_USER_DATA);
    await this.collections.get(ref);
    const person = { personId: randomUUID(), name, userData, createdAt: this.clock.now() };
    const max = this.limits.personsPerGroup[ref.kind];
    const result = await this.store.addPerson(ref, person, max);
    if (!result.ok)
      throw insertFailure(result.reason, ref, { quota: [`persons per ${KIND_LABEL[ref.kind].toLowerCase()}`, max], idCollision: true });
    return { ...person, persistedFaceIds: [] };
  }

  /** The person with its persistedFaceIds; COLLECTION_NOT_FOUND, PERSON_NOT_FOUND. */
  async get(ref: PersonGroupRef, personId: unknown): Promise<Person> {
    const id = checkUuid(personId, 'personId');
    await this.collections.get(ref);
    const person = await this.store.getPerson(ref, id);
    if (!person) throw personNotFound(ref, id);
    return person;
  }

  async update(ref: PersonGroupRef, personId: unknown, patch: CollectionPatchInput): Promise<Person> {
    const id = checkUuid(personId, 'personId');
    const checked = checkPatch(patch, MAX_USER_DATA);
    await this.collections.get(ref);
    if (!(await this.store.updatePerson(ref, id, checked))) throw personNotFound(ref, id);
    return this.get(ref, id);
  }

  /** Deletes the person and its faces, also from the trained index. */
  async delete(ref: PersonGroupRef, personId: unknown): Promise<void> {
    const id = checkUuid(personId, 'personId');
    const collection = await this.collections.get(ref);
    if (!(await this.store.deletePerson(ref, id))) throw personNotFound(ref, id);
    await this.training.removeFromIndex(collection, (e) => e.personId === id);
  }

  /** Sorted by personId; `start` exclusive, `top` 1–1000 (default 1000). */
  async list(ref: PersonGroupRef, start?: unknown, top?: unknown): Promise<Person[]> {
    const page = checkPage(start, top);
    await this.collections.get(ref);
    return this.store.listPersons(ref, page);
  }
}
