import type { Alert, Event } from '../event/types.js';
import type { CompiledRule } from './compile.js';
import { alertToEvent, correlationAlert, type CorrelationHit } from './correlation-alert.js';
import type { CompiledCorrelation, CorrelationRef, CorrelationType } from './correlation.js';
import { readPath } from './mapping.js';

/*
 * The correlation runtime. Windows run on event time (`@timestamp`): a clock
 * holds the newest event time seen (any event moves it), and group state is
 * expired, closed or judged absent as the clock passes its deadline, so a scan
 * of an old file gives the alerts watching it live would have given.
 *
 * Per correlation, groups live in one Map whose order is their age (last
 * touch for sliding windows and absence, window start for closing windows),
 * so expiry looks at the head only, and the cap evicts the oldest group.
 */

export const DEFAULT_MAX_GROUPS = 10_000;
export const DEFAULT_MAX_EVENTS = 20;
export const DEFAULT_MAX_ENTRIES = 10_000;

export interface CorrelationEngineOptions {
  /** Group keys kept per correlation (default 10,000); the oldest group is evicted past it. */
  maxGroups?: number;
  /** Contributing event ids kept per alert (default 20, the latest). */
  maxEvents?: number;
  /** Entries (timestamps, distinct values, samples) kept per group (default 10,000). */
  maxEntries?: number;
}

/** State figures of one correlation, for `vigil status`. */
export interface CorrelationMemory {
  readonly id: string;
  readonly title: string;
  readonly type: CorrelationType;
  /** Live group keys. */
  readonly groups: number;
  /** Entries held across groups (timestamps, distinct values, samples). */
  readonly entries: number;
  readonly approxBytes: number;
  /** Groups dropped because of the cap. */
  readonly evicted: number;
  /** Groups dropped because their window passed without firing. */
  readonly expired: number;
  /** Events ignored because they were older than their group's window. */
  readonly late: number;
  /** Events without a group-by or value field. */
  readonly skipped: number;
  /** Hits withheld by `suppress`. */
  readonly suppressed: number;
  /** Hits (before suppression). */
  readonly fired: number;
}

// ---- aggregates ---------------------------------------------------------------

interface Agg {
  add(ref: number, t: number, value: string | number | undefined, id: string): void;
  /** Sliding windows: forget what is older than `from`. */
  prune(from: number): void;
  /** The aggregate over what is not older than `from`. */
  value(from: number): number;
  /** Earliest contributing time not older than `from`. */
  first(from: number): number;
  size(): number;
  bytes(): number;
  /** The contributing event ids, when the aggregate knows them better than "the latest events". */
  events?(from: number): string[];
}

/** Time-sorted (time, amount) runs; equal times merge, so second-resolution logs stay small. */
class RunDeque implements Agg {
  private times: number[] = [];
  private amounts: number[] = [];
  private head = 0;
  private total = 0;
  constructor(private readonly max: number) {}

  add(_ref: number, t: number, value: string | number | undefined): void {
    const amount = typeof value === 'number' ? value : 1;
    const n = this.times.length;
    this.total += amount;
    if (n === this.head || this.times[n - 1]! < t) {
      this.times.push(t);
      this.amounts.push(amount);
    } else {
      // the first run at or after t (out-of-order events are rare and near the end)
      let i = n - 1;
      while (i > this.head && this.times[i - 1]! >= t) i--;
      if (this.times[i] === t) this.amounts[i]! += amount;
      else {
        this.times.splice(i, 0, t);
        this.amounts.splice(i, 0, amount);
      }
    }
    if (this.times.length - this.head > this.max) this.drop();
  }

  private drop(): void {
    this.total -= this.amounts[this.head]!;
    this.head++;
    if (this.head > 64 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.amounts = this.amounts.slice(this.head);
      this.head = 0;
    }
  }

  prune(from: number): void {
    while (this.head < this.times.length && this.times[this.head]! < from) this.drop();
  }

  value(): number {
    return this.total;
  }

  first(): number {
    return this.times[this.head] ?? NaN;
  }

  size(): number {
    return this.times.length - this.head;
  }

