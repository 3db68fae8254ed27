import fs from 'node:fs';
import path from 'node:path';
import { isRunning } from '../../pid.js';
import { EXIT } from '../../errors.js';
import { formatBytes, table } from '../format.js';
import { AnomalyStateStore } from '../../anomaly/persist.js';
import {
  loadFromOptions,
  openExistingStore,
  printJson,
  storePath,
  type GlobalOptions,
} from '../context.js';

/** Learned anomaly baselines in the store: how many, and their state size. */
function anomalyState(file: string): { metrics: number; bytes: number } {
  const store = new AnomalyStateStore(file);
  try {
    const rows = store.rows();
    return { metrics: rows.length, bytes: rows.reduce((n, r) => n + r.bytes, 0) };
  } finally {
    store.close();
  }
}

export const PID_FILE = 'vigil.pid';

/** `vigil status`: is `vigil start` running, what it watches, its counters, the store. */
export async function status(opts: GlobalOptions): Promise<number> {
  const loaded = loadFromOptions(opts);
  const store = await openExistingStore(loaded);
  try {
    const info = await store.info();
    const run = await store.loadCounters();
    let pid: number | undefined;
    try {
      pid = Number(fs.readFileSync(path.join(loaded.config.data_dir, PID_FILE), 'utf8').trim());
    } catch {
      pid = undefined;
    }
    const alive = pid !== undefined && Number.isInteger(pid) && isRunning(pid);
    const anomaly = anomalyState(storePath(loaded));
    if (opts.json) {
      printJson({
        running: alive,
        pid: alive ? pid : null,
        store: info,
        run: run ?? null,
        anomaly,
      });
      return EXIT.OK;
    }
    const out: string[] = [];
    out.push(alive ? `vigil is running (pid ${pid})` : 'vigil is not running');
    if (run) {
      out.push(`last run started ${run.meta.started}, counters saved ${run.updated.toISOString()}`);
      out.push('sources:');
      for (const s of run.meta.sources) {
        out.push(`  ${s.id} (${s.kind})`);
        for (const d of s.describe) out.push(`    ${d}`);
      }
      out.push('counters:');
      for (const [scope, names] of Object.entries(run.counters)) {
        out.push(
          `  ${scope}: ${Object.entries(names)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`,
        );
      }
    }
    out.push(
      `anomaly baselines: ${anomaly.metrics} metrics, state ${formatBytes(anomaly.bytes)}` +
        (anomaly.metrics > 0 ? ` (${formatBytes(anomaly.bytes / anomaly.metrics)} each)` : ''),
    );
    out.push('store:');
    out.push(
      table(
        [
          ['path', info.path],
          ['size', formatBytes(info.bytes)],
          ['events', info.events],
          ['alerts', info.alerts],
          ['oldest', info.oldest ?? '-'],
          ['newest', info.newest ?? '-'],
        ],
        '  ',
      ),
    );
    process.stdout.write(out.join('\n') + '\n');
    return EXIT.OK;
  } finally {
    await store.close();
  }
}
