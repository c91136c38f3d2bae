/** Worker-thread entry: owns one set of onnxruntime sessions (YuNet, landmarks, recognition) and the models behind them. */
import { parentPort } from 'node:worker_threads';
import { measureLightSample } from '../../domain/liveness/light-sample.js';
import { createFaceNets, type FaceNets } from './facenets.js';
import { loadModels, type LoadedModels } from './models.js';
import { detect } from './pipeline.js';
import type { StageTimings, WorkerRequest, WorkerResponse } from './protocol.js';

if (!parentPort) throw new Error('engine worker must run in a worker thread');
const port = parentPort;
let models: LoadedModels | null = null;
let nets: FaceNets | null = null;

function send(msg: WorkerResponse, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

async function handle(msg: WorkerRequest): Promise<void> {
  if (msg.type === 'init') {
    try {
      const loaded = await loadModels();
      nets = await createFaceNets(loaded);
      models = loaded;
      send({
        type: 'ready',
        models: {
          detector: 'yunet-s (libfacedetection, Apache-2.0) multi-scale, onnxruntime-node',
          landmarks: 'face-api faceLandmark68Net (68 iBUG points), onnxruntime-node',
          recognition: 'face-api faceRecognitionNet (dlib ResNet-34, 128-d), onnxruntime-node',
          backend: `onnxruntime-node ${loaded.ort.env.versions.common} cpu (face-api weights loaded with tfjs-${loaded.tf.getBackend()})`,
        },
      });
    } catch (err) {
      send({ type: 'init-failed', error: err instanceof Error ? err.message : String(err) });
    }
    return;
  }
  if (msg.type === 'close') {
    // Release the native sessions before the pool terminates this thread: onnxruntime-node can
    // abort the whole process when a thread that still owns sessions is torn down at exit.
    const sessions = [models?.yunet, nets?.landmarks, nets?.recognition].filter((s) => s !== undefined);
    models = null;
    nets = null;
    await Promise.allSettled(sessions.map((s) => s.release()));
    send({ type: 'closed' });
    return;
  }
  if (msg.type === 'stall') {
    // Test seam (EnginePool.testSeam.stall): block this thread's event loop for good, so it answers
    // nothing, as a worker wedged in a native call would. Only terminate() ends it.
    for (;;) {
      /* spin */
    }
  }
  if (!models || !nets) {
    send({ type: 'error', id: msg.id, error: 'engine worker not initialised' });
    return;
  }
  try {
    const timings: StageTimings = {};
    const faces = await detect(models, nets, msg, timings);
    // The light challenge's colours, on the full-resolution pixels this worker already holds
    // (cheap: ~2 x 10^4 pixels read). Faces are sorted largest first.
    const largest = faces[0]?.rect;
    const light = msg.options.light
      ? measureLightSample(
          { width: msg.width, height: msg.height, channels: 3, data: msg.rgb },
          largest ? { left: largest.x, top: largest.y, width: largest.width, height: largest.height } : null,
        )
      : null;
    const transfer: ArrayBuffer[] = [];
    for (const f of faces) {
      if (f.embedding) transfer.push(f.embedding.buffer as ArrayBuffer);
      if (f.landmarks68) transfer.push(f.landmarks68.buffer as ArrayBuffer);
    }
    send({ type: 'result', id: msg.id, faces, light, timings }, transfer);
  } catch (err) {
    send({ type: 'error', id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
}

// Every failure is caught inside handle() and answered; nothing is left to reject.
port.on('message', (msg: WorkerRequest) => void handle(msg));
