/**
 * Fits the hand-off from YuNet's boxes to the box shape face-api's SSD MobileNet v1 detector
 * produces, which is what face-api's faceLandmark68Net was trained on (landmarks.ts:
 * detectorBoxToLandmarkBox). Prints the fitted constants; never asserts.
 *
 * On every photo of ../shared/faces/manifest.json, both detectors run on the same decoded RGB:
 * YuNet exactly as the engine runs it (whole image + tiles, raw unclipped boxes) and face-api's
 * SSD (minConfidence 0.5). Boxes are matched one to one by IoU ≥ 0.4; then, per matched pair
 * (YuNet x, y, w, h; SSD x', y', w', h'), least squares over all pairs for
 *   x' = x + dx·w,  y' = y + dy·h,  w' = sw·w,  h' = sh·h
 * (dx = Σ w(x' − x) / Σ w², sw = Σ w·w' / Σ w², likewise for y and h), with medians and the
 * mean IoU of the mapped box against SSD's for comparison.
 *
 * Run: npx tsx bench/fit-landmark-box.ts  (about 15 s on 2 cores)
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeImage } from '../src/adapters/engine/decode.js';
import { detectorBoxToLandmarkBox } from '../src/adapters/engine/landmarks.js';
import { createYunetSession, loadOrt } from '../src/adapters/engine/models.js';
import { locateFaces, yunetRunner } from '../src/adapters/engine/pipeline.js';
import { wholeImageInput } from '../src/adapters/engine/provider.js';
import { FACES_DIR } from './lib/data.js';

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The part of face-api's node-wasm build this script uses. */
interface FaceApi {
  tf: {
    setBackend(name: string): Promise<boolean>;
    ready(): Promise<void>;
    tensor3d(values: Uint8Array, shape: [number, number, number], dtype: 'int32'): { dispose(): void };
  };
  nets: { ssdMobilenetv1: { loadFromDisk(dir: string): Promise<void> } };
  SsdMobilenetv1Options: new (o: { minConfidence: number }) => unknown;
  detectAllFaces(input: unknown, options: unknown): Promise<Array<{ box: Box }>>;
}

const require = createRequire(import.meta.url);
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
const MIN_IOU = 0.4;

function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = ix * iy;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  await faceapi.tf.setBackend('wasm');
  await faceapi.tf.ready();
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model'));
  const ort = loadOrt();
  const run = yunetRunner(ort, await createYunetSession(ort));
  const manifest = JSON.parse(readFileSync(path.join(FACES_DIR, 'manifest.json'), 'utf8')).images as Array<{ file: string }>;

  const pairs: Array<{ file: string; yunet: Box; ssd: Box }> = [];
  for (const { file } of manifest) {
    const img = await decodeImage(readFileSync(path.join(FACES_DIR, file)), { maxPixels: 100_000_000 });
    const whole = await wholeImageInput(img, 36);
    const yunet = (
      await locateFaces(run, {
        width: img.width,
        height: img.height,
        rgb: img.data,
        detectorInput: whole.input,
        detectorWidth: whole.width,
        detectorHeight: whole.height,
        minScore: 0.7,
        minFaceSize: 36,
      })
    ).map((b) => ({ x: b.x0, y: b.y0, width: b.x1 - b.x0, height: b.y1 - b.y0 }));
    const tensor = faceapi.tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
    const ssd: Box[] = (await faceapi.detectAllFaces(tensor, new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 }))).map((d) => ({
      x: d.box.x,
      y: d.box.y,
      width: d.box.width,
      height: d.box.height,
    }));
    tensor.dispose();
    const used = new Set<number>();
    for (const y of yunet) {
      let best = -1;
      let bestIou = MIN_IOU;
      ssd.forEach((s, i) => {
        const v = iou(y, s);
        if (!used.has(i) && v >= bestIou) [best, bestIou] = [i, v];
      });
      if (best >= 0) {
        used.add(best);
        pairs.push({ file, yunet: y, ssd: ssd[best]! });
      }
    }
    console.log(`${file}: YuNet ${yunet.length}, SSD ${ssd.length}, matched ${pairs.filter((p) => p.file === file).length}`);
  }

  const sum = (f: (p: (typeof pairs)[number]) => number): number => pairs.reduce((s, p) => s + f(p), 0);
  const w2 = sum((p) => p.yunet.width ** 2);
  const h2 = sum((p) => p.yunet.height ** 2);
  const fit = {
    dx: sum((p) => p.yunet.width * (p.ssd.x - p.yunet.x)) / w2,
    dy: sum((p) => p.yunet.height * (p.ssd.y - p.yunet.y)) / h2,
    sw: sum((p) => p.yunet.width * p.ssd.width) / w2,
    sh: sum((p) => p.yunet.height * p.ssd.height) / h2,
  };
  const med = {
    dx: median(pairs.map((p) => (p.ssd.x - p.yunet.x) / p.yunet.width)),
    dy: median(pairs.map((p) => (p.ssd.y - p.yunet.y) / p.yunet.height)),
    sw: median(pairs.map((p) => p.ssd.width / p.yunet.width)),
    sh: median(pairs.map((p) => p.ssd.height / p.yunet.height)),
  };
  const mapped = (p: (typeof pairs)[number], k: typeof fit): Box => ({
    x: p.yunet.x + k.dx * p.yunet.width,
    y: p.yunet.y + k.dy * p.yunet.height,
    width: k.sw * p.yunet.width,
    height: k.sh * p.yunet.height,
  });
  const meanIou = (f: (p: (typeof pairs)[number]) => Box): number => sum((p) => iou(f(p), p.ssd)) / pairs.length;
  const f4 = (v: number): string => v.toFixed(4);
  console.log(`\n${pairs.length} matched faces in ${new Set(pairs.map((p) => p.file)).size} photos`);
  console.log(`least squares: dx ${f4(fit.dx)}  dy ${f4(fit.dy)}  sw ${f4(fit.sw)}  sh ${f4(fit.sh)}`);
  console.log(`medians:       dx ${f4(med.dx)}  dy ${f4(med.dy)}  sw ${f4(med.sw)}  sh ${f4(med.sh)}`);
  console.log(`mean IoU with SSD's box: raw YuNet ${f4(meanIou((p) => p.yunet))}, least squares ${f4(meanIou((p) => mapped(p, fit)))},`);
  console.log(
    `  medians ${f4(meanIou((p) => mapped(p, med)))}, shipped detectorBoxToLandmarkBox ${f4(meanIou((p) => detectorBoxToLandmarkBox(p.yunet)))}`,
  );
}

await main();
