import { Worker } from 'node:worker_threads';
import type { EncodedBatch } from './sqlite-write.js';

/**
 * Starts a worker from a sibling module. Built, that module is a .js file;
 * under tsx (tests, benchmarks) it is a .ts file, and a worker does not
 * inherit tsx's loader, so a small bootstrap registers it first.
 */
function startWorker(relative: string, base: string, workerData: unknown): Worker {
  if (!base.endsWith('.ts')) return new Worker(new URL(`${relative}.js`, base), { workerData });
  const target = new URL(`${relative}.ts`, base).href;
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(target)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

/**
 * The main thread's handle on the writer thread. Batches are written in the
 * order given; `write` resolves when its batch has committed.
 */
export class SqliteWriterThread {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private failure: Error | undefined;
  private last: Promise<void> = Promise.resolve();

  constructor(file: string) {
    this.worker = startWorker('./sqlite-writer-thread', import.meta.url, { file });
    this.worker.on('message', (msg: { id: number; error?: string }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(msg.error));
      else p.resolve();
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => {
      if (this.pending.size > 0) this.fail(new Error(`store writer thread exited (code ${code})`));
    });
  }

  private fail(err: Error): void {
    this.failure = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  write(batch: EncodedBatch): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const done = new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, batch });
    });
    this.last = done.catch(() => undefined);
    return done;
  }

  /** Waits for the batches in flight, then closes the connection and the thread. */
  async close(): Promise<void> {
    await this.last;
    const exited = new Promise<void>((r) => this.worker.once('exit', () => r()));
    this.worker.postMessage({ close: true });
    await exited;
  }
}
