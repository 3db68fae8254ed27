/*
 * Learned baselines in the store's `anomaly_metrics` table (migration
 * 0004_anomaly), one row per (host, metric): a small JSON header with the
 * scalars, then the slot arrays as raw little-endian floats. A connection of
 * its own, like the FIM baseline: the event writer thread never waits on it.
 */
import Database from 'better-sqlite3';
import { openDatabase } from '../store/open.js';
import type { AnomalyConfig } from '../config/schema.js';
import { SlotBaseline } from './baseline.js';
import { LevelShift } from './classes.js';
import { classSafe } from './entropy.js';
import type { MetricState } from './engine.js';

interface Header {
  v: 1;
  slotMs: number;
  slots: number;
  first: number;
  last: number;
  interval: number;
  offset: number;
  spread: number | null;
  up: number;
  down: number;
  lastValue: number | null;
  lastSigma: number;
  lastMean: number | null;
  lastStddev: number | null;
  lastClasses: readonly string[];
  peaks: MetricState['peaks'];
  keys?: Array<[string, number]>;
  entropy?: number;
}

const num = (v: number): number | null => (Number.isFinite(v) ? v : null);

export function encodeState(s: MetricState): Buffer {
  const b = s.baseline;
  const header: Header = {
    v: 1,
    slotMs: b.opts.slotMs,
    slots: b.slots,
    first: s.first,
    last: s.last,
    interval: s.interval,
    offset: s.offset,
    spread: num(s.spread),
    up: s.shift.up,
    down: s.shift.down,
    lastValue: num(s.lastValue),
    lastSigma: s.lastSigma,
    lastMean: num(s.lastMean),
    lastStddev: num(s.lastStddev),
    lastClasses: s.lastClasses,
    peaks: s.peaks,
    ...(s.keys ? { keys: [...s.keys] } : {}),
    ...(s.entropy !== undefined ? { entropy: s.entropy } : {}),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const out = Buffer.alloc(4 + json.length + b.mean.byteLength * 3 + b.count.byteLength);
  out.writeUInt32LE(json.length, 0);
  json.copy(out, 4);
  let at = 4 + json.length;
  for (const arr of [b.mean, b.variance, b.last, b.count]) {
    Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength).copy(out, at);
    at += arr.byteLength;
  }
  return out;
}

/**
 * The state back, or undefined when the blob is damaged or was learned with
 * another slot width (the old slots would mean other times of the week).
 */
export function decodeState(
  key: string,
  host: string,
  metric: string,
  blob: Buffer,
  cfg: Pick<AnomalyConfig, 'slot' | 'memory_weeks'>,
): MetricState | undefined {
  try {
    const len = blob.readUInt32LE(0);
    const h = JSON.parse(blob.subarray(4, 4 + len).toString('utf8')) as Header;
    if (h.v !== 1 || h.slotMs !== cfg.slot) return undefined;
    const n = h.slots;
    const body = blob.subarray(4 + len);
    if (body.length !== n * 14) return undefined;
    const copy = Uint8Array.from(body);
    const mean = new Float32Array(copy.buffer, 0, n);
    const variance = new Float32Array(copy.buffer, n * 4, n);
    const last = new Float32Array(copy.buffer, n * 8, n);
    const count = new Uint16Array(copy.buffer, n * 12, n);
    const baseline = new SlotBaseline(
      { slotMs: cfg.slot, memoryWeeks: cfg.memory_weeks },
      { mean, variance, count, last },
    );
    const shift = new LevelShift();
    shift.up = h.up;
    shift.down = h.down;
    return {
      key,
      host,
      metric,
      safeName: classSafe(metric),
      baseline,
      first: h.first,
      last: h.last,
      interval: h.interval,
      offset: h.offset,
      spread: h.spread ?? NaN,
      shift,
      lastValue: h.lastValue ?? NaN,
      lastSigma: h.lastSigma,
      lastMean: h.lastMean ?? NaN,
      lastStddev: h.lastStddev ?? NaN,
      lastClasses: h.lastClasses,
      peaks: h.peaks,
      ...(h.keys ? { keys: new Map(h.keys) } : {}),
      ...(h.entropy !== undefined ? { entropy: h.entropy } : {}),
      dirty: false,
    };
  } catch {
    return undefined;
  }
}

export interface StoredRow {
  key: string;
  host: string;
  metric: string;
  updated: number;
  bytes: number;
}

export class AnomalyStateStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    this.db = openDatabase(file);
  }

  /** Every stored baseline that still decodes under `cfg`; the rest are counted as `skipped`. */
  load(cfg: Pick<AnomalyConfig, 'slot' | 'memory_weeks'>): {
    states: MetricState[];
    skipped: number;
  } {
    const rows = this.db
      .prepare('SELECT key, host, metric, state FROM anomaly_metrics ORDER BY updated')
      .all() as Array<{ key: string; host: string; metric: string; state: Buffer }>;
    const states: MetricState[] = [];
    let skipped = 0;
    for (const r of rows) {
      const s = decodeState(r.key, r.host, r.metric, r.state, cfg);
      if (s) states.push(s);
      else skipped++;
    }
    return { states, skipped };
  }

  /** Writes the dirty states in one transaction and marks them clean. */
  save(states: Iterable<MetricState>, now = Date.now()): number {
    const put = this.db.prepare(
      'INSERT INTO anomaly_metrics (key, host, metric, updated, state) VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT(key) DO UPDATE SET updated = excluded.updated, state = excluded.state',
    );
    let n = 0;
    this.db.transaction(() => {
      for (const s of states) {
        if (!s.dirty) continue;
        put.run(s.key, s.host, s.metric, now, encodeState(s));
        s.dirty = false;
        n++;
      }
    })();
    return n;
  }

  rows(): StoredRow[] {
    return this.db
      .prepare(
        'SELECT key, host, metric, updated, length(state) AS bytes FROM anomaly_metrics ORDER BY metric, host',
      )
      .all() as StoredRow[];
  }

  remove(metric: string, host?: string): number {
    const r =
      host === undefined
        ? this.db.prepare('DELETE FROM anomaly_metrics WHERE metric = ?').run(metric)
        : this.db
            .prepare('DELETE FROM anomaly_metrics WHERE metric = ? AND host = ?')
            .run(metric, host);
    return r.changes;
  }

  close(): void {
    this.db.close();
  }
}