  bytes(): number {
    return 64 + this.times.length * 16;
  }
}

/** A closing window's count or sum: no entries needed. */
class Total implements Agg {
  private total = 0;
  private n = 0;
  private min = Infinity;
  constructor(private readonly average: boolean) {}
  add(_ref: number, t: number, value: string | number | undefined): void {
    this.total += typeof value === 'number' ? value : 1;
    this.n++;
    if (t < this.min) this.min = t;
  }
  prune(): void {}
  value(): number {
    if (!this.average) return this.total;
    return this.n === 0 ? 0 : this.total / this.n;
  }
  first(): number {
    return this.min;
  }
  size(): number {
    return 1;
  }
  bytes(): number {
    return 48;
  }
}

/** Distinct values with the time each was last seen, in last-seen order. */
class Distinct implements Agg {
  private readonly seen = new Map<string, number>();
  private chars = 0;
  constructor(private readonly max: number) {}
  add(_ref: number, t: number, value: string | number | undefined): void {
    const v = String(value);
    const prev = this.seen.get(v);
    if (prev !== undefined) this.seen.delete(v);
    else this.chars += v.length;
    this.seen.set(v, prev !== undefined && prev > t ? prev : t);
    if (this.seen.size > this.max) this.dropHead();
  }
  private dropHead(): void {
    const [k] = this.seen.keys();
    if (k === undefined) return;
    this.seen.delete(k);
    this.chars -= k.length;
  }
  prune(from: number): void {
    for (const [k, t] of this.seen) {
      if (t >= from) break;
      this.seen.delete(k);
      this.chars -= k.length;
    }
  }
  value(): number {
    return this.seen.size;
  }
  first(from: number): number {
    let min = Infinity;
    for (const t of this.seen.values()) if (t >= from && t < min) min = t;
    return min;
  }
  size(): number {
    return this.seen.size;
  }
  bytes(): number {
    return 64 + this.seen.size * 64 + this.chars * 2;
  }
}

/** Numeric samples for a percentile (the first `max` of the window are kept). */
class Samples implements Agg {
  private readonly values: number[] = [];
  private min = Infinity;
  constructor(
    private readonly percentile: number,
    private readonly max: number,
  ) {}
  add(_ref: number, t: number, value: string | number | undefined): void {
    if (this.values.length < this.max) this.values.push(value as number);
    if (t < this.min) this.min = t;
  }
  prune(): void {}
  /** Nearest rank: the smallest value with at least p% of the samples at or below it. */
  value(): number {
    const n = this.values.length;
    if (n === 0) return 0;
    const sorted = [...this.values].sort((a, b) => a - b);
    const rank = Math.max(1, Math.ceil((this.percentile / 100) * n));
    return sorted[rank - 1]!;
  }
  first(): number {
    return this.min;
  }
  size(): number {
    return this.values.length;
  }
  bytes(): number {
    return 64 + this.values.length * 8;
  }
}

/** temporal: when each referenced rule was last seen. */
class Temporal implements Agg {
  private readonly last: number[];
  private readonly ids: string[];
  constructor(n: number) {
    this.last = new Array<number>(n).fill(-Infinity);
    this.ids = new Array<string>(n).fill('');
  }
  add(ref: number, t: number, _value: unknown, id: string): void {
    if (t > this.last[ref]!) {
      this.last[ref] = t;
      this.ids[ref] = id;
    }
  }
  events(from: number): string[] {
    return this.last
      .map((t, i) => ({ t, id: this.ids[i]! }))
      .filter((x) => x.t >= from)
      .sort((a, b) => a.t - b.t)
      .map((x) => x.id);
  }
  prune(): void {}
  value(from: number): number {
    let n = 0;
    for (const t of this.last) if (t >= from) n++;
    return n;
  }
  first(from: number): number {
    let min = Infinity;
    for (const t of this.last) if (t >= from && t < min) min = t;
    return min;
  }
  size(): number {
    return this.last.filter((t) => t > -Infinity).length;
  }
  bytes(): number {
    return 64 + this.last.length * 8;
  }
}

