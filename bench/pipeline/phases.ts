import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseTimeZone } from '../../src/event/timezone.js';
import { Counters } from '../../src/event/counters.js';
import { createDecoderStage } from '../../src/decoders/index.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { scanFiles } from '../../src/sources/file-scan.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { reportPhase } from '../common.js';

/*
 * One benchmark phase per process: `raw` (read + split into lines, the
 * baseline), `decode` (read + decode), `store` (read + decode + store in a
 * fresh SQLite store).
 */
const [phase, file] = process.argv.slice(2) as [string, string];

async function raw(): Promise<number> {
  let lines = 0;
  let chars = 0;
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let carry = Buffer.alloc(0);
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    const chunk = carry.length ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      chars += chunk.toString('utf8', start, nl).length;
      lines++;
      start = nl + 1;
    }
    carry = Buffer.from(chunk.subarray(start));
  }
  fs.closeSync(fd);
  if (chars < 0) throw new Error('unreachable');
  return lines;
}

async function pipelineRun(withStore: boolean): Promise<number> {
  const counters = new Counters();
  const decoder = createDecoderStage({
    hostName: 'bench',
    timezone: parseTimeZone('UTC')!,
    maxRecordSize: 65536,
    decoderDirs: [],
    counters,
  });
  let dir: string | undefined;
  let store: SqliteStore | undefined;
  if (withStore) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-'));
    store = await SqliteStore.open(path.join(dir, 'vigil.db'), {
      writerThread: true,
    });
  }
  const pipeline = new Pipeline({
    decoder,
    detectors: [],
    ...(store ? { store } : {}),
    counters,
    batchSize: 2000,
    batchInterval: 1000,
  });
  let records = 0;
  await scanFiles(
    [file],
    { sourceId: 'bench', format: 'auto', maxRecordSize: 65536, counters },
    async (batch) => {
      records += batch.length;
      await pipeline.ingest(batch);
    },
    new AbortController().signal,
  );
  await pipeline.flush();
  const errors = counters.get('decode', 'errors');
  if (errors > 0) process.stderr.write(`${errors} decode errors\n`);
  if (store) {
    const stored = await store.countEvents();
    await store.close();
    fs.rmSync(dir!, { recursive: true, force: true });
    // Events, not records: the sshd session memory adds one beside the line
    // for a connection that changes user (docs/reference/decoders.md).
    const events = counters.get('pipeline', 'events');
    if (stored !== events || events < records) {
      throw new Error(`stored ${stored} of ${events} events from ${records} records`);
    }
  }
  return records;
}

const phases: Record<string, () => Promise<number>> = {
  raw,
  decode: () => pipelineRun(false),
  store: () => pipelineRun(true),
};
const fn = phases[phase];
if (!fn) throw new Error(`unknown phase ${phase}`);
await reportPhase(phase, fn);
