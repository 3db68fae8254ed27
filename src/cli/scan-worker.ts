import { parentPort, workerData } from 'node:worker_threads';
import { VigilError } from '../errors.js';
import { Counters } from '../event/counters.js';
import type { Event, RawRecord } from '../event/types.js';
import type { MatchRecord } from '../rules/detector.js';
import { scanFiles } from '../sources/file-scan.js';
import { loadFromOptions } from './context.js';
import { loadDetection } from './detection.js';
import { loadLists } from './lists.js';
import { buildDecoder } from './runtime.js';
import { newTally, tallyEvents } from './scan-tally.js';
import type { ScanWorkerInput, ScanWorkerMessage } from './scan-parallel.js';

/*
 * The scan worker: reads the files, decodes and matches single-event rules
 * (the bulk of a scan's work), and sends the main thread only what matching
 * produced (alerts, correlation inputs, clock moves), never the events.
 * Batches in flight are bounded: the worker waits for the main thread's
 * acknowledgements.
 */

const MAX_IN_FLIGHT = 4;
const port = parentPort!;
const input = workerData as ScanWorkerInput;
const abort = new AbortController();
let inFlight = 0;
let wake: (() => void) | undefined;

port.on('message', (m: { type: 'ack' | 'stop' }) => {
  if (m.type === 'stop') abort.abort();
  else inFlight--;
  wake?.();
  wake = undefined;
});

/** Records of one batch: every clock move, and at the `at` positions a payload. */
interface Batch {
  times: number[];
  at: number[];
  payloads: MatchRecord[];
}

function newBatch(): Batch {
  return { times: [], at: [], payloads: [] };
}

function post(m: ScanWorkerMessage): void {
  port.postMessage(m);
}

async function send(m: ScanWorkerMessage): Promise<void> {
  post(m);
  inFlight++;
  while (inFlight >= MAX_IN_FLIGHT && !abort.signal.aborted) {
    await new Promise<void>((r) => (wake = r));
  }
}

async function main(): Promise<void> {
  const { config, file } = loadFromOptions(input.options);
  const counters = new Counters();
  const decoder = buildDecoder(config, counters);
  const { detector } = loadDetection(config, {
    lists: await loadLists(config, undefined),
    configFile: file,
  });
  post({ type: 'ready', rules: detector.rules.map((r) => r.id) });
  const tally = newTally();
  let clock = -Infinity;
  let progress: [number, number] | undefined;
  const match = (events: Event[], out: Batch) => {
    tallyEvents(tally, events, input.errors);
    for (const e of events) {
      const r = detector.matchRecord(e);
      if (r.alerts || r.feeds) {
        out.at.push(out.times.length);
        out.payloads.push(r);
        out.times.push(r.t);
      } else if (r.t > clock) {
        // An event that matched nothing matters only as it moves the correlation clock.
        out.times.push(r.t);
      }
      if (r.t > clock) clock = r.t;
    }
  };
  const batchMessage = (b: Batch, raw: number): ScanWorkerMessage => ({
    type: 'batch',
    // Typed arrays: most records are a clock move, and a number list clones at memcpy speed.
    times: Float64Array.from(b.times),
    at: Int32Array.from(b.at),
    payloads: b.payloads,
    raw,
    events: tally.events,
    progress,
  });
  await scanFiles(
    input.files,
    {
      sourceId: 'scan',
      format: input.format,
      maxRecordSize: config.limits.max_record_size,
      counters,
      onProgress: (done, total) => (progress = [done, total]),
    },
    async (batch: RawRecord[]) => {
      const events: Event[] = [];
      for (const record of batch) for (const e of decoder.decode(record)) events.push(e);
      const b = newBatch();
      match(events, b);
      await send(batchMessage(b, batch.length));
    },
    abort.signal,
  );
  const b = newBatch();
  match(decoder.flush(), b);
  post(batchMessage(b, 0));
  post({ type: 'done', tally });
}

main().catch((err: unknown) => {
  const e = err instanceof Error ? err : new Error(String(err));
  post({
    type: 'error',
    message: e.message,
    ...(e instanceof VigilError ? { code: e.code, file: e.file } : {}),
  });
});
