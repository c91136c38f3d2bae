/**
 * A fixed pool of engine worker threads (one set of onnxruntime sessions each) behind a queue
 * bounded by the wait it implies. A job is admitted only if the work ahead of it (queued jobs plus
 * what is left of the running ones, each estimated by its cost class), shared among the workers,
 * would start it within `maxQueueWaitMs`; the count bound `maxQueue` stays as a hard cap. Beyond
 * either, callers get OVERLOADED at once with a Retry-After from the same estimate, instead of
 * waiting seconds in the queue.
 *
 * Workers that die are replaced and their job fails with ENGINE_UNAVAILABLE (retryable). A job
 * that runs past `jobTimeoutMs` is treated the same way: its worker (hung, or stuck in a native
 * call) is terminated and replaced.
 */
import { Worker } from 'node:worker_threads';
import { FaceError } from '../../domain/errors.js';
import { secondsSince, type EngineStage, type Metrics } from '../../platform/metrics.js';
import { loadOrt } from './models.js';
import type { DetectOptions, DetectRequest, ModelInfo, StageTimings, WorkerRequest, WorkerResponse, WorkerResult } from './protocol.js';

export interface PoolOptions {
  workers: number;
  /** Hard cap: jobs waiting for a worker (not counting the ones running) before OVERLOADED. */
  maxQueue: number;
  /** A job whose estimated wait for a worker is over this is refused with OVERLOADED; 0: no latency bound. */
  maxQueueWaitMs: number;
  /** A job running longer than this fails with ENGINE_UNAVAILABLE and its worker is replaced. */
  jobTimeoutMs: number;
  /** Queue depth, busy workers, per-stage times, OVERLOADED refusals. */
  metrics?: Metrics;
}

const WORKER_STAGES: ReadonlyArray<keyof StageTimings & EngineStage> = ['detector', 'landmarks', 'quality', 'embedding'];

/**
 * Cost classes by image size (pixels): a job's time is estimated from the recent jobs of its
 * class (an exponential moving average each). The face count, which also drives the cost
 * (landmarks and an embedding per face), is not known before the job runs; each class's average
 * absorbs the face counts its images usually have. The defaults are used until a class has a
 * measurement: roughly this engine's times on one core (bench/detect.ts), rounded up.
 */
const COST_CLASSES: ReadonlyArray<{ maxPixels: number; initialMs: number }> = [
  { maxPixels: 500_000, initialMs: 100 }, // up to ~800 x 600
  { maxPixels: 2_500_000, initialMs: 250 }, // up to ~1920 x 1280
  { maxPixels: 9_000_000, initialMs: 700 },
  { maxPixels: Infinity, initialMs: 2000 },
];

export function costClass(pixels: number): number {
  return COST_CLASSES.findIndex((c) => pixels <= c.maxPixels);
}

/** Weight of the newest job in its class's moving average. */
const EMA_WEIGHT = 0.2;

/** Retry hint for a job that failed because its worker died or hung: a replacement is loading. */
const WORKER_FAILED_RETRY_S = 1;

export type DetectJob = Omit<DetectRequest, 'type' | 'id'>;

interface Job {
  id: number;
  request: DetectRequest;
  /** performance.now() when queued. */
  queuedAt: number;
  costClass: number;
  /** performance.now() when a worker took it. */
  startedAt?: number;
  deadline?: NodeJS.Timeout;
  resolve: (result: WorkerResult) => void;
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
  /** Recent job time per cost class (ms). */
  private readonly estimateMs: number[] = COST_CLASSES.map((c) => c.initialMs);
  private readonly measured: boolean[] = COST_CLASSES.map(() => false);
  models: ModelInfo | null = null;

  constructor(private readonly options: PoolOptions) {}

  /**
   * Test seam, for tests only (the service never calls it): the worker threads by threadId, to
   * kill one mid-request (`terminate`, as a crash would) or to wedge one (`stall`: its thread spins
   * and answers nothing, as a hung native call would).
   */
  readonly testSeam = {
    threadIds: (): number[] => this.slots.map((s) => s.worker.threadId),
    busyThreadIds: (): number[] => this.slots.filter((s) => s.job).map((s) => s.worker.threadId),
    terminate: (threadId: number): Promise<number> => this.slotOf(threadId).worker.terminate(),
    stall: (threadId: number): void => this.slotOf(threadId).worker.postMessage({ type: 'stall' } satisfies WorkerRequest),
  };

