/**
 * A fixed pool of engine worker threads (one set of onnxruntime sessions each) behind a bounded
 * queue. When the queue is full, callers get OVERLOADED with a retry hint instead of the
 * process growing without bound. Workers that die are replaced; their job fails cleanly.
 */
import { Worker } from 'node:worker_threads';
import { FaceError } from '../../domain/errors.js';
import { secondsSince, type EngineStage, type Metrics } from '../../platform/metrics.js';
import { loadOrt } from './models.js';
import type { DetectOptions, DetectRequest, ModelInfo, StageTimings, WorkerFace, WorkerResponse } from './protocol.js';

export interface PoolOptions {
  workers: number;
  /** Jobs waiting for a worker (not counting the ones running) before OVERLOADED. */
  maxQueue: number;
  /** Queue depth, busy workers, per-stage times, OVERLOADED refusals. */
  metrics?: Metrics;
}

const WORKER_STAGES: ReadonlyArray<keyof StageTimings & EngineStage> = ['detector', 'landmarks', 'quality', 'embedding'];

export type DetectJob = Omit<DetectRequest, 'type' | 'id'>;

interface Job {
  id: number;
  request: DetectRequest;
  /** performance.now() when queued. */
  queuedAt: number;
  resolve: (faces: WorkerFace[]) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
  ready: boolean;
  /** Set by close(): resolves when the worker has released its native sessions. */
  onClosed?: () => void;
}

/** How long close() waits for a worker to release its sessions before terminating it anyway. */
const RELEASE_TIMEOUT_MS = 5000;

// Built (dist/*.js), the worker is plain JS. From source (tests, tsx), the worker is TypeScript
// and its plain-JS entry registers tsx first: workers do not inherit the parent's loader.
const WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('./worker-entry.mjs', import.meta.url)
  : new URL('./worker.js', import.meta.url);

