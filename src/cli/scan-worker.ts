import { parentPort, workerData } from 'node:worker_threads';
import { affinity } from '../decoders/affinity.js';
import { VigilError } from '../errors.js';
import { Counters } from '../event/counters.js';
import type { Event, RawRecord } from '../event/types.js';
import { scanFiles } from '../sources/file-scan.js';
import { loadFromOptions } from './context.js';
import { loadDetection } from './detection.js';
import { loadLists } from './lists.js';
import { buildDecoder } from './runtime.js';
import { BatchWriter } from './scan-batch.js';
import { newTally, tallyEvents } from './scan-tally.js';
import type { ScanWorkerInput, ScanWorkerMessage } from './scan-parallel.js';

/*
 * A scan worker: reads the files, decodes and matches single-event rules
 * (the bulk of a scan's work), and sends the main thread only what matching
 * produced (alerts, correlation inputs, clock moves), never the events.
 * With several workers, each reads every record but decodes only its share
 * (by `affinity`, so the records that decode together stay together), and
 * tags what it sends with the input position, by which the main thread
 * merges. Batches in flight are bounded: the worker waits for the main
 * thread's acknowledgements.
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
  const errorSeqs: number[] = [];
  let clock = -Infinity;
  let progress: [number, number] | undefined;
  /** Raw records read so far: the input position of the next one. */
  let seq = 0;
  const writer = new BatchWriter(detector.rules);
  const match = (events: Event[]) => {
    const errors = tally.errorLines.length;
    tallyEvents(tally, events, input.errors);
    for (let i = errors; i < tally.errorLines.length; i++) errorSeqs.push(seq);
    for (const e of events) {
      const r = detector.matchRecord(e);
      if (r.alerts || r.feeds) writer.add(r, seq);
      // An event that matched nothing matters only as it moves the correlation clock.
      else if (r.t > clock) writer.tick(r.t, seq);
      if (r.t > clock) clock = r.t;
    }
  };
  const { part, parts } = input;
  const batchMessage = (raw: number, upTo: number): ScanWorkerMessage => ({
    type: 'batch',
    batch: writer.take(),
    raw,
    upTo,
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
      // Matched as soon as decoded: an event dies young instead of living
      // through the whole batch.
      for (const record of batch) {
        if (parts === 1 || affinity(record.text) % parts === part) match(decoder.decode(record));
        seq++;
      }
      await send(batchMessage(batch.length, seq));
    },
    abort.signal,
  );
  // What the decoder still held comes after every record.
  match(decoder.flush());
  post(batchMessage(0, Infinity));
  post({ type: 'done', tally, errorSeqs });
}

main().catch((err: unknown) => {
  const e = err instanceof Error ? err : new Error(String(err));
  post({
    type: 'error',
    message: e.message,
    ...(e instanceof VigilError ? { code: e.code, file: e.file } : {}),
  });
});