  private slotOf(threadId: number): Slot {
    const slot = this.slots.find((s) => s.worker.threadId === threadId);
    if (!slot) throw new Error(`no engine worker with threadId ${threadId}`);
    return slot;
  }

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
    const job = slot.job;
    slot.job = null;
    if (job) {
      this.options.metrics?.engineJobs.inc({ outcome: 'worker_died' });
      clearTimeout(job.deadline);
      job.reject(
        new FaceError('ENGINE_UNAVAILABLE', `The face engine failed while processing this image; retry after ${WORKER_FAILED_RETRY_S} s.`, {
          cause: err.message,
          retryAfterSeconds: WORKER_FAILED_RETRY_S,
        }),
      );
    }
    if (!this.closing) void this.spawn().catch(() => undefined);
  }

  /** The job outlived its deadline: its worker is hung (or stuck in native code). Fail the job, replace the worker. */
  private expire(slot: Slot, job: Job): void {
    if (slot.job !== job) return;
    this.failSlot(slot, new Error(`engine job ${job.id} ran over ${this.options.jobTimeoutMs} ms; worker terminated`));
    // Not awaited: a thread stuck in a native call may never exit; it is already out of the pool.
    void slot.worker.terminate().catch(() => undefined);
  }

  private finish(slot: Slot, msg: WorkerResponse): void {
    const job = slot.job;
    if (!job || (msg.type !== 'result' && msg.type !== 'error') || msg.id !== job.id) return;
    slot.job = null;
    clearTimeout(job.deadline);
    const metrics = this.options.metrics;
    if (job.startedAt !== undefined) metrics?.engineStage.observe({ stage: 'total' }, secondsSince(job.startedAt));
    if (msg.type === 'result') {
      this.measure(job);
      if (metrics) {
        metrics.engineJobs.inc({ outcome: 'ok' });
        for (const stage of WORKER_STAGES) {
          const ms = msg.timings[stage];
          if (ms !== undefined) metrics.engineStage.observe({ stage }, ms / 1000);
        }
      }
      job.resolve({ faces: msg.faces, light: msg.light });
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
      job.startedAt = performance.now();
      this.options.metrics?.engineStage.observe({ stage: 'queue' }, (job.startedAt - job.queuedAt) / 1000);
      job.deadline = setTimeout(() => this.expire(slot, job), this.options.jobTimeoutMs);
      const transfer: ArrayBuffer[] = [];
      for (const view of [job.request.rgb, job.request.detectorInput]) {
        if (view.byteOffset === 0 && view.byteLength === view.buffer.byteLength) transfer.push(view.buffer as ArrayBuffer);
      }
      slot.worker.postMessage(job.request, transfer);
    }
    this.observeQueue();
  }

  /** A successful job's time updates its class's moving average (the first measurement replaces the default). */
  private measure(job: Job): void {
    if (job.startedAt === undefined) return;
    const ms = performance.now() - job.startedAt;
    const c = job.costClass;
    this.estimateMs[c] = this.measured[c] ? (1 - EMA_WEIGHT) * this.estimateMs[c]! + EMA_WEIGHT * ms : ms;
    this.measured[c] = true;
  }

  /**
   * How long a job admitted now would wait for a worker (ms): the estimated time of the queued
   * jobs plus what is left of the running ones, shared among the ready workers.
   */
  estimatedWaitMs(): number {
    const now = performance.now();
    let work = 0;
    for (const job of this.queue) work += this.estimateMs[job.costClass]!;
    for (const slot of this.slots) {
      const job = slot.job;
      if (job?.startedAt !== undefined) work += Math.max(0, this.estimateMs[job.costClass]! - (now - job.startedAt));
    }
    return work / Math.max(1, this.readyCount);
  }

  /**
   * OVERLOADED if a job of `pixels` would be refused now (checked again when it is queued). Lets a
   * caller refuse before spending work on a request, e.g. decoding its image.
   */
  admissionError(pixels = 0): FaceError | null {
    const queued = this.queue.length;
    const waitMs = this.estimatedWaitMs();
    const full = queued >= this.options.maxQueue;
    const tooSlow = this.options.maxQueueWaitMs > 0 && waitMs > this.options.maxQueueWaitMs;
    if (!full && !tooSlow) return null;
    // When the work now ahead would have drained; with a full queue, at least one job's time.
    const aheadMs = Math.max(waitMs, full ? this.estimateMs[costClass(pixels)]! : 0);
    const retryAfterSeconds = Math.max(1, Math.ceil(aheadMs / 1000));
    const reason = full
      ? `${queued} images queued`
      : `an estimated ${(waitMs / 1000).toFixed(1)} s wait, over the ${this.options.maxQueueWaitMs / 1000} s limit`;
    return new FaceError('OVERLOADED', `The face engine is at capacity (${reason}). Retry after ${retryAfterSeconds} s.`, {
      retryAfterSeconds,
    });
  }

  /** `admitted`: the job belongs to a request admitted as a whole; the queue's limits are not checked again. */
  detect(job: DetectJob, admitted = false): Promise<WorkerResult> {
    if (this.closing) {
      return Promise.reject(new FaceError('ENGINE_UNAVAILABLE', 'The server is shutting down; retry on another instance.'));
    }
    const refusal = admitted ? null : this.admissionError(job.width * job.height);
    if (refusal) {
      this.options.metrics?.overloaded.inc({ source: 'engine' });
      return Promise.reject(refusal);
    }
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.queue.push({
        id,
        request: { ...job, type: 'detect', id },
        queuedAt: performance.now(),
        costClass: costClass(job.width * job.height),
        resolve,
        reject,
      });
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
