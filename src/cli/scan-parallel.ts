import type { RecordFormat } from '../config/schema.js';
import { VigilError, type ErrorCode } from '../errors.js';
import type { Alert } from '../event/types.js';
import type { SigmaDetector } from '../rules/detector.js';
import { startWorker } from '../threads.js';
import type { GlobalOptions } from './context.js';
import { readBatch, type EncodedBatch } from './scan-batch.js';
import type { ScanTally } from './scan-tally.js';

/*
 * `vigil scan` on two threads: a worker reads, decodes and matches
 * single-event rules; this thread applies what matching produced to the
 * correlation state (the detector's `apply`), raises and chains the alerts,
 * and writes the output. Both threads load the same configuration and
 * rules; the worker's rule ids are checked against ours before any record
 * is applied. Alerts come out in the same order as from a single thread.
 */

export interface ScanWorkerInput {
  files: string[];
  options: GlobalOptions;
  format: RecordFormat;
  /** Keep a line per event with a decoding error (--errors). */
  errors: boolean;
}

export type ScanWorkerMessage =
  | { type: 'ready'; rules: string[] }
  | {
      type: 'batch';
      batch: EncodedBatch;
      /** Raw records read for this batch. */
      raw: number;
      /** Events decoded so far. */
      events: number;
      progress: [done: number, total: number] | undefined;
    }
  | { type: 'done'; tally: ScanTally }
  | { type: 'error'; message: string; code?: ErrorCode; file?: string | undefined };

export interface ParallelScanHooks {
  onAlerts: (alerts: Alert[]) => void;
  onProgress?: (done: number, total: number, events: number) => void;
  /** The worker has loaded its rules and starts reading (benchmarks time from here). */
  onReady?: () => void;
  signal: AbortSignal;
}

/**
 * Scans `input.files` with a worker; resolves with the raw record count and
 * the worker's tally. Open correlation windows stay open: the caller flushes
 * the detector at the end of its input.
 */
export function scanWithWorker(
  input: ScanWorkerInput,
  detector: SigmaDetector,
  hooks: ParallelScanHooks,
): Promise<{ records: number; tally: ScanTally }> {
  const worker = startWorker('./scan-worker', import.meta.url, input);
  const stop = () => worker.postMessage({ type: 'stop' });
  hooks.signal.addEventListener('abort', stop, { once: true });
  let records = 0;
  let pending: Alert[] = [];
  const raise = (a: Alert) => {
    pending.push(a);
  };
  const deliver = () => {
    if (pending.length === 0) return;
    const out = pending;
    pending = [];
    hooks.onAlerts(out);
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | undefined, tally?: ScanTally) => {
      if (settled) return;
      settled = true;
      hooks.signal.removeEventListener('abort', stop);
      void worker.terminate();
      if (err) reject(err);
      else resolve({ records, tally: tally! });
    };
    worker.on('message', (m: ScanWorkerMessage) => {
      try {
        switch (m.type) {
          case 'ready': {
            const ours = detector.rules.map((r) => r.id);
            if (m.rules.join('\n') !== ours.join('\n')) {
              throw new Error(
                `scan worker loaded ${m.rules.length} rules, this thread ${ours.length}: the rule set changed while starting`,
              );
            }
            hooks.onReady?.();
            break;
          }
          case 'batch':
            readBatch(m.batch, (r) => detector.apply(r, raise));
            deliver();
            records += m.raw;
            if (m.progress) hooks.onProgress?.(m.progress[0], m.progress[1], m.events);
            worker.postMessage({ type: 'ack' });
            break;
          case 'done':
            finish(undefined, m.tally);
            break;
          case 'error':
            throw m.code
              ? new VigilError(m.code, m.message, m.file ? { file: m.file } : {})
              : new Error(`scan worker: ${m.message}`);
        }
      } catch (err) {
        finish(err as Error);
      }
    });
    worker.on('error', (err) => finish(err));
    worker.on('exit', (code) => {
      finish(new Error(`scan worker exited (${code}) before the scan finished`));
    });
  });
}
