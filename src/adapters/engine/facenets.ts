/**
 * face-api's faceLandmark68Net and faceRecognitionNet, run on onnxruntime-node with face-api's own
 * weights. The graphs are rebuilt here layer for layer from face-api 1.7's source
 * (faceFeatureExtractor/denseBlock.ts, faceRecognitionNet/{convLayer,residualLayer}.ts) and fed
 * the exact input face-api builds (NetInput.toBatchTensor: zero-pad the crop to a square, centred,
 * then resizeBilinear without corner alignment or half-pixel centres; then (v - mean RGB) / 255).
 * Outputs match face-api's to float rounding (bench: descriptors within ~1e-5 euclidean).
 *
 * Why: on this 2-core machine onnxruntime's CPU kernels run these convolutions several times
 * faster than the tfjs WASM backend (128-bit SIMD, one thread), and building the inputs in
 * JavaScript avoids face-api's per-call tensor plumbing.
 */
import type { Rect } from './geometry.js';
import type { LoadedModels, OrtSession, OrtSessionOptions } from './models.js';
import { GraphBuilder } from './onnx-writer.js';

/** The parts of a tfjs tensor read here. */
export interface WeightTensor {
  shape: number[];
  dataSync(): Float32Array | Int32Array | Uint8Array;
}
interface ConvParams {
  filters: WeightTensor;
  bias: WeightTensor;
}
interface SeparableConvParams {
  depthwise_filter: WeightTensor;
  pointwise_filter: WeightTensor;
  bias: WeightTensor;
}
interface DenseBlock4Params {
  conv0: ConvParams | SeparableConvParams;
  conv1: SeparableConvParams;
  conv2: SeparableConvParams;
  conv3: SeparableConvParams;
}
export interface LandmarkNetParams {
  extractor: Record<'dense0' | 'dense1' | 'dense2' | 'dense3', DenseBlock4Params>;
  fc: { weights: WeightTensor; bias: WeightTensor };
}
interface ConvLayerParams {
  conv: ConvParams;
  scale: { weights: WeightTensor; biases: WeightTensor };
}
interface ResidualParams {
  conv1: ConvLayerParams;
  conv2: ConvLayerParams;
}
export type RecognitionNetParams = Record<
  | 'conv32_1'
  | 'conv32_2'
  | 'conv32_3'
  | 'conv64_down'
  | 'conv64_1'
  | 'conv64_2'
  | 'conv64_3'
  | 'conv128_down'
  | 'conv128_1'
  | 'conv128_2'
  | 'conv256_down'
  | 'conv256_1'
  | 'conv256_2'
  | 'conv256_down_out',
  ResidualParams
> & { conv32_down: ConvLayerParams; fc: WeightTensor };

export const LANDMARK_INPUT = 112;
export const RECOGNITION_INPUT = 150;
/** face-api's normalisation (ops/normalize.ts), for both nets. */
const MEAN_RGB = [122.782, 117.001, 104.298] as const;

const f32 = (t: WeightTensor): Float32Array => Float32Array.from(t.dataSync());

/** tfjs HWIO filters -> ONNX OIHW, each output channel optionally scaled. */
function toOihw(t: WeightTensor, scale?: Float32Array): Float32Array {
  const [kh, kw, ci, co] = t.shape as [number, number, number, number];
  const src = f32(t);
  const out = new Float32Array(src.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++)
          out[((o * ci + i) * kh + y) * kw + x] = src[((y * kw + x) * ci + i) * co + o]! * (scale ? scale[o]! : 1);
  return out;
}

/** tfjs depthwise [kh, kw, c, 1] -> ONNX grouped-conv weights [c, 1, kh, kw]. */
function depthwiseToOihw(t: WeightTensor): Float32Array {
  const [kh, kw, c] = t.shape as [number, number, number, number];
  const src = f32(t);
  const out = new Float32Array(src.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++) for (let i = 0; i < c; i++) out[(i * kh + y) * kw + x] = src[(y * kw + x) * c + i]!;
  return out;
}

/** TensorFlow's 'same' padding as ONNX pads [top, left, bottom, right] (the odd pixel goes last). */
function samePads(size: number, k: number, stride: number): number[] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + k - size, 0);
  const before = Math.floor(total / 2);
  return [before, before, total - before, total - before];
}

