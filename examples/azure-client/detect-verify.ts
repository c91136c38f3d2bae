/**
 * Microsoft's own Azure AI Face v1.2 REST client (`@azure-rest/ai-vision-face`) against a running
 * facegraph: detects the largest face in each of two photos (raw bytes, application/octet-stream)
 * and verifies whether they are the same person. Nothing here is facegraph-specific: point it at
 * an Azure AI Face resource and it works the same way.
 *
 *   npx tsx examples/azure-client/detect-verify.ts http://127.0.0.1:4000 <key> a.jpg b.jpg
 *
 * The key is one of facegraph's FACEGRAPH_API_KEYS (any string when no keys are configured).
 */
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import createClient, { isUnexpected, type FaceClient } from '@azure-rest/ai-vision-face';
import { AzureKeyCredential } from '@azure/core-auth';

export interface DetectVerifyResult {
  /** The faceId of the largest face in each photo. */
  faceIds: [string, string];
  isIdentical: boolean;
  confidence: number;
}

/** Detects the largest face in the photo and returns its faceId (Azure lists faces largest first). */
async function largestFaceId(client: FaceClient, photo: string): Promise<string> {
  const res = await client.path('/detect').post({
    contentType: 'application/octet-stream',
    queryParameters: { detectionModel: 'detection_03', recognitionModel: 'recognition_04', returnFaceId: true },
    body: await readFile(photo),
  });
  if (isUnexpected(res)) throw new Error(`detect ${photo}: ${res.status} ${res.body.error.code}: ${res.body.error.message}`);
  const faceId = res.body[0]?.faceId;
  if (!faceId) throw new Error(`detect ${photo}: no face found`);
  return faceId;
}

export async function main(endpoint: string, key: string, photos: [string, string]): Promise<DetectVerifyResult> {
  // facegraph on loopback speaks plain http: allowInsecureConnection. In production, TLS in front.
  const client = createClient(endpoint, new AzureKeyCredential(key), { allowInsecureConnection: endpoint.startsWith('http://') });
  const faceIds: [string, string] = [await largestFaceId(client, photos[0]), await largestFaceId(client, photos[1])];
  for (const [i, id] of faceIds.entries()) console.log(`${photos[i]}: faceId ${id}`);

  const res = await client.path('/verify').post({ body: { faceId1: faceIds[0], faceId2: faceIds[1] } });
  if (isUnexpected(res)) throw new Error(`verify: ${res.status} ${res.body.error.code}: ${res.body.error.message}`);
  const { isIdentical, confidence } = res.body;
  console.log(`verify: isIdentical ${isIdentical}, confidence ${confidence}`);
  return { faceIds, isIdentical, confidence };
}

// Run from the command line (not when a test imports main).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [endpoint, key, photo1, photo2] = process.argv.slice(2);
  if (!endpoint || !key || !photo1 || !photo2) {
    console.error('usage: tsx examples/azure-client/detect-verify.ts <endpoint> <key> <photo1> <photo2>');
    process.exit(2);
  }
  await main(endpoint, key, [photo1, photo2]);
}
