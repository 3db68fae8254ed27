import type { Worker } from 'node:worker_threads';
import { startWorker } from '../threads.js';
import type { EncodedBatch } from './sqlite-write.js';

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