/** The landmark net: 1 x 3 x 112 x 112 normalised input -> 136 raw outputs (face-api's runNet). */
export function landmarkNetModel(p: LandmarkNetParams): Uint8Array {
  const g = new GraphBuilder();
  let size = LANDMARK_INPUT;
  const separable = (x: string, s: SeparableConvParams, stride: number, at: number): string => {
    const c = s.depthwise_filter.shape[2]!;
    const dw = g.op('Conv', [x, g.constant(depthwiseToOihw(s.depthwise_filter), [c, 1, 3, 3])], {
      group: c,
      kernel_shape: [3, 3],
      strides: [stride, stride],
      pads: samePads(at, 3, stride),
    });
    const co = s.pointwise_filter.shape[3]!;
    return g.op('Conv', [dw, g.constant(toOihw(s.pointwise_filter), [co, c, 1, 1]), g.constant(f32(s.bias), [co])], {
      kernel_shape: [1, 1],
    });
  };
  const block = (x: string, b: DenseBlock4Params, first: boolean): string => {
    let out1: string;
    if (first) {
      const c = b.conv0 as ConvParams;
      const [kh, kw, ci, co] = c.filters.shape as [number, number, number, number];
      out1 = g.op('Conv', [x, g.constant(toOihw(c.filters), [co, ci, kh, kw]), g.constant(f32(c.bias), [co])], {
        kernel_shape: [kh, kw],
        strides: [2, 2],
        pads: samePads(size, kh, 2),
      });
    } else {
      out1 = separable(x, b.conv0 as SeparableConvParams, 2, size);
    }
    out1 = g.op('Relu', [out1]);
    size = Math.ceil(size / 2);
    const out2 = separable(out1, b.conv1, 1, size);
    const in3 = g.op('Relu', [g.op('Add', [out1, out2])]);
    const out3 = separable(in3, b.conv2, 1, size);
    const in4 = g.op('Relu', [g.op('Add', [out1, g.op('Add', [out2, out3])])]);
    const out4 = separable(in4, b.conv3, 1, size);
    return g.op('Relu', [g.op('Add', [out1, g.op('Add', [out2, g.op('Add', [out3, out4])])])]);
  };
  let x = g.input('input', ['batch', 3, LANDMARK_INPUT, LANDMARK_INPUT]);
  x = block(x, p.extractor.dense0, true);
  x = block(x, p.extractor.dense1, false);
  x = block(x, p.extractor.dense2, false);
  x = block(x, p.extractor.dense3, false);
  x = g.op('AveragePool', [x], { kernel_shape: [7, 7], strides: [2, 2] });
  x = g.op('Flatten', [x], { axis: 1 });
  const [ci, co] = p.fc.weights.shape as [number, number];
  x = g.op('MatMul', [x, g.constant(f32(p.fc.weights), [ci, co])]);
  x = g.op('Add', [x, g.constant(f32(p.fc.bias), [co])]);
  g.output(x, ['batch', co]);
  return g.model('face_landmark_68');
}

