import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { RecordFormat } from '../config/schema.js';
import { VigilError, type ErrorCode } from '../errors.js';
import type { Alert } from '../event/types.js';
import type { SigmaDetector } from '../rules/detector.js';
import { startWorker } from '../threads.js';
import type { GlobalOptions } from './context.js';
import { BatchReader, type EncodedBatch } from './scan-batch.js';
import { mergeTallies, type ScanTally } from './scan-tally.js';

/*
 * `vigil scan` on several threads: workers read, decode and match
 * single-event rules, each its share of the records; this thread merges
 * what they produced back into input order and applies it to the
 * correlation state (the detector's `apply`), raises and chains the alerts,
 * and writes the output. All threads load the same configuration and rules;
 * each worker's rule ids are checked against ours before any record is
 * applied. Alerts come out as from a single thread: the records of one
 * sshd connection decode on one worker, in order. The one difference is
 * where a session's held event surfaces when the session expires (see the
 * session memory), which each worker notices among its own records.
 */

export interface ScanWorkerInput {
  files: string[];
  options: GlobalOptions;
  format: RecordFormat;
  /** Keep a line per event with a decoding error (--errors). */
  errors: boolean;
  /** This worker's share: the records whose affinity modulo `parts` is `part`. */
  part: number;
  parts: number;
}

export type ScanWorkerMessage =
  | { type: 'ready'; rules: string[] }
  | {
      type: 'batch';
      batch: EncodedBatch;
      /** Raw records read for this batch. */
      raw: number;
      /** The worker has read every raw record before this input position (Infinity: all). */
      upTo: number;
      /** Events decoded so far. */
      events: number;
      progress: [done: number, total: number] | undefined;
    }
  | { type: 'done'; tally: ScanTally; errorSeqs: number[] }
  | { type: 'error'; message: string; code?: ErrorCode; file?: string | undefined };

export interface ParallelScanHooks {
  onAlerts: (alerts: Alert[]) => void;
  onProgress?: (done: number, total: number, events: number) => void;
  /** Every worker has loaded its rules and starts reading (benchmarks time from here). */
  onReady?: () => void;
  signal: AbortSignal;
}

/** Past this many workers the correlating thread is the bottleneck. */
const MAX_DEFAULT_WORKERS = 3;

/** Workers for a large scan: one per core, up to MAX_DEFAULT_WORKERS. */
export function defaultWorkers(): number {
  return Math.min(MAX_DEFAULT_WORKERS, os.availableParallelism());
}

type ScanInput = Omit<ScanWorkerInput, 'part' | 'parts'>;

/** One worker as the merge sees it. */
interface Lane {
  worker: Worker;
  /** Received batches not yet applied, oldest first. */
  queue: BatchReader[];
  /** Every record of this lane before this input position has been received. */
  upTo: number;
  ready: boolean;
  events: number;
  done?: { tally: ScanTally; errorSeqs: number[] };
}

/**
 * Scans `input.files` with `workers` workers; resolves with the raw record
 * count and the workers' merged tally. Open correlation windows stay open:
 * the caller flushes the detector at the end of its input.
 */
export function scanWithWorkers(
  input: ScanInput,
  detector: SigmaDetector,
  hooks: ParallelScanHooks,
  workers: number,
): Promise<{ records: number; tally: ScanTally }> {
  const lanes: Lane[] = [];
  for (let part = 0; part < workers; part++) {
    const data: ScanWorkerInput = { ...input, part, parts: workers };
    lanes.push({
      worker: startWorker('./scan-worker', import.meta.url, data),
      queue: [],
      upTo: 0,
      ready: false,
      events: 0,
    });
  }
  const stop = () => {
    for (const l of lanes) l.worker.postMessage({ type: 'stop' });
  };
  hooks.signal.addEventListener('abort', stop, { once: true });
  let records = 0;
  let pending: Alert[] = [];
  const raise = (a: Alert) => {
    pending.push(a);
  };

  /**
   * Applies queued records in input order while that order is certain: the
   * lowest queued position goes next once no other lane may still send a
   * lower one. Ties (what decoders held to the end) go by lane.
   */
  const drain = () => {
    for (;;) {
      let next: Lane | undefined;
      let seq = Infinity;
      for (const l of lanes) {
        const head = l.queue[0];
        if (head && (next === undefined || head.seq < seq)) {
          next = l;
          seq = head.seq;
        }
      }
      if (!next) break;
      for (const l of lanes) {
        if (l !== next && l.queue.length === 0 && l.upTo <= seq) return;
      }
      const reader = next.queue[0]!;
      detector.apply(reader.next(), raise);
      if (reader.done) {
        next.queue.shift();
        next.worker.postMessage({ type: 'ack' });
      }
    }
  };

  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | undefined) => {
      if (settled) return;
      settled = true;
      hooks.signal.removeEventListener('abort', stop);
      for (const l of lanes) void l.worker.terminate();
      if (err) reject(err);
      else resolve({ records, tally: mergeTallies(lanes.map((l) => l.done!)) });
    };
    const onMessage = (lane: Lane, m: ScanWorkerMessage) => {
      switch (m.type) {
        case 'ready': {
          const ours = detector.rules.map((r) => r.id);
          if (m.rules.join('\n') !== ours.join('\n')) {
            throw new Error(
              `scan worker loaded ${m.rules.length} rules, this thread ${ours.length}: the rule set changed while starting`,
            );
          }
          lane.ready = true;
          if (lanes.every((l) => l.ready)) hooks.onReady?.();
          break;
        }
        case 'batch': {
          const reader = new BatchReader(m.batch, detector.rules);
          if (reader.done) lane.worker.postMessage({ type: 'ack' });
          else lane.queue.push(reader);
          lane.upTo = m.upTo;
          lane.events = m.events;
          drain();
          if (pending.length > 0) {
            const out = pending;
            pending = [];
            hooks.onAlerts(out);
          }
          // Every worker reads every record: the first one counts them.
          if (lane === lanes[0]) {
            records += m.raw;
            if (m.progress) {
              const events = lanes.reduce((n, l) => n + l.events, 0);
              hooks.onProgress?.(m.progress[0], m.progress[1], events);
            }
          }
          break;
        }
        case 'done':
          lane.done = { tally: m.tally, errorSeqs: m.errorSeqs };
          if (lanes.every((l) => l.done)) {
            if (lanes.some((l) => l.queue.length > 0)) {
              throw new Error('scan workers finished with records left unmerged');
            }
            finish(undefined);
          }
          break;
        case 'error':
          throw m.code
            ? new VigilError(m.code, m.message, m.file ? { file: m.file } : {})
            : new Error(`scan worker: ${m.message}`);
      }
    };
    for (const lane of lanes) {
      lane.worker.on('message', (m: ScanWorkerMessage) => {
        try {
          onMessage(lane, m);
        } catch (err) {
          finish(err as Error);
        }
      });
      lane.worker.on('error', (err) => finish(err));
      lane.worker.on('exit', (code) => {
        finish(new Error(`scan worker exited (${code}) before the scan finished`));
      });
    }
  });
}
