/** Parses a recorded multipart/form-data request body (busboy), for asserting what was sent. */
import type { IncomingHttpHeaders } from 'node:http';
import busboy from 'busboy';

export interface ParsedMultipart {
  fields: Record<string, string>;
  files: Array<{ name: string; filename: string; data: Buffer }>;
}

export async function parseMultipart(req: { headers: IncomingHttpHeaders; body: Buffer }): Promise<ParsedMultipart> {
  const fields: Record<string, string> = {};
  const files: ParsedMultipart['files'] = [];
  await new Promise<void>((resolve, reject) => {
    const bb = busboy({ headers: req.headers });
    bb.on('field', (name, value) => {
      fields[name] = value;
    });
    bb.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => files.push({ name, filename: info.filename ?? '', data: Buffer.concat(chunks) }));
    });
    bb.on('close', () => resolve());
    bb.on('error', reject);
    bb.end(req.body);
  });
  return { fields, files };
}
