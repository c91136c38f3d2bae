/**
 * docs/errors.md lists exactly the registry's codes (src/domain/errors.ts), once each, and its
 * REST column states the Azure status and code the REST edge really answers (fastify's way of
 * keeping an error list honest).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromFaceError } from '../../src/api/rest/errors.js';
import { COLLECTION_KINDS } from '../../src/domain/collections.js';
import { ERRORS, FaceError, type ErrorCode } from '../../src/domain/errors.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

/** Rows of the table whose header starts with `| Code |`: first cell's code -> the row's cells. */
function mainTable(markdown: string): Map<string, string[]> {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => /^\|\s*Code\s*\|/.test(l));
  const rows = new Map<string, string[]>();
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    const code = /^`([A-Z0-9_]+)`$/.exec(cells[0] ?? '')?.[1];
    expect(code, `a row without a code: ${line.slice(0, 80)}`).toBeDefined();
    expect(rows.has(code!), `${code} is listed twice`).toBe(false);
    rows.set(code!, cells);
  }
  return rows;
}

describe('docs/errors.md', () => {
  const rows = mainTable(doc);

  it('lists exactly the codes of the registry', () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(ERRORS).sort());
  });

  it.each(Object.keys(ERRORS) as ErrorCode[])('%s: the REST column is the status and code the REST edge answers', (code) => {
    const azure = fromFaceError(new FaceError(code, 'message'));
    const rest = rows.get(code)?.[3] ?? '';
    expect(
      rest.startsWith(`${azure.status} / ${azure.code}`),
      `${code}: documented "${rest}", answered ${azure.status} / ${azure.code}`,
    ).toBe(true);
  });

  it.each(Object.keys(ERRORS) as ErrorCode[])('%s: the REST column names every per-kind Azure code the edge answers', (code) => {
    const rest = rows.get(code)?.[3] ?? '';
    for (const collectionKind of COLLECTION_KINDS) {
      const azure = fromFaceError(new FaceError(code, 'message', { collectionKind }));
      expect(rest.includes(azure.code), `${code} (${collectionKind}): answered ${azure.code}, not in "${rest}"`).toBe(true);
    }
  });
});