/**
 * temporal_ordered: for each prefix of the rules list, the chain with the
 * latest start that matched it in order (each step at or after the previous
 * one); a later start can only help a chain fit the timespan.
 */
interface Chain {
  readonly start: number;
  readonly end: number;
  readonly ids: readonly string[];
}

class Ordered implements Agg {
  private readonly best: (Chain | undefined)[];
  constructor(
    n: number,
    private readonly span: number,
  ) {
    this.best = new Array(n).fill(undefined);
  }
  add(ref: number, t: number, _value: unknown, id: string): void {
    let cand: Chain | undefined;
    if (ref === 0) cand = { start: t, end: t, ids: [id] };
    else {
      const p = this.best[ref - 1];
      if (p && p.end <= t && t - p.start <= this.span) {
        cand = { start: p.start, end: t, ids: [...p.ids, id] };
      }
    }
    const cur = this.best[ref];
    if (cand && (!cur || cand.start >= cur.start)) this.best[ref] = cand;
  }
  prune(): void {}
  private longest(from: number): number {
    for (let k = this.best.length - 1; k >= 0; k--) {
      const b = this.best[k];
      if (b && b.start >= from) return k;
    }
    return -1;
  }
  value(from: number): number {
    return this.longest(from) + 1;
  }
  first(from: number): number {
    const k = this.longest(from);
    return k < 0 ? NaN : this.best[k]!.start;
  }
  events(from: number): string[] {
    const k = this.longest(from);
    return k < 0 ? [] : [...this.best[k]!.ids];
  }
  size(): number {
    return this.best.filter((b) => b !== undefined).length;
  }
  bytes(): number {
    return 64 + this.best.length * 40;
  }
}

function newAgg(c: CompiledCorrelation, max: number): Agg {
  switch (c.type) {
    case 'event_count':
    case 'value_sum':
      return c.eager ? new RunDeque(max) : new Total(false);
    case 'value_avg':
      return new Total(true);
    case 'value_count':
      return new Distinct(max);
    case 'value_percentile':
    case 'value_median':
      return new Samples(c.percentile ?? 50, max);
    case 'temporal':
      return new Temporal(c.refs.length);
    case 'temporal_ordered':
      return new Ordered(c.refs.length, c.timespanMs);
    case 'absence':
      return new Total(false);
  }
}

// ---- groups and state -----------------------------------------------------------

interface Group {
  readonly key: string;
  readonly values: readonly string[];
  /** Window start (closing windows) or first event time. */
  readonly start: number;
  /** Newest event time. */
  last: number;
  readonly agg: Agg;
  /** The latest contributing event ids and their times. */
  readonly ids: string[];
  readonly idTimes: number[];
}

function firstScalar(v: unknown): string | number | undefined {
  const x = Array.isArray(v) ? v[0] : v;
  if (typeof x === 'string') return x;
  if (typeof x === 'number' || typeof x === 'boolean') return typeof x === 'number' ? x : String(x);
  return undefined;
}

/** What correlations remember an event by: its `event.id`, else its time. */
export function eventId(event: Event): string {
  const id = (event.event as { id?: unknown }).id;
  return typeof id === 'string' && id !== '' ? id : event['@timestamp'];
}

const NUMERIC: ReadonlySet<CorrelationType> = new Set([
  'value_sum',
  'value_avg',
  'value_percentile',
  'value_median',
]);

/**
 * What a correlation takes from an event: its group key (and the group-by
 * values when more than one) and the value field. Plain data,
 * so it can be read where the event was matched (a scan worker) and added
 * where the correlation state lives.
 */
export interface CorrelationInput {
  readonly key: string;
  /** The group-by values, when there are several (else `[key]`). */
  readonly values?: string[];
  /** The value field (value_* types); absent for the others. */
  readonly value?: string | number;
}