export class EnginePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closing = false;
  private readyCount = 0;
  private avgJobMs = 100;
  models: ModelInfo | null = null;

  constructor(private readonly options: PoolOptions) {}

  async start(): Promise<void> {
    // onnxruntime-node's addon registers itself only when the OS first loads it. Once every thread
    // that loaded it has exited, Node drops it, and a new worker's load then fails with "Module did
    // not self-register" (seen when a pool starts after an earlier one stopped, or after all workers
    // died). Loading it once in this thread keeps it registered for the process's life.
    loadOrt();
    await Promise.all(Array.from({ length: this.options.workers }, () => this.spawn()));
  }

  get ready(): boolean {
    return !this.closing && this.readyCount === this.options.workers;
  }

  get queued(): number {
    return this.queue.length;
  }

  private spawn(): Promise<void> {
    const worker = new Worker(WORKER_URL, {
      execArgv: [],
      // tfjs prints a banner recommending tfjs-node on stdout; keep our logs JSON-only.
      stdout: true,
    });
    worker.stdout.resume();
    const slot: Slot = { worker, job: null, ready: false };
    this.slots.push(slot);
    return new Promise((resolve, reject) => {
      worker.on('message', (msg: WorkerResponse) => {
        if (msg.type === 'ready') {
          slot.ready = true;
          this.readyCount++;
          this.models = msg.models;
          resolve();
          this.pump();
        } else if (msg.type === 'closed') {
          slot.onClosed?.();
        } else if (msg.type === 'init-failed') {
          reject(new Error(`engine worker failed to load models: ${msg.error}`));
        } else {
          this.finish(slot, msg);
        }
      });
      worker.on('error', (err) => {
        if (!slot.ready) reject(err);
        this.failSlot(slot, err);
      });
      worker.on('exit', (code) => {
        if (!slot.ready) reject(new Error(`engine worker exited with code ${code} while loading`));
        this.failSlot(slot, new Error(`engine worker exited with code ${code}`));
      });
      worker.postMessage({ type: 'init' });
    });
  }

  /** A worker died: fail its job, drop it, and start a replacement unless we are closing. */
  private failSlot(slot: Slot, err: Error): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    if (slot.ready) this.readyCount--;
    if (slot.job) this.options.metrics?.engineJobs.inc({ outcome: 'worker_died' });
    slot.job?.reject(
      new FaceError('ENGINE_UNAVAILABLE', 'The face engine failed while processing this image; please retry.', { cause: err.message }),
    );
    if (!this.closing) void this.spawn().catch(() => undefined);
  }

  private finish(slot: Slot, msg: WorkerResponse): void {
    const job = slot.job;
    if (!job || (msg.type !== 'result' && msg.type !== 'error') || msg.id !== job.id) return;
    slot.job = null;
    const metrics = this.options.metrics;
    if (msg.type === 'result') {
      if (metrics) {
        metrics.engineJobs.inc({ outcome: 'ok' });
        for (const stage of WORKER_STAGES) {
          const ms = msg.timings[stage];
          if (ms !== undefined) metrics.engineStage.observe({ stage }, ms / 1000);
        }
      }
      job.resolve(msg.faces);
    } else {
      metrics?.engineJobs.inc({ outcome: 'error' });
      job.reject(new Error(`engine error: ${msg.error}`));
    }
    this.pump();
  }

  private observeQueue(): void {
    const metrics = this.options.metrics;
    if (!metrics) return;
    metrics.engineQueueDepth.set(this.queue.length);
    metrics.engineBusyWorkers.set(this.slots.filter((s) => s.job).length);
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.job) continue;
      const job = this.queue.shift();
      if (!job) break;
      slot.job = job;
      const started = performance.now();
      this.options.metrics?.engineStage.observe({ stage: 'queue' }, (started - job.queuedAt) / 1000);
      const done = (): void => {
        // Exponential moving average of job time, for the OVERLOADED retry hint.
        this.avgJobMs = 0.9 * this.avgJobMs + 0.1 * (performance.now() - started);
        this.options.metrics?.engineStage.observe({ stage: 'total' }, secondsSince(started));
        this.observeQueue();
      };
      const { resolve, reject } = job;
      job.resolve = (faces) => (done(), resolve(faces));
      job.reject = (err) => (done(), reject(err));
      const transfer: ArrayBuffer[] = [];
      for (const view of [job.request.rgb, job.request.detectorInput]) {
        if (view.byteOffset === 0 && view.byteLength === view.buffer.byteLength) transfer.push(view.buffer as ArrayBuffer);
      }
      slot.worker.postMessage(job.request, transfer);
    }
    this.observeQueue();
  }

  detect(job: DetectJob): Promise<WorkerFace[]> {
    if (this.closing) {
      return Promise.reject(new FaceError('ENGINE_UNAVAILABLE', 'The server is shutting down; retry on another instance.'));
    }
    if (this.queue.length >= this.options.maxQueue) {
      this.options.metrics?.overloaded.inc({ source: 'engine' });
      const retryAfterSeconds = Math.max(1, Math.ceil((this.queue.length * this.avgJobMs) / this.options.workers / 1000));
      return Promise.reject(
        new FaceError(
          'OVERLOADED',
          `The face engine is at capacity (${this.queue.length} images queued). Retry after ${retryAfterSeconds} s.`,
          {
            retryAfterSeconds,
          },
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.queue.push({ id, request: { ...job, type: 'detect', id }, queuedAt: performance.now(), resolve, reject });
      this.pump();
    });
  }

  /** Stops taking work, lets queued and running jobs finish, then stops the workers. */
  async close(): Promise<void> {
    this.closing = true;
    while (this.queue.length > 0 || this.slots.some((s) => s.job)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all(this.slots.splice(0).map((slot) => this.stopWorker(slot)));
  }

  /** Asks the worker to release its onnxruntime sessions, then terminates it. */
  private async stopWorker(slot: Slot): Promise<void> {
    if (slot.ready) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, RELEASE_TIMEOUT_MS);
        slot.onClosed = () => (clearTimeout(timer), resolve());
        slot.worker.once('exit', slot.onClosed);
        slot.worker.postMessage({ type: 'close' });
      });
    }
    await slot.worker.terminate();
  }
}

export type { DetectOptions };
