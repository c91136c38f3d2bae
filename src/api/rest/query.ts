/** Query parameters of the REST surface, read as Azure reads them (types only: the rules are the use cases'). */
import type { Request } from 'express';
import { invalidArgument } from './errors.js';

export type Query = Request['query'];

/** One value of a query parameter; a repeated parameter is an error (Azure takes one). */
export function single(query: Query, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  throw invalidArgument(`'${name}' is invalid.`, `${name} was given more than once.`);
}

export function bool(query: Query, name: string, fallback: boolean): boolean {
  const raw = single(query, name);
  if (raw === undefined || raw === '') return fallback;
  const lower = raw.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw invalidArgument(`'${name}' is invalid.`, `${name} must be true or false, got ${JSON.stringify(raw.slice(0, 32))}.`);
}

export function model<T extends string>(query: Query, name: string, allowed: readonly T[], fallback: T): T {
  const raw = single(query, name);
  if (raw === undefined || raw === '') return fallback;
  const found = allowed.find((m) => m === raw.toLowerCase());
  if (!found) throw invalidArgument(`'${name}' is invalid.`, `${name} must be one of ${allowed.join(', ')}.`);
  return found;
}

/** An integer parameter as a number (NaN when it is not one: the use case refuses it); undefined when absent. */
export function integer(query: Query, name: string): number | undefined {
  const raw = single(query, name);
  if (raw === undefined) return undefined;
  return /^-?\d{1,10}$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
}

/** A comma-separated list (Azure's form style, explode=false) or, leniently, the parameter repeated. */
export function list(query: Query, name: string): string[] | undefined {
  const raw = query[name];
  if (raw === undefined) return undefined;
  return (Array.isArray(raw) ? raw : [raw])
    .flatMap((v) => (typeof v === 'string' ? v.split(',') : [JSON.stringify(v)]))
    .map((p) => p.trim());
}
