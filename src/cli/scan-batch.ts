import type { Alert } from '../event/types.js';
import type { MatchRecord } from '../rules/detector.js';
import type { CorrelationInput } from '../rules/correlation-engine.js';

/*
 * What a scan worker sends per batch of records, in columns: most records
 * are only a clock move, and most of the rest are a few short correlation
 * keys, so flat arrays of numbers and strings clone several times faster
 * than the same records as objects. `BatchWriter` fills the columns on the
 * worker; `readBatch` turns them back into MatchRecords on the main thread.
 */

export interface EncodedBatch {
  /** Event time of each record, in order. */
  readonly times: Float64Array;
  /** Positions in `times` of the records with a payload (alerts or feeds), ascending. */
  readonly at: Int32Array;
  /** Per payload: its alerts, or null. */
  readonly alerts: (Alert[] | null)[];
  /** Per payload: the event's correlation id, or null when it feeds nothing. */
  readonly ids: (string | null)[];
  /** Per payload: how many feeds (matched rules a correlation reads). */
  readonly feedCounts: Int32Array;
  /** Per feed: the rule's index, and how many inputs follow. */
  readonly feedRules: Int32Array;
  readonly inputCounts: Int32Array;
  /** Per input: the group key (null: the event lacked a field), the value field (null: none). */
  readonly keys: (string | null)[];
  readonly values: (string | number | null)[];
  /** Inputs with several group-by values: their position among the inputs, and the values. */
  readonly multiAt: number[];
  readonly multi: string[][];
}

export class BatchWriter {
  private times: number[] = [];
  private at: number[] = [];
  private alerts: (Alert[] | null)[] = [];
  private ids: (string | null)[] = [];
  private feedCounts: number[] = [];
  private feedRules: number[] = [];
  private inputCounts: number[] = [];
  private keys: (string | null)[] = [];
  private values: (string | number | null)[] = [];
  private multiAt: number[] = [];
  private multi: string[][] = [];

  /** A record with nothing in it but its time. */
  tick(t: number): void {
    this.times.push(t);
  }

  add(r: MatchRecord): void {
    this.at.push(this.times.length);
    this.times.push(r.t);
    this.alerts.push(r.alerts ?? null);
    this.ids.push(r.id ?? null);
    const feeds = r.feeds ?? [];
    this.feedCounts.push(feeds.length);
    for (const [rule, inputs] of feeds) {
      this.feedRules.push(rule);
      this.inputCounts.push(inputs.length);
      for (const input of inputs) {
        if (input?.values) {
          this.multiAt.push(this.keys.length);
          this.multi.push(input.values);
        }
        this.keys.push(input ? input.key : null);
        this.values.push(input?.value ?? null);
      }
    }
  }

  /** The columns so far; the writer starts afresh. */
  take(): EncodedBatch {
    const b: EncodedBatch = {
      times: Float64Array.from(this.times),
      at: Int32Array.from(this.at),
      alerts: this.alerts,
      ids: this.ids,
      feedCounts: Int32Array.from(this.feedCounts),
      feedRules: Int32Array.from(this.feedRules),
      inputCounts: Int32Array.from(this.inputCounts),
      keys: this.keys,
      values: this.values,
      multiAt: this.multiAt,
      multi: this.multi,
    };
    this.times = [];
    this.at = [];
    this.alerts = [];
    this.ids = [];
    this.feedCounts = [];
    this.feedRules = [];
    this.inputCounts = [];
    this.keys = [];
    this.values = [];
    this.multiAt = [];
    this.multi = [];
    return b;
  }
}

/** Calls `apply` with each record of the batch, in order. */
export function readBatch(b: EncodedBatch, apply: (r: MatchRecord) => void): void {
  const tick: { t: number } = { t: NaN };
  let payload = 0;
  let feed = 0;
  let input = 0;
  let multi = 0;
  for (let i = 0; i < b.times.length; i++) {
    const t = b.times[i]!;
    if (payload >= b.at.length || b.at[payload] !== i) {
      tick.t = t;
      apply(tick);
      continue;
    }
    const r: MatchRecord = { t };
    const alerts = b.alerts[payload];
    if (alerts) r.alerts = alerts;
    const id = b.ids[payload];
    if (id !== null && id !== undefined) r.id = id;
    const n = b.feedCounts[payload]!;
    if (n > 0) {
      r.feeds = [];
      for (let f = 0; f < n; f++, feed++) {
        const inputs: (CorrelationInput | null)[] = [];
        for (let k = b.inputCounts[feed]!; k > 0; k--, input++) {
          const key = b.keys[input]!;
          if (key === null) {
            inputs.push(null);
            continue;
          }
          const value = b.values[input];
          const x: { key: string; value?: string | number; values?: string[] } = { key };
          if (value !== null && value !== undefined) x.value = value;
          if (b.multiAt[multi] === input) x.values = b.multi[multi++]!;
          inputs.push(x);
        }
        r.feeds.push([b.feedRules[feed]!, inputs]);
      }
    }
    payload++;
    apply(r);
  }
}
