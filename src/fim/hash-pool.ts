import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../threads.js';
import { MAC_BYTES } from './entry-mac.js';
import type { HashAlgorithm } from './attributes.js';
import type { HashBatch, HashJob, HashResult, RowBatch, RowResults } from './hash-worker.js';
import { toBytes, type FsPath } from './paths.js';

// A batch amortizes the message round trip over many small files; the byte
// bound keeps one huge file from holding many small ones hostage.
const BATCH_FILES = 64;
const BATCH_BYTES = 8 << 20;
const BATCHES_PER_WORKER = 4;

/** A message for a thread and what to do with its answer. */
interface Unit {
  message: HashBatch | RowBatch;
  files: number;
  settle(answer: HashResult[] | RowResults): void;
  fail(error: string): void;
}

interface Slot {
  worker: Worker;
  outstanding: Unit[];
}

/** Single files gathered into the next `files` batch. */
interface OpenBatch {
  jobs: HashJob[];
  done: Map<number, (r: HashResult) => void>;
  bytes: number;
}

/** Hashes files on worker threads; `hash` resolves with the file's state as read. */
export class HashPool {
  private readonly slots: Slot[] = [];
  private queue: Unit[] = [];
  private open: OpenBatch | undefined;
  private nextId = 1;
  private inFlight = 0;
  private waiters: Array<() => void> = [];
  private failure: Error | undefined;
  private flushArmed = false;
  private walk = 0;

  constructor(
    readonly algorithm: HashAlgorithm,
    private readonly size = os.availableParallelism(),
  ) {}

  // Threads start with the first file to hash: a check of an unchanged tree
  // needs none.
  private startWorkers(): void {
    for (let i = 0; i < this.size; i++) {
      const slot: Slot = { worker: startWorker('./hash-worker', import.meta.url), outstanding: [] };
      slot.worker.on('message', (answer: HashResult[] | RowResults) => this.settle(slot, answer));
      slot.worker.on('error', (err) => this.fail(err));
      slot.worker.unref();
      this.slots.push(slot);
    }
  }

  /** A new walk: hashes the threads kept of hard-linked files (of the last walk) are not reused. */
  beginWalk(): void {
    this.closeOpen();
    this.walk++;
  }

  /** Files queued or being hashed. */
  get pending(): number {
    return this.inFlight;
  }

  hash(path: FsPath, follow: boolean, sizeHint: number): Promise<HashResult> {
    if (this.failure) return Promise.reject(this.failure);
    this.inFlight++;
    return new Promise((resolve) => {
      const open: OpenBatch = (this.open ??= { jobs: [], done: new Map(), bytes: 0 });
      const id = this.nextId++;
      open.jobs.push({ id, path, follow });
      open.done.set(id, resolve);
      open.bytes += sizeHint;
      if (open.jobs.length >= BATCH_FILES || open.bytes >= BATCH_BYTES) this.closeOpen();
      else if (!this.flushArmed) {
        this.flushArmed = true;
        setImmediate(() => {
          this.flushArmed = false;
          this.dispatch();
        });
      }
    });
  }

  /**
   * Hashes regular files (not following a final symlink) into stored rows,
   * MACed with `macKey`: one message each way for the whole batch.
   */
  rows(paths: FsPath[], macKey: Buffer): Promise<RowResults> {
    if (this.failure) return Promise.reject(this.failure);
    this.inFlight += paths.length;
    return new Promise((resolve) => {
      this.queue.push({
        message: { kind: 'rows', algorithm: this.algorithm, walk: this.walk, paths, macKey },
        files: paths.length,
        settle: (answer) => resolve(answer as RowResults),
        fail: (error) => resolve(unopened(paths, error)),
      });
      this.dispatch();
    });
  }

  /** Resolves once at most `max` files are pending: the walker's backpressure. */
  async below(max: number): Promise<void> {
    while (this.inFlight > max) {
      if (this.failure) throw this.failure;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  private closeOpen(): void {
    const open = this.open;
    if (!open) return;
    this.open = undefined;
    this.queue.push({
      message: { kind: 'files', algorithm: this.algorithm, walk: this.walk, jobs: open.jobs },
      files: open.jobs.length,
      settle: (answer) => {
        for (const r of answer as HashResult[]) open.done.get(r.id)?.(r);
      },
      fail: (error) => {
        for (const [id, d] of open.done) d({ id, error });
      },
    });
    this.dispatch();
  }

  private dispatch(): void {
    if (this.slots.length === 0) this.startWorkers();
    // A partial batch goes only to an idle thread: many small messages cost
    // the main thread more than the hashing they feed.
    if (this.open && this.slots.some((s) => s.outstanding.length === 0)) this.closeOpen();
    while (this.queue.length > 0) {
      const slot = this.slots
        .filter((s) => s.outstanding.length < BATCHES_PER_WORKER)
        .sort((a, b) => a.outstanding.length - b.outstanding.length)[0];
      if (!slot) return;
      const unit = this.queue.shift()!;
      slot.outstanding.push(unit);
      slot.worker.ref();
      slot.worker.postMessage(unit.message);
    }
  }

  private settle(slot: Slot, answer: HashResult[] | RowResults): void {
    const unit = slot.outstanding.shift()!;
    if (slot.outstanding.length === 0) slot.worker.unref();
    this.inFlight -= unit.files;
    unit.settle(answer);
    this.dispatch();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private fail(err: Error): void {
    this.failure = new Error(`hash worker failed: ${err.message}`, { cause: err });
    // Every file still waiting gets an answer: an error, never a hang.
    const error = this.failure.message;
    const open = this.open;
    this.open = undefined;
    for (const slot of this.slots) for (const unit of slot.outstanding.splice(0)) unit.fail(error);
    for (const unit of this.queue.splice(0)) unit.fail(error);
    if (open) for (const [id, d] of open.done) d({ id, error });
    this.inFlight = 0;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

/** The answer for rows no thread could look at: each path with `error`, none opened. */
function unopened(paths: FsPath[], error: string): RowResults {
  const bytes = paths.map((p) => toBytes(p));
  const ends = new Uint32Array(2 * paths.length);
  let at = 0;
  bytes.forEach((b, i) => {
    at += b.length;
    ends[2 * i] = at;
    ends[2 * i + 1] = at;
    at += MAC_BYTES;
  });
  return {
    bytes: Buffer.concat(bytes.flatMap((b) => [b, Buffer.alloc(MAC_BYTES)])),
    ends,
    errors: paths.map(() => error),
    sizes: new Float64Array(paths.length),
  };
}
