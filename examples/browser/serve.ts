/**
 * Serves the browser example and forwards its GraphQL requests to facegraph, so the page and
 * its API share one origin (facegraph sends no CORS headers, and needs none for this). An API
 * key, if facegraph has FACEGRAPH_API_KEYS, is added here: it never reaches the browser.
 *
 *   npm run codegen && npx tsc -p examples/browser/tsconfig.build.json
 *   npx tsx examples/browser/serve.ts http://127.0.0.1:4000/graphql    # then open http://127.0.0.1:4010/
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

export interface ServeOptions {
  /** facegraph's GraphQL URL, e.g. http://127.0.0.1:4000/graphql. */
  facegraphUrl: string;
  /** Sent to facegraph as `authorization: Bearer <key>`. */
  facegraphKey?: string;
  /** Where `tsc -p examples/browser/tsconfig.build.json` wrote the compiled app (default: ./dist). */
  distDir?: string;
  port?: number;
  host?: string;
}

export interface ExampleServer {
  url: string;
  stop(): Promise<void>;
}

/** Reads the page or a compiled module; null for anything else (no path leaves its folder). */
async function staticFile(urlPath: string, distDir: string): Promise<{ body: Buffer; type: string } | null> {
  let file: string;
  if (urlPath === '/' || urlPath === '/index.html') file = path.join(HERE, 'index.html');
  else if (urlPath.startsWith('/dist/')) {
    file = path.resolve(distDir, `.${urlPath.slice('/dist'.length)}`);
    if (!file.startsWith(distDir + path.sep)) return null;
  } else return null;
  const type = TYPES[path.extname(file)];
  if (!type) return null;
  try {
    return { body: await readFile(file), type };
  } catch {
    return null;
  }
}

/** Forwards a POST /graphql to facegraph, body and content-type as they are. */
async function forward(req: http.IncomingMessage, res: http.ServerResponse, options: ServeOptions): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers: Record<string, string> = { 'content-type': req.headers['content-type'] ?? 'application/json' };
  if (options.facegraphKey) headers.authorization = `Bearer ${options.facegraphKey}`;
  const upstream = await fetch(options.facegraphUrl, { method: 'POST', headers, body: Buffer.concat(chunks) });
  res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
  res.end(Buffer.from(await upstream.arrayBuffer()));
}

export async function serveBrowserExample(options: ServeOptions): Promise<ExampleServer> {
  const distDir = path.resolve(options.distDir ?? path.join(HERE, 'dist'));
  const server = http.createServer((req, res) => {
    const urlPath = new URL(req.url ?? '/', 'http://localhost').pathname;
    const handle =
      req.method === 'POST' && urlPath === '/graphql'
        ? forward(req, res, options)
        : staticFile(urlPath, distDir).then((found) => {
            if (req.method === 'GET' && found) res.writeHead(200, { 'content-type': found.type }).end(found.body);
            else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
          });
    handle.catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`${err instanceof Error ? err.message : String(err)}\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}/`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

// Run from the command line (not when a test imports it).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const facegraphUrl = process.argv[2] ?? 'http://127.0.0.1:4000/graphql';
  const server = await serveBrowserExample({ facegraphUrl, facegraphKey: process.env.FACEGRAPH_KEY, port: 4010 });
  console.log(`browser example at ${server.url} (facegraph at ${facegraphUrl})`);
}
