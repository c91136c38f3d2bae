/**
 * Pick a photo, detect its faces with facegraph's GraphQL API and draw their rectangles.
 * The detect document is typed by @graphql-codegen/client-preset (see ../codegen.ts): its
 * result and variables types come from facegraph's schema, so `face.faceRectangle.width` below
 * is checked by the compiler.
 */
import { graphql } from './gql/index.js';
import type { TypedDocumentString } from './gql/graphql.js';

/** Same origin: serve.ts serves this page and forwards /graphql to facegraph. */
const ENDPOINT = '/graphql';

const DetectFacesDocument = graphql(`
  query DetectFaces($image: ImageInput!) {
    detectFaces(image: $image) {
      faceId
      faceRectangle {
        left
        top
        width
        height
      }
    }
  }
`);

/** POSTs a typed document; the result has the document's type. */
async function execute<Result, Variables>(document: TypedDocumentString<Result, Variables>, variables: Variables): Promise<Result> {
  // application/json passes facegraph's CSRF prevention.
  const res = await fetch(ENDPOINT, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: document.toString(), variables }),
  });
  const body = (await res.json()) as { data?: Result | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  if (body.errors?.length) throw new Error(body.errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; '));
  if (!body.data) throw new Error(`HTTP ${res.status}: no data`);
  return body.data;
}

/** The file as a data: URL, which ImageInput.base64 accepts as it is. */
function readAsDataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as string);
    reader.onerror = () => reject(reader.error ?? new Error('could not read the file'));
    reader.readAsDataURL(file);
  });
}

function element<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el as T;
}

const input = element<HTMLInputElement>('photo');
const canvas = element<HTMLCanvasElement>('canvas');
const status = element<HTMLParagraphElement>('status');
const list = element<HTMLOListElement>('faces');

async function show(file: File): Promise<void> {
  status.dataset.state = 'busy';
  status.textContent = `Detecting faces in ${file.name}…`;
  list.replaceChildren();
  const [image, base64] = await Promise.all([createImageBitmap(file), readAsDataUrl(file)]);
  const { detectFaces } = await execute(DetectFacesDocument, { image: { base64 } });

  canvas.width = image.width;
  canvas.height = image.height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2d canvas');
  ctx.drawImage(image, 0, 0);
  ctx.strokeStyle = '#00ff00';
  ctx.lineWidth = Math.max(2, Math.round(image.width / 200));
  for (const { faceRectangle: r } of detectFaces) {
    ctx.strokeRect(r.left, r.top, r.width, r.height);
    const item = document.createElement('li');
    item.textContent = `${r.width}×${r.height} at (${r.left}, ${r.top})`;
    list.append(item);
  }
  status.textContent = `${detectFaces.length} face${detectFaces.length === 1 ? '' : 's'} in ${file.name}`;
  canvas.dataset.file = file.name;
  status.dataset.state = 'done';
}

input.addEventListener('change', () => {
  const file = input.files?.[0];
  if (!file) return;
  show(file).catch((err: unknown) => {
    status.textContent = `Failed: ${err instanceof Error ? err.message : String(err)}`;
    status.dataset.state = 'failed';
  });
});
