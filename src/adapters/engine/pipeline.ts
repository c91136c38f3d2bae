/**
 * The detection pipeline, run inside a worker thread:
 *   YuNet (onnxruntime-node), multi-scale: the whole image at 640 px on its long side, plus
 *     overlapping tiles of large images, or of small ones upscaled when minFaceSize is small
 *     (yunet.ts: planTiles) -> boxes, merged by NMS
 *   face-api faceLandmark68Net on each face's crop -> 68 landmarks
 *   face-api faceRecognitionNet on the dlib-aligned crop -> 128-d embedding
 *   classical quality measures on the same aligned crop.
 * Crops are cut in JS from the RGB buffer, so no full-image tensor is ever built.
 *
 * Detector cost (one thread, intraOp 1, p50 of 20 runs, 2-core machine with other load ~0.3–1
 * core): a 640 x 800 portrait (whole pass at 512 x 640, no tiles) 16 ms; a 1920 x 1371 group photo
 * (whole pass at 640 x 457 + 2 x 2 tiles of ~1100 x 780 at 640 x 457) 86 ms, plus ~7 ms of sharp
 * resizing in the main thread. The JavaScript bilinear resize of a tile is ~5–12 ms of that.
 */
import { clipRect, cropRgb, type Rect } from './geometry.js';
import { detectorBoxToLandmarkBox, dlibAlignedBox, unpackPoints } from './landmarks.js';
import { LANDMARK_INPUT, landmarksFromOutput, RECOGNITION_INPUT, runOnCrops, type FaceNets } from './facenets.js';
import type { LoadedModels, OrtModule, OrtSession } from './models.js';
import type { DetectRequest, StageTimings, WorkerFace } from './protocol.js';
import { measureQuality } from './quality.js';
import {
  decodeYunet,
  nonMaxSuppression,
  planTiles,
  toImage,
  touchesInnerEdge,
  yunetInput,
  YUNET_NMS_IOU,
  type YunetBox,
  type YunetOutputs,
  type YunetTensor,
} from './yunet.js';

/** Candidates kept (best score first) before NMS, as OpenCV's FaceDetectorYN top_k. */
const TOP_K = 5000;
/** A tile's box this close (detector pixels) to an inner tile edge is taken as cut there. */
const TILE_EDGE_MARGIN = 2;
/**
 * YuNet's boxes are tight at the sides: on a three-quarter face of the shared photos the outer
 * eyebrow point fell 3 px (3 %) outside. Azure's faceRectangle holds its 27 landmarks, so the
 * reported rectangle is widened by this fraction of the width on each side (the landmark net
 * still gets the raw box, mapped by detectorBoxToLandmarkBox).
 */
const SIDE_MARGIN = 0.04;
/**
 * YuNet's box (WIDER FACE style) runs from high on the forehead to the chin, 1.3–1.5x as tall as
 * wide, its eyes at ~0.38 of its height (the shared portraits). Azure's faceRectangle is about
 * square with the pupils at ~0.29 of its height (its Detect sample): the reported rectangle drops
 * this fraction of the height at the top (forehead), bottom kept, so eyes land at ~0.27 and
 * h/w ~1.1. Chosen from that, not from the masks annotations (which also want the bottom lower).
 */
const TOP_TRIM = 0.15;

export type YunetRun = (input: YunetTensor) => Promise<YunetOutputs>;

export function yunetRunner(ort: OrtModule, session: OrtSession): YunetRun {
  const inputName = session.inputNames[0]!;
  return async ({ data, padW, padH }) => {
    const out = await session.run({ [inputName]: new ort.Tensor('float32', data, [1, 3, padH, padW]) });
    const result: Record<string, Float32Array> = {};
    for (const [name, tensor] of Object.entries(out)) result[name] = tensor.data as Float32Array;
    return result;
  };
}

export interface LocateRequest {
  width: number;
  height: number;
  rgb: Uint8Array;
  /** The whole image already resized for the whole-image pass (provider.ts, sharp). */
  detectorInput: Uint8Array;
  detectorWidth: number;
  detectorHeight: number;
  minScore: number;
  minFaceSize: number;
}

/**
 * Every face YuNet finds in the whole-image pass and in the tiles, in image pixels (not clipped),
 * merged by greedy NMS (IoU 0.3, the higher score wins), best score first. A tile's box is dropped
 * when it touches an inner tile edge, or (upscaled tiles) when it is larger than tile.maxFace.
 * NMS IoU 0.2 / 0.3 / 0.4 / 0.5 gave masks tune-half AP 0.831 / 0.839 / 0.837 / 0.841: kept 0.3.
 */
