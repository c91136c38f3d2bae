/**
 * Loads the engine's neural models from disk (never from a URL): face-api's landmark and
 * recognition nets from its npm package into the worker's TensorFlow.js instance, and the
 * vendored YuNet detector (models/, beside src/ and dist/) into an onnxruntime-node session.
 * Runs inside a worker thread.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/**
 * The vendored detector (see models/README.md). This file sits at src/adapters/engine/ from source
 * and at dist/adapters/engine/ when built, so three levels up is the repository root either way.
 */
export const YUNET_MODEL_PATH = fileURLToPath(new URL('../../../models/yunet_s_dynamic.onnx', import.meta.url));

/** The subset of @vladmandic/face-api's node-wasm build this engine uses. */
export interface FaceApiTensor {
  dispose(): void;
  shape: number[];
}
export interface FaceApiTf {
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
  tensor3d(values: Uint8Array | Int32Array | Float32Array, shape: [number, number, number], dtype: 'int32' | 'float32'): FaceApiTensor;
  memory(): { numTensors: number; numBytes: number };
}
interface FaceLandmarks68Like {
  positions: Array<{ x: number; y: number }>;
}
interface FaceApiModule {
  tf: FaceApiTf;
  nets: {
    faceLandmark68Net: {
      loadFromDisk(dir: string): Promise<void>;
      detectLandmarks(input: FaceApiTensor | FaceApiTensor[]): Promise<FaceLandmarks68Like | FaceLandmarks68Like[]>;
    };
    faceRecognitionNet: {
      loadFromDisk(dir: string): Promise<void>;
      computeFaceDescriptor(input: FaceApiTensor | FaceApiTensor[]): Promise<Float32Array | Float32Array[]>;
    };
  };
}

export interface LoadedModels {
  tf: FaceApiTf;
  faceapi: FaceApiModule;
  /** YuNet, one onnxruntime session per worker. */
  yunet: OrtSession;
  ort: OrtModule;
}

/**
 * The part of onnxruntime-node's API the engine uses, declared here so the engine depends on this
 * narrow slice rather than on the whole of onnxruntime-common's types.
 */
export interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}
export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
export interface OrtSessionOptions {
  executionProviders: string[];
  intraOpNumThreads: number;
  interOpNumThreads: number;
  graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all';
  logSeverityLevel: 0 | 1 | 2 | 3 | 4;
}
export interface OrtModule {
  InferenceSession: { create(model: string | Uint8Array, options: OrtSessionOptions): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  env: { versions: { common: string } };
}

function packageDir(name: string): string {
  return path.dirname(require.resolve(`${name}/package.json`));
}

/**
 * One single-threaded CPU session: the pool already runs one worker per core, and onnxruntime's
 * own thread pools would only compete with it.
 */
export function createYunetSession(ort: OrtModule): Promise<OrtSession> {
  return ort.InferenceSession.create(YUNET_MODEL_PATH, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  });
}

export function loadOrt(): OrtModule {
  // A CommonJS package: require it, as face-api below.
  return require('onnxruntime-node') as OrtModule;
}

export async function loadModels(): Promise<LoadedModels> {
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApiModule;
  const tf = faceapi.tf;
  await tf.setBackend('wasm');
  await tf.ready();
  const faceApiModels = path.join(packageDir('@vladmandic/face-api'), 'model');
  await faceapi.nets.faceLandmark68Net.loadFromDisk(faceApiModels);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(faceApiModels);
  const ort = loadOrt();
  const yunet = await createYunetSession(ort);
  return { tf, faceapi, yunet, ort };
}