/** The event as the reference's correlation reads it; null when a field it needs is missing. */
export function correlationInput(
  c: CompiledCorrelation,
  ref: CorrelationRef,
  event: Event,
): CorrelationInput | null {
  const values: string[] = [];
  for (const p of ref.groupPaths) {
    const v = firstScalar(readPath(event, p));
    if (v === undefined || v === '') return null;
    values.push(String(v));
  }
  let value: string | number | undefined;
  if (ref.valuePaths.length > 0) {
    const parts: string[] = [];
    for (const p of ref.valuePaths) {
      const v = firstScalar(readPath(event, p));
      if (v === undefined || v === '') return null;
      parts.push(String(v));
    }
    if (NUMERIC.has(c.type)) {
      const n = Number(parts[0]);
      if (!Number.isFinite(n)) return null;
      value = n;
    } else value = parts.length === 1 ? parts[0] : parts.join('\u001f');
  }
  const key = values.length === 1 ? values[0]! : values.join('\u001f');
  // Only what is there: the input is cloned to another thread in a scan.
  if (values.length === 1) return value === undefined ? { key } : { key, value };
  return value === undefined ? { key, values } : { key, values, value };
}

class CorrelationState {
  groups = new Map<string, Group>();
  /** A lower bound of the earliest deadline among the groups. */
  nextDue = Infinity;
  /** False once a group went in with an earlier deadline than the last one (out-of-order events). */
  private ordered = true;
  private tailDeadline = -Infinity;
  private readonly suppressUntil = new Map<string, number>();
  evicted = 0;
  expired = 0;
  late = 0;
  skipped = 0;
  suppressed = 0;
  fired = 0;
  private readonly span: number;

  constructor(
    readonly c: CompiledCorrelation,
    private readonly opts: Required<CorrelationEngineOptions>,
  ) {
    this.span = c.timespanMs;
  }

  private deadline(g: Group): number {
    return this.c.eager ? g.last + this.span : g.start + this.span;
  }

  add(ref: CorrelationRef, event: Event, t: number, clock: number, hits: CorrelationHit[]): void {
    this.addInput(ref, correlationInput(this.c, ref, event), eventId(event), t, clock, hits);
  }

  /** Takes an event as `correlationInput` read it (null: it lacked a group-by or value field). */
  addInput(
    ref: CorrelationRef,
    input: CorrelationInput | null,
    id: string,
    t: number,
    clock: number,
    hits: CorrelationHit[],
  ): void {
    if (input === null) {
      this.skipped++;
      return;
    }
    const c = this.c;
    const { key, value } = input;
    const values = input.values ?? [key];
    if (c.type === 'absence') {
      this.seen(key, values, t, clock, id);
      return;
    }
    let g = this.groups.get(key);
    if (g && !c.eager && t > g.start + this.span) {
      this.groups.delete(key);
      this.close(g, hits);
      g = undefined;
    }
    if (g) {
      if (c.eager ? t < g.last - this.span : t < g.start) {
        this.late++;
        return;
      }
    } else {
      g = this.create(key, values, t);
    }
    if (t > g.last) g.last = t;
    g.agg.add(ref.index, t, value, id);
    this.remember(g, t, id);
    if (c.eager) {
      const from = g.last - this.span;
      g.agg.prune(from);
      this.place(g);
      const n = g.agg.value(from);
      if (c.condition!.test(n)) {
        this.groups.delete(key);
        this.fire(g, n, from, g.last, hits);
        return;
      }
    }
  }

  /** absence: the expected event was seen for the group (re-arms it). */
  private seen(key: string, values: string[], t: number, clock: number, id: string): void {
    if (t + this.span < clock) {
      this.late++;
      return;
    }
    let g = this.groups.get(key);
    if (!g) g = this.create(key, values, t);
    if (t >= g.last) {
      g.last = t;
      g.ids[0] = id;
      g.idTimes[0] = t;
      this.place(g);
    }
  }

  /** Puts the group last in the age order; notes when that breaks deadline order. */
  private place(g: Group): void {
    this.groups.delete(g.key);
    this.groups.set(g.key, g);
    const d = this.deadline(g);
    if (d < this.tailDeadline) this.ordered = false;
    else this.tailDeadline = d;
    if (d < this.nextDue) this.nextDue = d;
  }