export async function locateFaces(run: YunetRun, req: LocateRequest): Promise<YunetBox[]> {
  const { width, height, detectorWidth: dw, detectorHeight: dh } = req;
  const whole = yunetInput(req.detectorInput, dw, dh, dw, dh);
  const boxes = decodeYunet(await run(whole), whole.padW, whole.padH, req.minScore).map((b) => toImage(b, 0, 0, width / dw, height / dh));
  for (const tile of planTiles(width, height, req.minFaceSize)) {
    const input = yunetInput(cropRgb(req.rgb, width, tile), tile.width, tile.height, tile.targetW, tile.targetH);
    const sx = tile.width / tile.targetW;
    const sy = tile.height / tile.targetH;
    for (const b of decodeYunet(await run(input), input.padW, input.padH, req.minScore)) {
      const m = toImage(b, tile.x, tile.y, sx, sy);
      if (tile.maxFace !== undefined && Math.max(m.x1 - m.x0, m.y1 - m.y0) > tile.maxFace) continue;
      if (!touchesInnerEdge(m, tile, width, height, TILE_EDGE_MARGIN * sx)) boxes.push(m);
    }
  }
  const best = boxes.sort((a, b) => b.score - a.score).slice(0, TOP_K);
  return nonMaxSuppression(best, YUNET_NMS_IOU);
}

/** `timings`, when given, receives the milliseconds spent in each stage that ran. */
export async function detect(models: LoadedModels, nets: FaceNets, req: DetectRequest, timings: StageTimings = {}): Promise<WorkerFace[]> {
  const { width, height, rgb, options } = req;
  let started = performance.now();
  const lap = (): number => {
    const now = performance.now();
    const ms = now - started;
    started = now;
    return ms;
  };
  const located = await locateFaces(yunetRunner(models.ort, models.yunet), {
    width,
    height,
    rgb,
    detectorInput: req.detectorInput,
    detectorWidth: req.detectorWidth,
    detectorHeight: req.detectorHeight,
    minScore: options.minScore,
    minFaceSize: options.minFaceSize,
  });
  timings.detector = lap();
  const faces = located
    .map((b) => {
      const raw: Rect = { x: b.x0, y: b.y0, width: b.x1 - b.x0, height: b.y1 - b.y0 };
      const reported: Rect = {
        x: raw.x - SIDE_MARGIN * raw.width,
        y: raw.y + TOP_TRIM * raw.height,
        width: raw.width * (1 + 2 * SIDE_MARGIN),
        height: raw.height * (1 - TOP_TRIM),
      };
      return { score: b.score, raw, rect: clipRect(reported, width, height) };
    })
    .filter((f) => Math.min(f.rect.width, f.rect.height) >= options.minFaceSize)
    .sort((a, b) => b.rect.width * b.rect.height - a.rect.width * a.rect.height)
    .slice(0, options.maxFaces);

  const result: WorkerFace[] = faces.map((f) => ({ score: f.score, rect: f.rect }));
  const needLandmarks = options.landmarks || options.embedding || options.quality;
  if (!needLandmarks || faces.length === 0) return result;

  // Landmarks: one batched forward pass over every face's crop (face-api's net on onnxruntime).
  const landmarkBoxes = faces.map((f) => clipRect(detectorBoxToLandmarkBox(f.raw), width, height));
  const landmarkOut = await runOnCrops(models, nets.landmarks, LANDMARK_INPUT, rgb, width, landmarkBoxes);
  const alignedBoxes: Rect[] = [];
  landmarkBoxes.forEach((box, i) => {
    const flat = landmarksFromOutput(landmarkOut, i * 136, box);
    result[i]!.landmarks68 = flat;
    alignedBoxes.push(clipRect(dlibAlignedBox(unpackPoints(flat), width, height), width, height));
  });
  timings.landmarks = lap();

  if (options.quality) {
    alignedBoxes.forEach((r, i) => {
      result[i]!.quality = measureQuality(cropRgb(rgb, width, r), r.width, r.height);
    });
    timings.quality = lap();
  }

  if (options.embedding) {
    const usable = alignedBoxes.map((r, i) => ({ r, i })).filter(({ r }) => r.width > 0 && r.height > 0);
    if (usable.length > 0) {
      const out = await runOnCrops(
        models,
        nets.recognition,
        RECOGNITION_INPUT,
        rgb,
        width,
        usable.map(({ r }) => r),
      );
      usable.forEach(({ i }, k) => {
        result[i]!.embedding = out.slice(k * 128, (k + 1) * 128);
      });
    }
    timings.embedding = lap();
  }
  return result;
}
