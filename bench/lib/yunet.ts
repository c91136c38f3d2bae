/**
 * YuNet run offline with onnxruntime-node, as a reference for bench/detect-accuracy.ts: what the
 * model gives outside the engine, to compare with what the engine achieves through the API.
 *
 * Model: yunet_s_dynamic.onnx (dynamic input size). Input: BGR float32 NCHW, raw 0–255, H and W
 * padded (zeros, bottom/right) to multiples of 32. Outputs per stride s in 8/16/32: cls_s and
 * obj_s [1,N,1] (sigmoid already applied), bbox_s [1,N,4], kps_s [1,N,10]; cells row-major,
 * idx = r * cols + c with cols = padW / s. Score = sqrt(clamp01(cls) * clamp01(obj));
 * box centre ((c + dx) * s, (r + dy) * s), size (exp(dw) * s, exp(dh) * s). NMS at IoU 0.3.
 *
 * onnxruntime-node is not a dependency of facegraph: it is imported by a computed name so the
 * repository type-checks without it, and only the few members used here are typed.
 */
import sharp from 'sharp';
import { nonMaxSuppression, type Detection } from '../../tools/detection-ap.js';

interface OrtTensor {
  readonly data: ArrayLike<number>;
  readonly dims: readonly number[];
}
interface OrtSession {
  readonly inputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface Ort {
  InferenceSession: { create(path: string, options?: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
}

const STRIDES = [8, 16, 32] as const;
export const YUNET_NMS_IOU = 0.3;
/** OpenCV's FaceDetectorYN default score_threshold: the offline model's "default" operating point. */
export const YUNET_DEFAULT_THRESHOLD = 0.9;

/** onnxruntime-node, or the reason it cannot be loaded. */
export async function loadOrt(): Promise<Ort | string> {
  const name = 'onnxruntime-node';
  try {
    const mod = (await import(name)) as Ort & { default?: Ort };
    return mod.InferenceSession ? mod : (mod.default ?? 'onnxruntime-node has no InferenceSession export');
  } catch (err) {
    return `onnxruntime-node is not installed (${(err as Error).message.split('\n')[0]})`;
  }
}

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

/** Decodes YuNet's outputs into boxes in input (padded) pixels, scores >= minScore, before NMS. */
export function decodeYunet(
  outputs: Record<string, { data: ArrayLike<number> }>,
  padW: number,
  padH: number,
  minScore: number,
): Detection[] {
  const boxes: Detection[] = [];
  for (const s of STRIDES) {
    const cols = padW / s;
    const rows = padH / s;
    const cls = outputs[`cls_${s}`]?.data;
    const obj = outputs[`obj_${s}`]?.data;
    const bbox = outputs[`bbox_${s}`]?.data;
    if (!cls || !obj || !bbox) throw new Error(`yunet: missing outputs for stride ${s}`);
    if (cls.length !== rows * cols || bbox.length !== rows * cols * 4) {
      throw new Error(`yunet: stride ${s} has ${cls.length} cells, expected ${rows}x${cols}`);
    }
    for (let idx = 0; idx < rows * cols; idx++) {
      const score = Math.sqrt(clamp01(cls[idx]!) * clamp01(obj[idx]!));
      if (score < minScore) continue;
      const r = Math.floor(idx / cols);
      const c = idx % cols;
      const cx = (c + bbox[idx * 4]!) * s;
      const cy = (r + bbox[idx * 4 + 1]!) * s;
      const w = Math.exp(bbox[idx * 4 + 2]!) * s;
      const h = Math.exp(bbox[idx * 4 + 3]!) * s;
      boxes.push({ x: cx - w / 2, y: cy - h / 2, width: w, height: h, score });
    }
  }
  return boxes;
}

export interface RgbImage {
  /** Packed RGB, 3 bytes a pixel. */
  rgb: Buffer;
  width: number;
  height: number;
}

function clip(d: Detection, width: number, height: number): Detection {
  const x0 = Math.max(0, d.x);
  const y0 = Math.max(0, d.y);
  const x1 = Math.min(width, d.x + d.width);
  const y1 = Math.min(height, d.y + d.height);
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0), score: d.score };
}

export class YunetOffline {
  private constructor(
    private readonly ort: Ort,
    private readonly session: OrtSession,
  ) {}

  static async create(ort: Ort, modelPath: string, threads: number): Promise<YunetOffline> {
    const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: threads, interOpNumThreads: 1 });
    return new YunetOffline(ort, session);
  }

  /**
   * One pass over a region of the image (the whole image by default), resized so its long side
   * is <= maxSide (never enlarged). Boxes in image pixels, clipped to the region, after NMS.
   */
  async detect(
    img: RgbImage,
    minScore: number,
    maxSide = 640,
    region = { left: 0, top: 0, width: img.width, height: img.height },
  ): Promise<Detection[]> {
    const scale = Math.min(1, maxSide / Math.max(region.width, region.height));
    const w = Math.max(1, Math.round(region.width * scale));
    const h = Math.max(1, Math.round(region.height * scale));
    const whole = region.left === 0 && region.top === 0 && region.width === img.width && region.height === img.height;
    const pixels =
      whole && scale === 1
        ? img.rgb
        : await sharp(img.rgb, { raw: { width: img.width, height: img.height, channels: 3 } })
            .extract(region)
            .resize(w, h, { fit: 'fill' })
            .raw()
            .toBuffer();
    const padW = Math.ceil(w / 32) * 32;
    const padH = Math.ceil(h / 32) * 32;
    const plane = padW * padH;
    const input = new Float32Array(3 * plane);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = (y * w + x) * 3;
        const o = y * padW + x;
        input[o] = pixels[i + 2]!; // B
        input[plane + o] = pixels[i + 1]!; // G
        input[2 * plane + o] = pixels[i]!; // R
      }
    }
    const outputs = await this.session.run({ [this.session.inputNames[0]!]: new this.ort.Tensor('float32', input, [1, 3, padH, padW]) });
    const sx = region.width / w;
    const sy = region.height / h;
    return nonMaxSuppression(decodeYunet(outputs, padW, padH, minScore), YUNET_NMS_IOU).map((d) =>
      clip(
        { x: region.left + d.x * sx, y: region.top + d.y * sy, width: d.width * sx, height: d.height * sy, score: d.score },
        region.left + region.width,
        region.top + region.height,
      ),
    );
  }

  /**
   * The whole image, plus, when its long side is over tileAbove px, 2x2 overlapping tiles of 60 %
   * of each side (20 % overlap), each run like a whole image; all boxes merged by NMS at 0.3.
   */
  async detectTiled(img: RgbImage, minScore: number, tileAbove = 960): Promise<Detection[]> {
    const boxes = await this.detect(img, minScore);
    if (Math.max(img.width, img.height) <= tileAbove) return boxes;
    const tw = Math.ceil(img.width * 0.6);
    const th = Math.ceil(img.height * 0.6);
    for (const left of [0, img.width - tw]) {
      for (const top of [0, img.height - th]) boxes.push(...(await this.detect(img, minScore, 640, { left, top, width: tw, height: th })));
    }
    return nonMaxSuppression(boxes, YUNET_NMS_IOU);
  }

  close(): Promise<void> {
    return this.session.release();
  }
}