  private create(key: string, values: string[], t: number): Group {
    if (this.groups.size >= this.opts.maxGroups) {
      const [oldest] = this.groups.keys();
      if (oldest !== undefined) {
        this.groups.delete(oldest);
        this.evicted++;
      }
    }
    const g: Group = {
      key,
      values,
      start: t,
      last: t,
      agg: newAgg(this.c, this.opts.maxEntries),
      ids: [],
      idTimes: [],
    };
    this.place(g);
    return g;
  }

  private remember(g: Group, t: number, id: string): void {
    const ids = g.ids;
    const times = g.idTimes;
    let i = ids.length;
    while (i > 0 && times[i - 1]! > t) i--;
    ids.splice(i, 0, id);
    times.splice(i, 0, t);
    if (ids.length > this.opts.maxEvents) {
      ids.shift();
      times.shift();
    }
  }

  private fire(g: Group, n: number, from: number, at: number, hits: CorrelationHit[]): void {
    let events = g.agg.events?.(from);
    if (!events) {
      events = [];
      g.idTimes.forEach((t, i) => {
        if (t >= from) events!.push(g.ids[i]!);
      });
    }
    const first = g.agg.first(from);
    hits.push({
      correlation: this.c,
      kind: 'match',
      key: g.key,
      values: g.values,
      count: n,
      first: Number.isFinite(first) ? first : g.start,
      last: g.last,
      at,
      events,
    });
  }

  /** A closing window ends: fire when the condition holds on the whole window. */
  private close(g: Group, hits: CorrelationHit[]): void {
    const n = g.agg.value(g.start);
    if (this.c.condition!.test(n)) this.fire(g, n, g.start, g.last, hits);
    else this.expired++;
  }

  private absent(g: Group, clock: number, hits: CorrelationHit[]): void {
    hits.push({
      correlation: this.c,
      kind: 'absence',
      key: g.key,
      values: g.values,
      count: 0,
      first: g.last,
      last: g.last,
      at: clock,
      events: [...g.ids],
    });
  }

  /** The clock moved to `clock`: handle every group whose deadline it passed (head first). */
  sweep(clock: number, hits: CorrelationHit[]): void {
    if (clock <= this.nextDue) return;
    if (!this.ordered) {
      const sorted = [...this.groups.values()].sort((a, b) => this.deadline(a) - this.deadline(b));
      this.groups = new Map(sorted.map((g) => [g.key, g]));
      this.ordered = true;
      const tail = sorted[sorted.length - 1];
      this.tailDeadline = tail ? this.deadline(tail) : -Infinity;
    }
    for (const g of this.groups.values()) {
      const d = this.deadline(g);
      if (d >= clock) {
        this.nextDue = d;
        return;
      }
      this.groups.delete(g.key);
      if (this.c.type === 'absence') this.absent(g, clock, hits);
      else if (!this.c.eager) this.close(g, hits);
      else this.expired++;
    }
    this.nextDue = Infinity;
    this.tailDeadline = -Infinity;
  }

  /** End of input: close every open window; judge every absence group against the clock. */
  flush(clock: number, hits: CorrelationHit[]): void {
    if (this.c.type === 'absence') {
      for (const g of [...this.groups.values()]) {
        if (g.last + this.span < clock) {
          this.groups.delete(g.key);
          this.absent(g, clock, hits);
        }
      }
    } else if (!this.c.eager) {
      const open = [...this.groups.values()];
      this.groups.clear();
      for (const g of open) this.close(g, hits);
      this.nextDue = Infinity;
    }
  }

  /** Suppression: one alert per group per `suppress` after the first. */
  allow(key: string, at: number): boolean {
    const ms = this.c.suppressMs;
    if (ms === undefined) return true;
    const until = this.suppressUntil.get(key);
    if (until !== undefined && at < until) {
      this.suppressed++;
      return false;
    }
    this.suppressUntil.delete(key);
    this.suppressUntil.set(key, at + ms);
    for (const k of this.suppressUntil.keys()) {
      if (this.suppressUntil.size <= this.opts.maxGroups) break;
      this.suppressUntil.delete(k);
    }
    return true;
  }

