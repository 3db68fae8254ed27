import type { Alert } from '../event/types.js';
import type { CorrelationInput } from '../rules/correlation-engine.js';
import { GROUP_FIELDS, singleAlert, type MatchRecord } from '../rules/detector.js';
import type { CompiledRule } from '../rules/compile.js';

/*
 * What a scan worker sends per batch of records, in columns: most records
 * are only a clock move, most of the rest are a few short correlation keys,
 * and an alert is its rule's index plus a few strings, so flat arrays of
 * numbers and strings clone several times faster than the same records as
 * objects. `BatchWriter` fills the columns on the worker; a `BatchReader`
 * turns them back into MatchRecords on the main thread, one at a time, so
 * that the batches of several workers can be merged in input order.
 */

export interface EncodedBatch {
  /** Event time of each record, in order. */
  readonly times: Float64Array;
  /** Per record: the position in the scan's input of the raw record it was decoded from. */
  readonly seqs: Float64Array;
  /** Positions in `times` of the records with a payload (alerts or feeds), ascending. */
  readonly at: Int32Array;
  /** Per payload: how many alerts. */
  readonly alertCounts: Int32Array;
  /** Per alert: its rule's index, and the parts of `AlertParts` (null: absent). */
  readonly alertRules: Int32Array;
  readonly alertTimes: string[];
  readonly alertMessages: (string | null)[];
  readonly alertHosts: (string | null)[];
  readonly alertSources: (string | null)[];
  readonly alertUsers: (string | null)[];
  /** GROUP_FIELDS.length entries per alert. */
  readonly alertGroups: (string | null)[];
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

/** The columns while they fill: plain arrays. */
function emptyColumns() {
  return {
    times: [] as number[],
    seqs: [] as number[],
    at: [] as number[],
    alertCounts: [] as number[],
    alertRules: [] as number[],
    alertTimes: [] as string[],
    alertMessages: [] as (string | null)[],
    alertHosts: [] as (string | null)[],
    alertSources: [] as (string | null)[],
    alertUsers: [] as (string | null)[],
    alertGroups: [] as (string | null)[],
    ids: [] as (string | null)[],
    feedCounts: [] as number[],
    feedRules: [] as number[],
    inputCounts: [] as number[],
    keys: [] as (string | null)[],
    values: [] as (string | number | null)[],
    multiAt: [] as number[],
    multi: [] as string[][],
  };
}

export class BatchWriter {
  private c = emptyColumns();
  /** Rule positions by id (a rule set with errors may repeat an id). */
  private readonly byId = new Map<string, number[]>();

  /** `rules`: the detector's rules, whose order both threads share. */
  constructor(private readonly rules: readonly CompiledRule[]) {
    rules.forEach((r, i) => {
      const list = this.byId.get(r.id);
      if (list) list.push(i);
      else this.byId.set(r.id, [i]);
    });
  }

  /** A record with nothing in it but its time, decoded from raw record `seq`. */
  tick(t: number, seq: number): void {
    this.c.times.push(t);
    this.c.seqs.push(seq);
  }

  add(r: MatchRecord, seq: number): void {
    const c = this.c;
    c.at.push(c.times.length);
    c.times.push(r.t);
    c.seqs.push(seq);
    const alerts = r.alerts ?? [];
    c.alertCounts.push(alerts.length);
    for (const a of alerts) this.addAlert(a);
    c.ids.push(r.id ?? null);
    const feeds = r.feeds ?? [];
    c.feedCounts.push(feeds.length);
    for (const [rule, inputs] of feeds) {
      c.feedRules.push(rule);
      c.inputCounts.push(inputs.length);
      for (const input of inputs) {
        if (input?.values) {
          c.multiAt.push(c.keys.length);
          c.multi.push(input.values);
        }
        c.keys.push(input ? input.key : null);
        c.values.push(input?.value ?? null);
      }
    }
  }

  /** Matching raises single-event alerts only (`singleAlert`): their parts say it all. */
  private addAlert(a: Alert): void {
    const c = this.c;
    const ids = this.byId.get(a.rule.id);
    // Matching built the alert from the rule with its id; only a repeated id needs telling apart.
    const rule = ids?.length === 1 ? ids[0] : ids?.find((i) => raises(this.rules[i]!, a));
    if (rule === undefined || a.count !== 1 || a.events || a.id) {
      throw new Error(`scan batch: not a single-event alert of a known rule (${a.rule.id})`);
    }
    c.alertRules.push(rule);
    c.alertTimes.push(a['@timestamp']);
    c.alertMessages.push(a.message ?? null);
    c.alertHosts.push(a.host?.name ?? null);
    c.alertSources.push(a.source?.ip ?? null);
    c.alertUsers.push(a.user?.name ?? null);
    for (const f of GROUP_FIELDS) c.alertGroups.push(a.group?.[f] ?? null);
  }

  /** The columns so far; the writer starts afresh. */
  take(): EncodedBatch {
    const c = this.c;
    this.c = emptyColumns();
    return {
      ...c,
      times: Float64Array.from(c.times),
      seqs: Float64Array.from(c.seqs),
      at: Int32Array.from(c.at),
      alertCounts: Int32Array.from(c.alertCounts),
      alertRules: Int32Array.from(c.alertRules),
      feedCounts: Int32Array.from(c.feedCounts),
      feedRules: Int32Array.from(c.feedRules),
      inputCounts: Int32Array.from(c.inputCounts),
    };
  }
}

/** Whether `singleAlert` of `rule` gives `a`'s rule part: then the index stands for it. */
function raises(rule: CompiledRule, a: Alert): boolean {
  const tags = a.rule.tags ?? [];
  return (
    rule.title === a.rule.title &&
    rule.level === a.rule.level &&
    rule.severity === a.severity &&
    rule.tags.length === tags.length &&
    rule.tags.every((t, i) => t === tags[i])
  );
}

/** Reads a batch's records in order, one at a time. */
export class BatchReader {
  private i = 0;
  private payload = 0;
  private alert = 0;
  private feed = 0;
  private input = 0;
  private multi = 0;
  /** Returned for every clock-only record: the caller uses it before asking for the next. */
  private readonly tick: { t: number } = { t: NaN };

  /** `rules`: the detector's rules, in the order the writer's had. */
  constructor(
    private readonly b: EncodedBatch,
    private readonly rules: readonly CompiledRule[],
  ) {}

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
    const alerts = b.alertCounts[payload]!;
    if (alerts > 0) {
      r.alerts = [];
      for (let k = 0; k < alerts; k++) r.alerts.push(this.readAlert());
    }
    const id = b.ids[payload];
    if (id !== null && id !== undefined) r.id = id;
    const n = b.feedCounts[payload]!;
    if (n > 0) {
      r.feeds = [];
      for (let f = 0; f < n; f++) r.feeds.push(this.readFeed());
    }
    return r;
  }

  private readAlert(): Alert {
    const b = this.b;
    const k = this.alert++;
    let group: Record<string, string> | undefined;
    for (let f = 0; f < GROUP_FIELDS.length; f++) {
      const v = b.alertGroups[k * GROUP_FIELDS.length + f];
      if (v !== null && v !== undefined) (group ??= {})[GROUP_FIELDS[f]!] = v;
    }
    return singleAlert(this.rules[b.alertRules[k]!]!, {
      timestamp: b.alertTimes[k]!,
      message: b.alertMessages[k] ?? undefined,
      group,
      host: b.alertHosts[k] ?? undefined,
      source: b.alertSources[k] ?? undefined,
      user: b.alertUsers[k] ?? undefined,
    });
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
