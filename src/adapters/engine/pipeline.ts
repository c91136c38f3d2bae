/**
 * The detection pipeline, run inside a worker thread:
 *   BlazeFace (256x256) -> boxes
 *   face-api faceLandmark68Net on each face's crop -> 68 landmarks
 *   face-api faceRecognitionNet on the dlib-aligned crop -> 128-d embedding
 *   classical quality measures on the same aligned crop.
 * Crops are cut in JS from the RGB buffer, so no full-image tensor is ever built.
 */
import { BLAZEFACE_INPUT, decodeRows, nonMaxSuppression } from './blazeface.js';
import { clipRect, cropRgb, type Rect } from './geometry.js';
import { detectorBoxToLandmarkBox, dlibAlignedBox, unpackPoints } from './landmarks.js';
import type { FaceApiTensor, LoadedModels } from './models.js';
import type { DetectRequest, WorkerFace } from './protocol.js';
import { measureQuality } from './quality.js';

/**
 * Boxes scoring under this get a second opinion from FaceMesh's face-presence output. It rejects
 * the false face BlazeFace finds at 0.55 in people/obama/3.jpg, but it is trained on near-frontal
 * faces and also rejects real profile and three-quarter faces (frames of the shared video), so it
 * is only asked about BlazeFace's least certain band, not about every box.
 */
const CONFIRM_BELOW = 0.6;
const MIN_PRESENCE = 0.5;
const FACEMESH_INPUT = 192;
const NMS_IOU = 0.3;

async function runDetector(models: LoadedModels, input: Uint8Array): Promise<Float32Array> {
  const { tf, blazeface } = models;
  const rows = tf.tidy(() => {
    const floats = new Float32Array(input.length);
    for (let i = 0; i < input.length; i++) floats[i] = input[i]! / 127.5 - 1;
    const outputs = blazeface.execute(tf.tensor4d(floats, [1, BLAZEFACE_INPUT, BLAZEFACE_INPUT, 3], 'float32'));
    // The converted model returns four tensors (scores and boxes for each anchor grid);
    // sorted by size they are: 384x1, 512x1, 384x16, 512x16.
    const [s384, s512, b384, b512] = (outputs as FaceApiTensor[]).slice().sort((a, b) => size(a) - size(b));
    const grid16 = tf.concat([s512!, b512!], 2);
    const grid8 = tf.concat([s384!, b384!], 2);
    return tf.squeeze(tf.concat([grid16, grid8], 1), [0]);
  });
  try {
    return await (rows as unknown as { data(): Promise<Float32Array> }).data();
  } finally {
    rows.dispose();
  }
}

const size = (t: FaceApiTensor): number => t.shape.reduce((p, d) => p * d, 1);

/** FaceMesh's face-presence score for a box: the box's centre, 1.5x its side, squashed to 192x192. */
async function facePresence(models: LoadedModels, rgb: Uint8Array, width: number, height: number, box: Rect): Promise<number> {
  const side = Math.max(box.width, box.height) * 1.5;
  const r = clipRect(
    { x: box.x + box.width / 2 - side / 2, y: box.y + box.height / 2 - side / 2, width: side, height: side },
    width,
    height,
  );
  if (r.width < 2 || r.height < 2) return 0;
  const { tf, facemesh } = models;
  const outputs = tf.tidy(() => {
    const crop = tf.tensor3d(cropRgb(rgb, width, r), [r.height, r.width, 3], 'int32');
    const input = tf.div(tf.image.resizeBilinear(tf.expandDims(crop, 0), [FACEMESH_INPUT, FACEMESH_INPUT]), 255);
    return facemesh.execute(input) as FaceApiTensor[];
  });
  try {
    // The presence output is the one scalar among the model's outputs (the mesh is 1404 values).
    const flag = outputs.find((t) => size(t) === 1);
    return flag ? ((await (flag as unknown as { data(): Promise<Float32Array> }).data())[0] ?? 0) : 0;
  } finally {
    outputs.forEach((t) => t.dispose());
  }
}

function toTensor(models: LoadedModels, rgb: Uint8Array, imageWidth: number, r: Rect): FaceApiTensor {
  return models.tf.tensor3d(cropRgb(rgb, imageWidth, r), [r.height, r.width, 3], 'int32');
}

export async function detect(models: LoadedModels, req: DetectRequest): Promise<WorkerFace[]> {
  const { width, height, rgb, options } = req;
  const rows = await runDetector(models, req.detectorInput);
  const boxes = nonMaxSuppression(decodeRows(rows, options.minScore), NMS_IOU, 4 * options.maxFaces);

  const candidates = boxes
    .map((b) => {
      const raw: Rect = {
        x: b.x0 * req.detectorScale,
        y: b.y0 * req.detectorScale,
        width: (b.x1 - b.x0) * req.detectorScale,
        height: (b.y1 - b.y0) * req.detectorScale,
      };
      return { score: b.score, raw, rect: clipRect(raw, width, height) };
    })
    .filter((f) => f.rect.width >= options.minFaceSize && f.rect.height >= options.minFaceSize)
    .sort((a, b) => b.rect.width * b.rect.height - a.rect.width * a.rect.height);
  const faces = [];
  for (const c of candidates) {
    if (faces.length >= options.maxFaces) break;
    if (c.score < CONFIRM_BELOW && (await facePresence(models, rgb, width, height, c.rect)) < MIN_PRESENCE) continue;
    faces.push(c);
  }

  const result: WorkerFace[] = faces.map((f) => ({ score: f.score, rect: f.rect }));
  const needLandmarks = options.landmarks || options.embedding || options.quality;
  if (!needLandmarks || faces.length === 0) return result;

  // Landmarks: one batched forward pass over every face's crop.
  const landmarkBoxes = faces.map((f) => clipRect(detectorBoxToLandmarkBox(f.raw), width, height));
  const landmarkInputs = landmarkBoxes.map((r) => toTensor(models, rgb, width, r));
  let landmarkSets;
  try {
    const out = await models.faceapi.nets.faceLandmark68Net.detectLandmarks(landmarkInputs);
    landmarkSets = Array.isArray(out) ? out : [out];
  } finally {
    landmarkInputs.forEach((t) => t.dispose());
  }
  const alignedBoxes: Rect[] = [];
  landmarkSets.forEach((set, i) => {
    const box = landmarkBoxes[i]!;
    const flat = new Float32Array(136);
    set.positions.forEach((p, k) => {
      flat[k * 2] = p.x + box.x;
      flat[k * 2 + 1] = p.y + box.y;
    });
    result[i]!.landmarks68 = flat;
    alignedBoxes.push(clipRect(dlibAlignedBox(unpackPoints(flat), width, height), width, height));
  });

  if (options.quality) {
    alignedBoxes.forEach((r, i) => {
      result[i]!.quality = measureQuality(cropRgb(rgb, width, r), r.width, r.height);
    });
  }

  if (options.embedding) {
    const usable = alignedBoxes.map((r, i) => ({ r, i })).filter(({ r }) => r.width > 0 && r.height > 0);
    const inputs = usable.map(({ r }) => toTensor(models, rgb, width, r));
    try {
      const out = await models.faceapi.nets.faceRecognitionNet.computeFaceDescriptor(inputs);
      const descriptors = Array.isArray(out) ? out : [out];
      usable.forEach(({ i }, k) => {
        result[i]!.embedding = Float32Array.from(descriptors[k]!);
      });
    } finally {
      inputs.forEach((t) => t.dispose());
    }
  }
  return result;
}