  memory(): CorrelationMemory {
    let entries = 0;
    let bytes = 256 + this.suppressUntil.size * 80;
    for (const g of this.groups.values()) {
      entries += g.agg.size();
      bytes += 160 + g.key.length * 4 + g.agg.bytes() + g.ids.length * 64;
    }
    return {
      id: this.c.id,
      title: this.c.title,
      type: this.c.type,
      groups: this.groups.size,
      entries,
      approxBytes: bytes,
      evicted: this.evicted,
      expired: this.expired,
      late: this.late,
      skipped: this.skipped,
      suppressed: this.suppressed,
      fired: this.fired,
    };
  }

  /** Takes over the groups and counters of the same correlation from a previous engine. */
  adopt(prev: CorrelationState): void {
    for (const [k, g] of prev.groups) this.groups.set(k, g);
    this.ordered = false;
    for (const [k, u] of prev.suppressUntil) this.suppressUntil.set(k, u);
    this.nextDue = prev.nextDue;
    this.evicted = prev.evicted;
    this.expired = prev.expired;
    this.late = prev.late;
    this.skipped = prev.skipped;
    this.suppressed = prev.suppressed;
    this.fired = prev.fired;
  }
}

interface Target {
  readonly state: CorrelationState;
  readonly ref: CorrelationRef;
}

/**
 * Runs a set of compiled correlations. Events reach a correlation only
 * through `onMatch` for a rule it references; hits of a correlation feed the
 * correlations that reference it (chains), and become alerts unless every
 * correlation referencing it leaves `generate` false.
 */
export class CorrelationEngine {
  private readonly states: CorrelationState[] = [];
  private readonly byCorrelation = new Map<CompiledCorrelation, CorrelationState>();
  private readonly byRule = new Map<CompiledRule, Target[]>();
  private readonly fromCorrelation = new Map<CompiledCorrelation, Target[]>();
  private readonly alerting = new Set<CompiledCorrelation>();
  /** Rules whose own alerts are withheld: referenced only by correlations without `generate`. */
  readonly silentRules = new Set<CompiledRule>();
  private clock = -Infinity;
  private nextDue = Infinity;

  constructor(
    readonly correlations: readonly CompiledCorrelation[],
    opts: CorrelationEngineOptions = {},
  ) {
    const o: Required<CorrelationEngineOptions> = {
      maxGroups: opts.maxGroups ?? DEFAULT_MAX_GROUPS,
      maxEvents: opts.maxEvents ?? DEFAULT_MAX_EVENTS,
      maxEntries: opts.maxEntries ?? DEFAULT_MAX_ENTRIES,
    };
    const generated = new Set<CompiledRule | CompiledCorrelation>();
    const referenced = new Set<CompiledRule | CompiledCorrelation>();
    const referencedRules = new Set<CompiledRule>();
    for (const c of correlations) {
      const state = new CorrelationState(c, o);
      this.states.push(state);
      this.byCorrelation.set(c, state);
    }
    for (const c of correlations) {
      const state = this.byCorrelation.get(c)!;
      for (const ref of c.refs) {
        const src = ref.source;
        const target = src.kind === 'rule' ? src.rule : src.correlation;
        referenced.add(target);
        if (src.kind === 'rule') referencedRules.add(src.rule);
        if (c.generate) generated.add(target);
        const map = (src.kind === 'rule' ? this.byRule : this.fromCorrelation) as Map<
          CompiledRule | CompiledCorrelation,
          Target[]
        >;
        const list = map.get(target);
        if (list) list.push({ state, ref });
        else map.set(target, [{ state, ref }]);
      }
    }
    for (const c of correlations) if (!referenced.has(c) || generated.has(c)) this.alerting.add(c);
    for (const r of referencedRules) if (!generated.has(r)) this.silentRules.add(r);
  }

  /** The newest event time seen (ms), -Infinity before the first. */
  get now(): number {
    return this.clock;
  }

  /** Does any correlation read this rule's matches? */
  reads(rule: CompiledRule): boolean {
    return this.byRule.has(rule);
  }

