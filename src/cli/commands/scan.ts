import fs from 'node:fs';
import type { RecordFormat } from '../../config/schema.js';
import { EXIT } from '../../errors.js';
import { Counters } from '../../event/counters.js';
import type { Alert, Event } from '../../event/types.js';
import { Pipeline } from '../../pipeline/pipeline.js';
import { createSource } from '../../sources/index.js';
import { scanFiles } from '../../sources/file-scan.js';
import type { Store } from '../../store/types.js';
import { formatBytes, table } from '../format.js';
import { loadFromOptions, openStore, printJson, type GlobalOptions } from '../context.js';
import { formatAlertLine, loadDetection, reportRules } from '../detection.js';
import { loadLists } from '../lists.js';
import { buildDecoder } from '../runtime.js';
import { defaultWorkers, scanWithWorkers } from '../scan-parallel.js';
import { bump, newTally, tallyEvents } from '../scan-tally.js';
import type { SigmaDetector } from '../../rules/detector.js';

const MAX_ALERT_LINES = 50;

export interface ScanOptions extends GlobalOptions {
  format?: RecordFormat;
  events?: string;
  alerts?: string;
  rules?: boolean;
  store?: boolean;
  errors?: boolean;
  /** 1: all on the main thread; N > 1: N - 1 workers decode and match; default by input size and cores. */
  threads?: number;
}

interface Summary {
  files: string[];
  records: number;
  events: number;
  errors: number;
  seconds: number;
  by_category: Record<string, number>;
  by_decoder: Record<string, number>;
  by_outcome: Record<string, number>;
  alerts: number;
  by_rule: Record<string, number>;
  /** 1, or 1 + the workers that decoded and matched while this thread correlated. */
  threads: number;
}

/** Below this much input, starting workers and loading the rules again in each costs more than it saves. */
const WORKER_MIN_BYTES = 64 << 20;

/** How many threads scan `paths`: `--threads`, else by input size and cores. */
function scanThreads(threads: number | undefined, paths: string[]): number {
  if (threads !== undefined) return threads;
  let bytes = 0;
  for (const p of paths) {
    try {
      bytes += fs.statSync(p).size;
    } catch {
      // Unreadable: the scan itself reports it.
    }
  }
  if (bytes < WORKER_MIN_BYTES) return 1;
  return 1 + defaultWorkers();
}

/**
 * `vigil scan FILE...`: one-shot analysis (like fail2ban-regex): decode, count,
 * match the rules, optionally write events and alerts as JSON lines or into
 * the store. Records that decode with an error are counted and listed
 * (--errors), not fatal. Exit 1 when any alert was raised.
 */
