import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { HashAlgorithm } from './attributes.js';
import type { HashBatch, HashJob, HashResult } from './hash-worker.js';
import type { FsPath } from './paths.js';

/**
 * Starts the hash worker. Built, it is a .js file; under tsx (tests,
 * benchmarks) it is a .ts file, and a worker does not inherit tsx's loader,
 * so a small bootstrap registers it first.
 */
function startWorker(): Worker {
  const base = import.meta.url;
  if (!base.endsWith('.ts')) return new Worker(new URL('./hash-worker.js', base));
  const target = new URL('./hash-worker.ts', base).href;
  // Resolved here: the worker's own resolution would start from the cwd.
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); });`;
  return new Worker(boot, { eval: true });
}

// A batch amortizes the message round trip over many small files; the byte
// bound keeps one huge file from holding many small ones hostage.
const BATCH_FILES = 64;
const BATCH_BYTES = 8 << 20;
const BATCHES_PER_WORKER = 4;

interface Slot {
  worker: Worker;
  outstanding: Array<Map<number, (r: HashResult) => void>>;
}

/** Hashes files on worker threads; `hash` resolves with the file's state as read. */
export class HashPool {
  private readonly slots: Slot[] = [];
  private queue: Array<{ job: HashJob; size: number; done: (r: HashResult) => void }> = [];
  private nextId = 1;
  private inFlight = 0;
  private waiters: Array<() => void> = [];
  private failure: Error | undefined;
  private flushArmed = false;
  private macKey: Buffer | undefined;

  constructor(
    readonly algorithm: HashAlgorithm,
    private readonly size = os.availableParallelism(),
  ) {}

  // Threads start with the first file to hash: a check of an unchanged tree
  // needs none.
  private startWorkers(): void {
    for (let i = 0; i < this.size; i++) {
      const slot: Slot = { worker: startWorker(), outstanding: [] };
      slot.worker.on('message', (results: HashResult[]) => this.settle(slot, results));
      slot.worker.on('error', (err) => this.fail(err));
      slot.worker.unref();
      this.slots.push(slot);
    }
  }

  /** While set, results carry their stored encoding and MAC (see HashBatch). */
  setMacKey(key: Buffer | undefined): void {
    this.macKey = key;
  }

  /** Files queued or being hashed. */
  get pending(): number {
    return this.inFlight;
  }

  hash(path: FsPath, follow: boolean, sizeHint: number): Promise<HashResult> {
    if (this.failure) return Promise.reject(this.failure);
    this.inFlight++;
    return new Promise((resolve) => {
      this.queue.push({ job: { id: this.nextId++, path, follow }, size: sizeHint, done: resolve });
      if (this.queue.length >= BATCH_FILES) this.dispatch();
      else if (!this.flushArmed) {
        this.flushArmed = true;
        setImmediate(() => {
          this.flushArmed = false;
          this.dispatch();
        });
      }
    });
  }

  /** Resolves once at most `max` files are pending: the walker's backpressure. */
  async below(max: number): Promise<void> {
    while (this.inFlight > max) {
      if (this.failure) throw this.failure;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  private dispatch(): void {
    if (this.slots.length === 0) this.startWorkers();
    while (this.queue.length > 0) {
      const slot = this.slots
        .filter((s) => s.outstanding.length < BATCHES_PER_WORKER)
        .sort((a, b) => a.outstanding.length - b.outstanding.length)[0];
      if (!slot) return;
      let bytes = 0;
      let n = 0;
      while (n < this.queue.length && n < BATCH_FILES && (n === 0 || bytes < BATCH_BYTES)) {
        bytes += this.queue[n]!.size;
        n++;
      }
      // A busy thread waits for a full batch: many small messages cost the
      // main thread more than the hashing they feed.
      if (n < BATCH_FILES && bytes < BATCH_BYTES && slot.outstanding.length > 0) return;
      const taken = this.queue.slice(0, n);
      this.queue = this.queue.slice(n);
      const done = new Map(taken.map((t) => [t.job.id, t.done]));
      slot.outstanding.push(done);
      slot.worker.ref();
      const batch: HashBatch = {
        algorithm: this.algorithm,
        jobs: taken.map((t) => t.job),
        ...(this.macKey ? { macKey: this.macKey } : {}),
      };
      slot.worker.postMessage(batch);
    }
  }

  private settle(slot: Slot, results: HashResult[]): void {
    const done = slot.outstanding.shift()!;
    if (slot.outstanding.length === 0) slot.worker.unref();
    for (const r of results) {
      done.get(r.id)?.(r);
      this.inFlight--;
    }
    this.dispatch();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private fail(err: Error): void {
    this.failure = new Error(`hash worker failed: ${err.message}`, { cause: err });
    // Every file still waiting gets an answer: an error, never a hang.
    const error = this.failure.message;
    for (const slot of this.slots) {
      for (const done of slot.outstanding.splice(0)) {
        for (const [id, d] of done) d({ id, error });
      }
    }
    for (const q of this.queue.splice(0)) q.done({ id: q.job.id, error });
    this.inFlight = 0;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