  /**
   * A rule matched the event: feed the correlations that reference it. `time`
   * is the event's `@timestamp` in ms when the caller has parsed it already.
   */
  onMatch(
    rule: CompiledRule,
    event: Event,
    out: (alert: Alert) => void,
    time = Date.parse(event['@timestamp']),
  ): void {
    const inputs = this.inputs(rule, event);
    if (inputs) this.feed(rule, inputs, eventId(event), out, time);
  }

  /**
   * What each correlation referencing the rule takes from the event, in the
   * engine's order of them: `onMatch` split in two, so a scan worker can read
   * events and the thread holding the state can `feed` them.
   */
  inputs(rule: CompiledRule, event: Event): (CorrelationInput | null)[] | undefined {
    return this.byRule.get(rule)?.map(({ state, ref }) => correlationInput(state.c, ref, event));
  }

  /** The second half of `onMatch`: adds what `inputs` read to the correlations' state. */
  feed(
    rule: CompiledRule,
    inputs: readonly (CorrelationInput | null)[],
    id: string,
    out: (alert: Alert) => void,
    t: number,
  ): void {
    const targets = this.byRule.get(rule);
    if (!targets) return;
    if (!Number.isFinite(t)) {
      for (const x of targets) x.state.skipped++;
      return;
    }
    const hits: CorrelationHit[] = [];
    for (let i = 0; i < targets.length; i++) {
      const { state, ref } = targets[i]!;
      state.addInput(ref, inputs[i] ?? null, id, t, this.clock, hits);
      if (state.nextDue < this.nextDue) this.nextDue = state.nextDue;
    }
    if (hits.length > 0) this.deliver(hits, out);
  }

  /** Event time moved to `t` (ms): close, expire and judge absence where deadlines passed. */
  advance(t: number, out: (alert: Alert) => void): void {
    if (!(t > this.clock)) return;
    this.clock = t;
    if (t <= this.nextDue) return;
    const hits: CorrelationHit[] = [];
    let next = Infinity;
    for (const s of this.states) {
      s.sweep(t, hits);
      if (s.nextDue < next) next = s.nextDue;
    }
    this.nextDue = next;
    if (hits.length > 0) this.deliver(hits, out);
  }

  /** End of input: close open windows and judge absence (inner correlations first). */
  flush(out: (alert: Alert) => void): void {
    for (const s of this.states) {
      const hits: CorrelationHit[] = [];
      s.flush(this.clock, hits);
      if (hits.length > 0) this.deliver(hits, out);
    }
    this.nextDue = Math.min(...this.states.map((s) => s.nextDue), Infinity);
  }

  private deliver(hits: CorrelationHit[], out: (alert: Alert) => void): void {
    const alerts: Alert[] = [];
    for (let i = 0; i < hits.length; i++) {
      const h = hits[i]!;
      const state = this.byCorrelation.get(h.correlation)!;
      state.fired++;
      if (!state.allow(h.key, h.at)) continue;
      const alert = correlationAlert(h);
      if (this.alerting.has(h.correlation)) alerts.push(alert);
      const outer = this.fromCorrelation.get(h.correlation);
      if (outer) {
        const ev = alertToEvent(alert);
        for (const { state: s, ref } of outer) {
          s.add(ref, ev, h.at, this.clock, hits);
          if (s.nextDue < this.nextDue) this.nextDue = s.nextDue;
        }
      }
    }
    for (const a of alerts) out(a);
  }

  memory(): CorrelationMemory[] {
    return this.states.map((s) => s.memory());
  }

  /**
   * Keeps the state of correlations whose definition did not change (same
   * signature) from the engine this one replaces (rule reload).
   */
  adopt(prev: CorrelationEngine): void {
    const bySig = new Map(prev.states.map((s) => [s.c.signature, s]));
    for (const s of this.states) {
      const old = bySig.get(s.c.signature);
      if (old) s.adopt(old);
    }
    this.clock = Math.max(this.clock, prev.clock);
    this.nextDue = Math.min(...this.states.map((s) => s.nextDue), Infinity);
  }
}