export async function scan(files: string[], opts: ScanOptions): Promise<number> {
  const { config, file: configFile } = loadFromOptions(opts);
  const counters = new Counters();
  const decoder = buildDecoder(config, counters);
  const summary: Summary = {
    files,
    records: 0,
    events: 0,
    errors: 0,
    seconds: 0,
    by_category: {},
    by_decoder: {},
    by_outcome: {},
    alerts: 0,
    by_rule: {},
    threads: 1,
  };
  const tally = newTally();

  let out: fs.WriteStream | NodeJS.WriteStream | undefined;
  if (opts.events === '-') out = process.stdout;
  else if (opts.events) out = fs.createWriteStream(opts.events);

  const alertLines: string[] = [];
  let alertOut: fs.WriteStream | NodeJS.WriteStream | undefined;
  if (opts.alerts === '-') alertOut = process.stdout;
  else if (opts.alerts) alertOut = fs.createWriteStream(opts.alerts);
  const onAlerts = (alerts: Alert[]) => {
    for (const a of alerts) {
      summary.alerts++;
      bump(summary.by_rule, `${a.rule.level} ${a.rule.title} [${a.rule.id}]`);
      if (alertLines.length < MAX_ALERT_LINES) alertLines.push(formatAlertLine(a));
      alertOut?.write(JSON.stringify(a) + '\n');
    }
  };
  let detector: SigmaDetector | undefined;
  if (opts.rules !== false) {
    const detection = loadDetection(config, {
      lists: await loadLists(config, undefined),
      configFile,
    });
    if (!opts.json) reportRules(detection);
    detector = detection.detector;
  }
  const onEvents = (events: Event[]) => {
    tallyEvents(tally, events, opts.errors === true);
    if (!out) return;
    let chunk = '';
    for (const e of events) chunk += JSON.stringify(e) + '\n';
    if (chunk) out.write(chunk);
  };

  let store: Store | undefined;
  if (opts.store) store = await openStore(loadFromOptions(opts));
  const pipeline = new Pipeline({
    decoder,
    detectors: detector ? [detector] : [],
    ...(store ? { store } : {}),
    counters,
    batchSize: config.store.batch.size,
    batchInterval: config.store.batch.interval,
    onEvents,
    onAlerts,
  });

  const format = opts.format ?? 'auto';
  const started = process.hrtime.bigint();
  const showProgress = process.stderr.isTTY && !opts.json;
  let lastProgress = 0;
  const progress = (done: number, total: number, events = tally.events) => {
    const now = Date.now();
    if (!showProgress || now - lastProgress < 250) return;
    lastProgress = now;
    const pct = total > 0 ? ` ${((done / total) * 100).toFixed(0)}%` : '';
    process.stderr.write(
      `\rvigil scan: ${formatBytes(done)}${total > 0 ? ` of ${formatBytes(total)}` : ''}${pct}, ${events} events `,
    );
  };
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    const paths = files.filter((f) => f !== '-');
    // Workers pay off when matching is the work and no event leaves the scan.
    const threads = detector && !store && !out ? scanThreads(opts.threads, paths) : 1;
    if (detector && paths.length > 0 && threads > 1) {
      summary.threads = threads;
      const done = await scanWithWorkers(
        {
          files: paths,
          options: { config: configFile, dataDir: opts.dataDir },
          format,
          errors: opts.errors === true,
        },
        detector,
        { onAlerts, onProgress: progress, signal: abort.signal },
        threads - 1,
      );
      summary.records += done.records;
      Object.assign(tally, done.tally);
    } else if (paths.length > 0) {
      await scanFiles(
        paths,
        {
          sourceId: 'scan',
          format,
          maxRecordSize: config.limits.max_record_size,
          counters,
          onProgress: progress,
        },
        async (records) => {
          summary.records += records.length;
          await pipeline.ingest(records);
        },
        abort.signal,
      );
    }
    if (files.length === 0 || files.includes('-')) {
      const stdin = createSource(
        { type: 'stdin', id: 'stdin', format },
        {
          checkpoints: new Map(),
          notice: (m) => process.stderr.write(`vigil: ${m}\n`),
          counters,
          maxRecordSize: config.limits.max_record_size,
        },
      );
      await stdin.run(abort.signal, async (records) => {
        summary.records += records.length;
        await pipeline.ingest(records);
      });
    }
    await pipeline.flush();
  } finally {
    process.off('SIGINT', onSigint);
    if (showProgress) process.stderr.write('\r\x1b[K');
    for (const stream of [out, alertOut]) {
      if (stream && stream !== process.stdout) {
        await new Promise<void>((r) => (stream as fs.WriteStream).end(r));
      }
    }
    await store?.close();
  }
  summary.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const { errorLines, ...counts } = tally;
  Object.assign(summary, counts);

  if (opts.json) {
    if (opts.events !== '-') printJson(summary);
  } else {
    const w = opts.events === '-' ? process.stderr : process.stdout;
    const lines: string[] = [];
    const rate =
      summary.seconds > 0 ? Math.round(summary.records / summary.seconds) : summary.records;
    lines.push(
      `scanned ${summary.records} records in ${summary.seconds.toFixed(2)} s (${rate} records/s): ${summary.events} events, ${summary.errors} with errors, ${summary.alerts} alerts`,
    );
    const section = (title: string, m: Record<string, number>) => {
      const rows = Object.entries(m).sort((a, b) => b[1] - a[1]);
      if (rows.length === 0) return;
      lines.push(`${title}:`);
      lines.push(table(rows));
    };
    section('by category', summary.by_category);
    section('by outcome', summary.by_outcome);
    section('by decoder', summary.by_decoder);
    section('alerts by rule', summary.by_rule);
    if (errorLines.length > 0) {
      lines.push('errors:');
      for (const l of errorLines) lines.push(`  ${l}`);
    }
    if (alertLines.length > 0) {
      lines.push('alerts:');
      for (const l of alertLines) lines.push(`  ${l}`);
      if (summary.alerts > alertLines.length) {
        lines.push(
          `  … ${summary.alerts - alertLines.length} more (--alerts FILE writes them all)`,
        );
      }
    }
    w.write(lines.join('\n') + '\n');
  }
  return summary.alerts > 0 ? EXIT.FINDINGS : EXIT.OK;
}