/** The recognition net: 1 x 3 x 150 x 150 normalised input -> 128-d descriptor. */
export function recognitionNetModel(p: RecognitionNetParams): Uint8Array {
  const g = new GraphBuilder();
  let size = RECOGNITION_INPUT;
  let channels = 3;
  /** conv + bias, then face-api's scale layer, folded into the conv's weights and bias. */
  const conv = (x: string, l: ConvLayerParams, stride: number, relu: boolean, same: boolean): string => {
    const [kh, kw, ci, co] = l.conv.filters.shape as [number, number, number, number];
    const s = f32(l.scale.weights);
    const sb = f32(l.scale.biases);
    const b = f32(l.conv.bias).map((v, o) => v * s[o]! + sb[o]!);
    const out = g.op('Conv', [x, g.constant(toOihw(l.conv.filters, s), [co, ci, kh, kw]), g.constant(b, [co])], {
      kernel_shape: [kh, kw],
      strides: [stride, stride],
      pads: same ? samePads(size, kh, stride) : [0, 0, 0, 0],
    });
    if (!same) size = Math.floor((size - kh) / stride) + 1;
    channels = co;
    return relu ? g.op('Relu', [out]) : out;
  };
  const residual = (x: string, r: ResidualParams): string => {
    const out = conv(conv(x, r.conv1, 1, true, true), r.conv2, 1, false, true);
    return g.op('Relu', [g.op('Add', [out, x])]);
  };
  const residualDown = (x: string, r: ResidualParams): string => {
    const inSize = size;
    const inChannels = channels;
    let out = conv(conv(x, r.conv1, 2, true, false), r.conv2, 1, false, true);
    let pooled = g.op('AveragePool', [x], { kernel_shape: [2, 2], strides: [2, 2] });
    const pooledSize = Math.floor(inSize / 2);
    if (pooledSize !== size) {
      // face-api appends a zero row and column to the conv branch (residualLayer.ts: isAdjustShape).
      out = g.op('Pad', [out, g.int64s([0, 0, 0, 0, 0, 0, pooledSize - size, pooledSize - size])]);
      size = pooledSize;
    }
    if (inChannels !== channels) {
      // ... and zero channels to the pooled branch (isPad).
      pooled = g.op('Pad', [pooled, g.int64s([0, 0, 0, 0, 0, channels - inChannels, 0, 0])]);
    }
    return g.op('Relu', [g.op('Add', [pooled, out])]);
  };
  let x = g.input('input', ['batch', 3, RECOGNITION_INPUT, RECOGNITION_INPUT]);
  x = conv(x, p.conv32_down, 2, true, false);
  x = g.op('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2] });
  size = Math.floor((size - 3) / 2) + 1;
  x = residual(x, p.conv32_1);
  x = residual(x, p.conv32_2);
  x = residual(x, p.conv32_3);
  x = residualDown(x, p.conv64_down);
  x = residual(x, p.conv64_1);
  x = residual(x, p.conv64_2);
  x = residual(x, p.conv64_3);
  x = residualDown(x, p.conv128_down);
  x = residual(x, p.conv128_1);
  x = residual(x, p.conv128_2);
  x = residualDown(x, p.conv256_down);
  x = residual(x, p.conv256_1);
  x = residual(x, p.conv256_2);
  x = residualDown(x, p.conv256_down_out);
  x = g.op('GlobalAveragePool', [x]);
  x = g.op('Flatten', [x], { axis: 1 });
  const [ci, co] = p.fc.shape as [number, number];
  x = g.op('MatMul', [x, g.constant(f32(p.fc), [ci, co])]);
  g.output(x, ['batch', co]);
  return g.model('face_recognition');
}

/**
 * Writes face-api's network input for one face into `out` at `offset` (planar CHW, size x size):
 * the crop `r` of the RGB image, zero-padded to a square (the padding split as face-api's
 * padToSquare with centring: round(diff / 2) after, the rest before), resized bilinearly as
 * tf.image.resizeBilinear(alignCorners false, halfPixelCenters false), then (v - mean) / 255.
 */
export function writeNetInput(rgb: Uint8Array, imageWidth: number, r: Rect, size: number, out: Float32Array, offset: number): void {
  const { width: w, height: h } = r;
  const side = Math.max(w, h);
  const diff = Math.abs(h - w);
  const before = diff - Math.round(diff * 0.5);
  const padX = h > w ? before : 0;
  const padY = w > h ? before : 0;
  const plane = size * size;
  const ratio = side / size;
  // Byte offsets of the source columns and rows in `rgb`, or -1 where the padded square is zero.
  const colA = new Int32Array(size);
  const colB = new Int32Array(size);
  const fx = new Float32Array(size);
  const col = (sx: number): number => (sx - padX >= 0 && sx - padX < w ? (r.x + sx - padX) * 3 : -1);
  const row = (sy: number): number => (sy - padY >= 0 && sy - padY < h ? (r.y + sy - padY) * imageWidth * 3 : -1);
  for (let ox = 0; ox < size; ox++) {
    const sx = side === size ? ox : Math.fround(ox * ratio);
    const x0 = Math.floor(sx);
    colA[ox] = col(x0);
    colB[ox] = col(Math.min(side - 1, Math.ceil(sx)));
    fx[ox] = sx - x0;
  }
  for (let oy = 0; oy < size; oy++) {
    const sy = side === size ? oy : Math.fround(oy * ratio);
    const y0 = Math.floor(sy);
    const rowA = row(y0);
    const rowB = row(Math.min(side - 1, Math.ceil(sy)));
    const fy = sy - y0;
    for (let ox = 0; ox < size; ox++) {
      const a = colA[ox]!;
      const b = colB[ox]!;
      const t = fx[ox]!;
      const o = offset + oy * size + ox;
      for (let c = 0; c < 3; c++) {
        const tl = rowA >= 0 && a >= 0 ? rgb[rowA + a + c]! : 0;
        const tr = rowA >= 0 && b >= 0 ? rgb[rowA + b + c]! : 0;
        const bl = rowB >= 0 && a >= 0 ? rgb[rowB + a + c]! : 0;
        const br = rowB >= 0 && b >= 0 ? rgb[rowB + b + c]! : 0;
        const top = tl + (tr - tl) * t;
        const bottom = bl + (br - bl) * t;
        out[o + c * plane] = (top + (bottom - top) * fy - MEAN_RGB[c]!) / 255;
      }
    }
  }
}

/**
 * face-api's landmark post-processing (FaceLandmark68NetBase.postProcess + FaceLandmarks68):
 * raw net outputs for the crop `box` -> points in image pixels, as a flat [x0, y0, ...] array.
 */
export function landmarksFromOutput(raw: Float32Array, offset: number, box: Rect): Float32Array {
  const { width: w, height: h } = box;
  const scale = LANDMARK_INPUT / Math.max(w, h);
  const sw = Math.fround(w * scale);
  const sh = Math.fround(h * scale);
  const padX = sw < sh ? Math.abs(sw - sh) / 2 : 0;
  const padY = sh < sw ? Math.abs(sw - sh) / 2 : 0;
  const out = new Float32Array(136);
  for (let k = 0; k < 68; k++) {
    out[k * 2] = ((raw[offset + k * 2]! * LANDMARK_INPUT - padX) / sw) * w + box.x;
    out[k * 2 + 1] = ((raw[offset + k * 2 + 1]! * LANDMARK_INPUT - padY) / sh) * h + box.y;
  }
  return out;
}

/** The two face-api nets as onnxruntime sessions (one thread each, as YuNet's: models.ts). */
export interface FaceNets {
  landmarks: OrtSession;
  recognition: OrtSession;
}

interface LoadedNet {
  params: unknown;
  dispose(): void;
}

/**
 * Builds both sessions from the weights face-api has loaded, then frees face-api's copies
 * (its nets are not run any more).
 */
export async function createFaceNets(models: LoadedModels): Promise<FaceNets> {
  const nets = models.faceapi.nets as unknown as {
    faceLandmark68Net: LoadedNet & { faceFeatureExtractor: { params: unknown } };
    faceRecognitionNet: LoadedNet;
  };
  const landmarkModel = landmarkNetModel({
    extractor: nets.faceLandmark68Net.faceFeatureExtractor.params as LandmarkNetParams['extractor'],
    fc: (nets.faceLandmark68Net.params as { fc: LandmarkNetParams['fc'] }).fc,
  });
  const recognitionModel = recognitionNetModel(nets.faceRecognitionNet.params as RecognitionNetParams);
  const options: OrtSessionOptions = {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  };
  const [landmarks, recognition] = await Promise.all([
    models.ort.InferenceSession.create(landmarkModel, options),
    models.ort.InferenceSession.create(recognitionModel, options),
  ]);
  nets.faceLandmark68Net.dispose();
  nets.faceRecognitionNet.dispose();
  return { landmarks, recognition };
}

/** Runs one net on a batch of faces' crops: one forward pass, outputs concatenated. */
export async function runOnCrops(
  models: LoadedModels,
  session: OrtSession,
  size: number,
  rgb: Uint8Array,
  imageWidth: number,
  crops: readonly Rect[],
): Promise<Float32Array> {
  const per = 3 * size * size;
  const input = new Float32Array(per * crops.length);
  crops.forEach((r, i) => writeNetInput(rgb, imageWidth, r, size, input, i * per));
  const out = await session.run({ [session.inputNames[0]!]: new models.ort.Tensor('float32', input, [crops.length, 3, size, size]) });
  return out[session.outputNames[0]!]!.data as Float32Array;
}
