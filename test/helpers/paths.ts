/** Where the read-only shared test data lives: `../shared` beside the repository. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SHARED_DIR = process.env.FACEGRAPH_SHARED_DIR ?? path.resolve(REPO_ROOT, '../shared');
export const FACES_DIR = path.join(SHARED_DIR, 'faces');

export interface ManifestImage {
  file: string;
  faces: number;
  people: string[];
  note?: string;
}

export function manifest(): ManifestImage[] {
  return (JSON.parse(readFileSync(path.join(FACES_DIR, 'manifest.json'), 'utf8')) as { images: ManifestImage[] }).images;
}

export function face(file: string): Buffer {
  return readFileSync(path.join(FACES_DIR, file));
}

export function faceBase64(file: string): string {
  return face(file).toString('base64');
}
