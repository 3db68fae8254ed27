import type { Alert } from '../event/types.js';
import type { MatchRecord } from '../rules/detector.js';
import type { CorrelationInput } from '../rules/correlation-engine.js';

/*
 * What a scan worker sends per batch of records, in columns: most records
 * are only a clock move, and most of the rest are a few short correlation
 * keys, so flat arrays of numbers and strings clone several times faster
 * than the same records as objects. `BatchWriter` fills the columns on the
 * worker; a `BatchReader` turns them back into MatchRecords on the main
 * thread, one at a time, so that the batches of several workers can be
 * merged in input order.
 */

export interface EncodedBatch {
  /** Event time of each record, in order. */
  readonly times: Float64Array;
  /** Per record: the position in the scan's input of the raw record it was decoded from. */
  readonly seqs: Float64Array;
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
  private seqs: number[] = [];
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

  /** A record with nothing in it but its time, decoded from raw record `seq`. */
  tick(t: number, seq: number): void {
    this.times.push(t);
    this.seqs.push(seq);
  }

  add(r: MatchRecord, seq: number): void {
    this.at.push(this.times.length);
    this.times.push(r.t);
    this.seqs.push(seq);
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
      seqs: Float64Array.from(this.seqs),
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
    this.seqs = [];
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

/** Reads a batch's records in order, one at a time. */
export class BatchReader {
  private i = 0;
  private payload = 0;
  private feed = 0;
  private input = 0;
  private multi = 0;
  /** Returned for every clock-only record: the caller uses it before asking for the next. */
  private readonly tick: { t: number } = { t: NaN };

  constructor(private readonly b: EncodedBatch) {}

  get done(): boolean {
    return this.i >= this.b.times.length;
  }

  /** The input position of the next record (call only when not `done`). */
  get seq(): number {
    return this.b.seqs[this.i]!;
  }

  next(): MatchRecord {
    const b = this.b;
    const i = this.i++;
    const t = b.times[i]!;
    const payload = this.payload;
    if (payload >= b.at.length || b.at[payload] !== i) {
      this.tick.t = t;
      return this.tick;
    }
    this.payload++;
    const r: MatchRecord = { t };
    const alerts = b.alerts[payload];
    if (alerts) r.alerts = alerts;
    const id = b.ids[payload];
    if (id !== null && id !== undefined) r.id = id;
    const n = b.feedCounts[payload]!;
    if (n > 0) {
      r.feeds = [];
      for (let f = 0; f < n; f++) r.feeds.push(this.readFeed());
    }
    return r;
  }

  private readFeed(): [number, (CorrelationInput | null)[]] {
    const b = this.b;
    const feed = this.feed++;
    const inputs: (CorrelationInput | null)[] = [];
    for (let k = b.inputCounts[feed]!; k > 0; k--) {
      const input = this.input++;
      const key = b.keys[input]!;
      if (key === null) {
        inputs.push(null);
        continue;
      }
      const value = b.values[input];
      const x: { key: string; value?: string | number; values?: string[] } = { key };
      if (value !== null && value !== undefined) x.value = value;
      if (b.multiAt[this.multi] === input) x.values = b.multi[this.multi++]!;
      inputs.push(x);
    }
    return [b.feedRules[feed]!, inputs];
  }
}
