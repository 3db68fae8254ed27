import { EpochReader } from '../event/epoch.js';
import type { Alert, Event } from '../event/types.js';
import type { Detector } from '../pipeline/detect.js';
import { EventView, matches, type CompiledRule, type IndexKey } from './compile.js';
import { alertToEvent } from './correlation-alert.js';
import {
  CorrelationEngine,
  type CorrelationEngineOptions,
  type CorrelationInput,
  eventId,
  type CorrelationMemory,
} from './correlation-engine.js';
import { ruleExtension, type CompiledCorrelation } from './correlation.js';
import { pathReader, type MappingEntry } from './mapping.js';

/*
 * The Sigma detector. Rules are grouped by logsource entry (the entry's
 * predicate runs once per event) and, inside a group, indexed by a required
 * field equality where the rule has one, so an event is only tested against
 * rules that could match it. A matching rule raises its alert (unless only
 * correlations without `generate` reference it, or `vigil.suppress` holds it
 * back) and feeds the correlations that reference it. Every alert raised goes
 * back through the detector as an event (alertToEvent) for the rules that
 * match alerts, up to `maxChainDepth` times.
 */

/** How many times an alert may re-enter the detector as an event (alert of an alert of ...). */
export const DEFAULT_MAX_CHAIN_DEPTH = 4;

/** Fields copied into an alert's `group` when the event has them. */
export const GROUP_FIELDS = [
  'host.name',
  'source.ip',
  'user.name',
  'user.target.name',
  'process.name',
  'destination.ip',
  'file.path',
] as const;

const MAX_MESSAGE = 512;

/** The rules filed under one indexed value (its identity keys a plan's merge cache). */
interface Bucket {
  readonly rules: CompiledRule[];
}

interface Group {
  readonly entry: MappingEntry;
  /** path → lower-case value → rules. */
  readonly index: Map<string, Map<string, Bucket>>;
  readonly unindexed: CompiledRule[];
}

/** One path of a plan's index. */
interface IndexPath {
  readonly read: (event: Event) => unknown;
  /** Value (lower-case) → the groups' buckets for it. */
  readonly byValue: Map<string, readonly Bucket[]>;
  /**
   * `lengths[n]` is 1 when some value has n characters (the last entry
   * stands for every longer one): most values hit nothing, and a length
   * check spares them the lookups and the lower-casing (of whole messages,
   * for a keyword index).
   */
  readonly lengths: Uint8Array;
}

/**
 * What the groups whose logsource applies to an event amount to: their
 * unindexed rules merged in load order and their indexes. Events of one kind
 * (same program, category, decoder, ...) share one plan, so the logsource
 * predicates run once per kind, not once per event.
 */
interface Plan {
  readonly unindexed: readonly CompiledRule[];
  /** Per path the plan's groups index (each read once): value → the groups' buckets for it. */
  readonly index: readonly IndexPath[];
  /**
   * Candidate lists by the buckets an event hit, in the order it hit them:
   * the unindexed rules and theirs, merged in load order once per
   * combination seen. A trie on the buckets themselves: no key to build.
   */
  readonly merged: MergeNode;
  /** Lists `merged` holds. */
  mergedCount: number;
}

interface MergeNode {
  readonly next: Map<Bucket, MergeNode>;
  list?: readonly CompiledRule[];
}

/** Merged candidate lists kept per plan (combinations of hit buckets). */
const MAX_MERGED = 256;

/**
 * The plan cache: a trie over the values of the paths the logsource
 * predicates read, one level per path. A value is its own text; absent, null
 * and [] (which predicates cannot tell apart) share `absent`; a one-element
 * list is its element (as predicates see it); longer lists go by their JSON.
 * Telling apart more than the predicates do (case, numbers from their text)
 * only costs an extra plan, never a wrong one.
 */
interface PlanNode {
  readonly next: Map<string, PlanNode>;
  absent?: PlanNode;
  /** Any object (a predicate reads each as "[object object]"). */
  object?: PlanNode;
  lists?: Map<string, PlanNode>;
  plan?: Plan;
}

/** Plans kept per detector; past it the cache starts over (a flood of distinct programs). */
const MAX_PLANS = 1024;

export interface SigmaDetectorOptions extends CorrelationEngineOptions {
  /** Use the literal index (default true); false tests every rule of the logsource. */
  index?: boolean;
  /** Compiled correlations to run (`LoadedRules.correlations`); their rules must be in `rules`. */
  correlations?: readonly CompiledCorrelation[];
  /** Re-entries of alerts as events (default 4); 0 turns alert chaining off. */
  maxChainDepth?: number;
}

/**
 * Rules that see alerts: a selection requires `event.kind: alert`, or the
 * logsource is an alert one (category `alert`). Other rules never see alert
 * events, so a keyword rule cannot match the message its own alert copied.
 */
export function matchesAlerts(rule: CompiledRule): boolean {
  if (rule.entry.logsource.category?.toLowerCase() === 'alert') return true;
  return rule.selections.some((s) =>
    s.requirements.some((r) => r.path === 'event.kind' && r.values.includes('alert')),
  );
}

interface RuleSuppression {
  readonly ms: number;
  /** Paths of `vigil.group-by`; undefined: the alert's group. */
  readonly paths?: readonly string[];
  readonly until: Map<string, number>;
}

export interface RuleExplanation {
  readonly rule: CompiledRule;
  readonly matched: boolean;
  /** Names of the selections that held for the event. */
  readonly selections: readonly string[];
  /** Titles of the filters that excluded the event, when the condition held. */
  readonly filteredBy: readonly string[];
}

/**
 * What matching one event produced, as plain data: `matchRecord` on one
 * thread, `apply` on another (a scan worker matches, the main thread holds
 * the correlation state).
 */
export interface MatchRecord {
  /** Event time in ms (NaN when unparseable, or when no correlation needs it). */
  readonly t: number;
  /** Alerts of the single-event rules that matched, in rule order. */
  alerts?: Alert[];
  /** Per matched rule a correlation reads: its index in `rules`, and what each of its correlations takes. */
  feeds?: [rule: number, inputs: (CorrelationInput | null)[]][];
  /** The event's id for correlations (`eventId`), with `feeds`. */
  id?: string;
}

export class SigmaDetector implements Detector {
  readonly name = 'sigma';
  private readonly groups: Group[] = [];
  private readonly order = new Map<CompiledRule, number>();
  /** Readers of the paths every logsource predicate reads, when all of them say (else no plan cache). */
  private readonly planPaths: readonly ((event: Event) => unknown)[] | undefined;
  private plans: PlanNode = { next: new Map() };
  private planCount = 0;
  private readonly epoch = new EpochReader();
  /** Buckets the current event hit (reused: `candidatesOf` runs once per event at a time). */
  private readonly hits: Bucket[] = [];
  /** One view per alert-chaining depth, reused from event to event. */
  private readonly views: EventView[] = [];
  readonly correlations: readonly CompiledCorrelation[];
  private readonly engine: CorrelationEngine | undefined;
  private readonly alertRules: CompiledRule[];
  private readonly suppression = new Map<CompiledRule, RuleSuppression>();
  private readonly maxDepth: number;
  /** Alerts withheld by single-rule `vigil.suppress`. */
  suppressed = 0;

  constructor(
    readonly rules: readonly CompiledRule[],
    opts: SigmaDetectorOptions = {},
  ) {
    this.correlations = opts.correlations ?? [];
    this.engine =
      this.correlations.length > 0 ? new CorrelationEngine(this.correlations, opts) : undefined;
    this.alertRules = rules.filter(matchesAlerts);
    this.maxDepth = opts.maxChainDepth ?? DEFAULT_MAX_CHAIN_DEPTH;
    for (const r of rules) {
      const ext = ruleExtension(r.rule);
      if (ext.suppressMs === undefined) continue;
      this.suppression.set(r, {
        ms: ext.suppressMs,
        paths: ext.groupBy?.map((f) => r.entry.resolveField(f).path),
        until: new Map(),
      });
    }
    const useIndex = opts.index ?? true;
    const byEntry = new Map<string, Group>();
    const pick = indexKeys(rules);
    rules.forEach((r, i) => {
      this.order.set(r, i);
      let g = byEntry.get(r.entry.id);
      if (!g) {
        g = { entry: r.entry, index: new Map(), unindexed: [] };
        byEntry.set(r.entry.id, g);
        this.groups.push(g);
      }
      const key = useIndex ? pick(r) : undefined;
      if (!key) {
        g.unindexed.push(r);
        return;
      }
      for (const req of key) {
        let byValue = g.index.get(req.path);
        if (!byValue) {
          byValue = new Map();
          g.index.set(req.path, byValue);
        }
        for (const v of req.values) {
          const b = byValue.get(v);
          if (!b) byValue.set(v, { rules: [r] });
          else if (b.rules[b.rules.length - 1] !== r) b.rules.push(r);
        }
      }
    });
    const reads = this.groups.map((g) => g.entry.reads);
    this.planPaths = reads.every((x) => x !== undefined)
      ? [...new Set(reads.flat() as string[])].map(pathReader)
      : undefined;
  }

  /** The rules an event could match, in load order: applicable logsource and index hit. */
  candidates(event: Event): CompiledRule[] {
    return [...this.candidatesOf(event)];
  }

  /** `candidates` without the copy: a list the plan keeps (do not change it). */
  private candidatesOf(event: Event): readonly CompiledRule[] {
    const plan = this.planFor(event);
    const hits = this.hits;
    hits.length = 0;
    let node: MergeNode | undefined = plan.merged;
    // The event is read directly (not through the view): most events hit
    // nothing, and then no rule ever reads these fields through the view.
    for (const { read, byValue, lengths } of plan.index) {
      const x = read(event);
      if (x === undefined || x === null) continue;
      const n = Array.isArray(x) ? x.length : 1;
      for (let i = 0; i < n; i++) {
        const y: unknown = Array.isArray(x) ? x[i] : x;
        // Only scalars are field values (as EventView.values has them).
        if (typeof y !== 'string' && typeof y !== 'number' && typeof y !== 'boolean') continue;
        // Index values are lower-case, as field values mostly are already.
        const v = typeof y === 'string' ? y : String(y);
        if (lengths[Math.min(v.length, lengths.length - 1)] === 0 && !v.includes('\u0130')) {
          continue;
        }
        const bs = byValue.get(v) ?? byValue.get(v.toLowerCase());
        if (bs) {
          for (const b of bs) {
            hits.push(b);
            node = node?.next.get(b);
          }
        }
      }
    }
    if (hits.length === 0) return plan.unindexed;
    if (node?.list) return node.list;
    const all = [...plan.unindexed];
    for (const b of hits) for (const r of b.rules) all.push(r);
    const order = this.order;
    all.sort((a, b) => order.get(a)! - order.get(b)!);
    // A list field may hit one rule through several of its values.
    let n = 1;
    for (let i = 1; i < all.length; i++) if (all[i] !== all[n - 1]) all[n++] = all[i]!;
    all.length = n;
    if (plan.mergedCount < MAX_MERGED) {
      plan.mergedCount++;
      let at = plan.merged;
      for (const b of hits) {
        let next = at.next.get(b);
        if (!next) at.next.set(b, (next = { next: new Map() }));
        at = next;
      }
      at.list = all;
    }
    return all;
  }

  private planFor(event: Event): Plan {
    const paths = this.planPaths;
    if (!paths) return this.buildPlan(event);
    let node = this.plans;
    for (const read of paths) {
      const x = read(event);
      let next: PlanNode | undefined;
      if (x === undefined || x === null || (Array.isArray(x) && x.length === 0)) {
        next = node.absent ??= { next: new Map() };
      } else if (Array.isArray(x) && x.length > 1) {
        const k = listKey(x);
        const lists = (node.lists ??= new Map());
        next = lists.get(k);
        if (!next) lists.set(k, (next = { next: new Map() }));
      } else {
        const v: unknown = Array.isArray(x) ? x[0] : x;
        if (v !== null && typeof v === 'object') {
          next = node.object ??= { next: new Map() };
        } else {
          const k = typeof v === 'string' ? v : String(v);
          next = node.next.get(k);
          if (!next) node.next.set(k, (next = { next: new Map() }));
        }
      }
      node = next;
    }
    if (node.plan === undefined) {
      if (++this.planCount > MAX_PLANS) {
        this.plans = { next: new Map() };
        this.planCount = 0;
      }
      node.plan = this.buildPlan(event);
    }
    return node.plan;
  }

  private buildPlan(event: Event): Plan {
    const unindexed: CompiledRule[] = [];
    const byPath = new Map<string, Map<string, Bucket[]>>();
    for (const g of this.groups) {
      if (!g.entry.applies(event)) continue;
      unindexed.push(...g.unindexed);
      for (const [path, byValue] of g.index) {
        let merged = byPath.get(path);
        if (!merged) byPath.set(path, (merged = new Map()));
        for (const [v, b] of byValue) {
          const list = merged.get(v);
          if (list) list.push(b);
          else merged.set(v, [b]);
        }
      }
    }
    unindexed.sort((a, b) => this.order.get(a)! - this.order.get(b)!);
    const index = [...byPath].map(([path, byValue]) => ({
      read: pathReader(path),
      byValue,
      lengths: lengthsOf(byValue.keys()),
    }));
    return { unindexed, index, merged: { next: new Map() }, mergedCount: 0 };
  }

  /** Epoch ms of an event's `@timestamp` (NaN when unparseable). */
  private timeOf(event: Event): number {
    return this.epoch.read(event['@timestamp']);
  }

  /** The rules that match the event, in load order. */
  match(event: Event): CompiledRule[] {
    const view = new EventView(event);
    return this.candidatesOf(event).filter((r) => matches(r, view));
  }

  process(event: Event, raise: (alert: Alert) => void): void {
    this.run(event, raise, 0);
  }

  /** Raises an alert and, below the depth limit, runs it back through as an event. */
  private emitter(raise: (alert: Alert) => void, depth: number): (alert: Alert) => void {
    if (depth >= this.maxDepth || this.alertRules.length === 0) return raise;
    return (a) => {
      raise(a);
      this.run(alertToEvent(a), raise, depth + 1);
    };
  }

  private run(event: Event, raise: (alert: Alert) => void, depth: number): void {
    this.applyAt(this.matchAt(event, depth), raise, depth);
  }

  /**
   * The first half of `process`: matches the event against the rules and
   * returns its alerts and what the correlations take from it, touching no
   * correlation state. A scan worker runs this and sends the record to the
   * thread that `apply`s it.
   */
  matchRecord(event: Event): MatchRecord {
    return this.matchAt(event, 0);
  }

  /** The second half of `process`: moves the correlation clock, raises the alerts, feeds correlations. */
  apply(record: MatchRecord, raise: (alert: Alert) => void): void {
    this.applyAt(record, raise, 0);
  }

  private matchAt(event: Event, depth: number): MatchRecord {
    const engine = this.engine;
    const record: MatchRecord = { t: engine ? this.timeOf(event) : NaN };
    let view = this.views[depth];
    if (view) view.reset(event);
    else view = this.views[depth] = new EventView(event);
    const rules =
      event.event?.kind === 'alert'
        ? this.alertRules.filter((r) => r.entry.applies(event))
        : this.candidatesOf(event);
    for (const r of rules) {
      if (!matches(r, view)) continue;
      if (!engine?.silentRules.has(r)) {
        const alert = buildAlert(r, event);
        if (this.allow(r, alert, view)) (record.alerts ??= []).push(alert);
      }
      const inputs = engine?.inputs(r, event);
      if (inputs) {
        (record.feeds ??= []).push([this.order.get(r)!, inputs]);
        record.id ??= eventId(event);
      }
    }
    return record;
  }

  private applyAt(record: MatchRecord, raise: (alert: Alert) => void, depth: number): void {
    const emit = this.emitter(raise, depth);
    const engine = this.engine;
    if (engine) engine.advance(record.t, emit);
    if (record.alerts) for (const a of record.alerts) emit(a);
    // correlations after the event's own alerts
    if (engine && record.feeds) {
      const id = record.id!;
      for (const [i, inputs] of record.feeds)
        engine.feed(this.rules[i]!, inputs, id, emit, record.t);
    }
  }

  /** Single-rule `vigil.suppress`: one alert per group per window after the first. */
  private allow(rule: CompiledRule, alert: Alert, view: EventView): boolean {
    const s = this.suppression.get(rule);
    if (!s) return true;
    const t = Date.parse(alert['@timestamp']);
    if (!Number.isFinite(t)) return true;
    const key = s.paths
      ? s.paths.map((p) => String(view.values(p)[0] ?? '')).join('\u001f')
      : JSON.stringify(alert.group ?? {});
    const until = s.until.get(key);
    if (until !== undefined && t < until) {
      this.suppressed++;
      return false;
    }
    s.until.delete(key);
    s.until.set(key, t + s.ms);
    for (const k of s.until.keys()) {
      if (s.until.size <= 10_000) break;
      s.until.delete(k);
    }
    return true;
  }

  /** End of input (scan) or shutdown: close open correlation windows, judge absence. */
  flush(raise: (alert: Alert) => void): void {
    this.engine?.flush(this.emitter(raise, 0));
  }

  /**
   * Moves the correlation clock to `now` (ms or Date) without an event: for
   * live mode, so absence fires on a quiet input. Never call it while
   * scanning old files (it would make their events late). The clock never
   * goes back.
   */
  tick(now: number | Date, raise: (alert: Alert) => void): void {
    const t = typeof now === 'number' ? now : now.getTime();
    this.engine?.advance(t, this.emitter(raise, 0));
  }

  /** Correlation state per correlation, for `vigil status`. */
  memory(): CorrelationMemory[] {
    return this.engine?.memory() ?? [];
  }

  /** Takes over the state of unchanged correlations from the detector this one replaces. */
  adopt(previous: SigmaDetector): void {
    if (this.engine && previous.engine) this.engine.adopt(previous.engine);
  }

  /**
   * For `logtest`: every rule whose logsource covers the event, whether it
   * matched, which selections held and which filters excluded it.
   */
  explain(event: Event): RuleExplanation[] {
    const view = new EventView(event);
    const out: RuleExplanation[] = [];
    for (const r of this.rules) {
      if (!r.entry.applies(event)) continue;
      const selections = r.selections.filter((s) => s.test(view)).map((s) => s.name);
      const cond = r.condition(view);
      const filteredBy = cond
        ? r.filters.filter((f) => !f.test(view)).map((f) => f.filter.title)
        : [];
      out.push({ rule: r, matched: cond && filteredBy.length === 0, selections, filteredBy });
    }
    return out;
  }
}

/**
 * The index key of each rule: of its keys, the one whose entries the fewest
 * other rules share, so that rules with a common requirement
 * (`event.action: ssh_login`) that each watch their own user or address are
 * filed by the user or address. Ties keep the key with fewer values.
 */
function indexKeys(rules: readonly CompiledRule[]): (r: CompiledRule) => IndexKey | undefined {
  const keysOf = (r: CompiledRule): readonly IndexKey[] =>
    r.keys ?? (r.requirement ? [[r.requirement]] : []);
  const entry = (path: string, v: string) => `${path}\u001f${v}`;
  const load = new Map<string, number>();
  for (const r of rules) {
    const seen = new Set<string>();
    for (const k of keysOf(r))
      for (const q of k) for (const v of q.values) seen.add(entry(q.path, v));
    for (const e of seen) load.set(e, (load.get(e) ?? 0) + 1);
  }
  const cost = (k: IndexKey): [number, number] => {
    let shared = 0;
    let values = 0;
    for (const q of k) {
      for (const v of q.values) shared += load.get(entry(q.path, v))!;
      values += q.values.length;
    }
    return [shared, values];
  };
  return (r) => {
    let best: IndexKey | undefined;
    let bestCost: [number, number] = [Infinity, Infinity];
    for (const k of keysOf(r)) {
      const c = cost(k);
      if (c[0] < bestCost[0] || (c[0] === bestCost[0] && c[1] < bestCost[1])) {
        best = k;
        bestCost = c;
      }
    }
    return best;
  };
}

const GROUP_READERS = GROUP_FIELDS.map(pathReader);

/** The first scalar a field holds (as `EventView.values(...)[0]`). */
function firstOf(x: unknown): unknown {
  if (!Array.isArray(x)) return x;
  for (const e of x)
    if (typeof e === 'string' || typeof e === 'number' || typeof e === 'boolean') return e;
  return undefined;
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

/** One alert for one matching event. */
export function buildAlert(rule: CompiledRule, event: Event): Alert {
  let group: Record<string, string> | undefined;
  for (let i = 0; i < GROUP_FIELDS.length; i++) {
    const v = str(firstOf(GROUP_READERS[i]!(event)));
    if (v !== undefined) (group ??= {})[GROUP_FIELDS[i]!] = v;
  }
  const message = event.message ?? event.event.original;
  return singleAlert(rule, {
    timestamp: event['@timestamp'],
    message: message?.slice(0, MAX_MESSAGE),
    group,
    host: event.host?.name || undefined,
    source: event.source?.ip || undefined,
    user: event.user?.name || undefined,
  });
}

/** What tells one single-event alert of a rule from another; the rest comes from the rule. */
export interface AlertParts {
  timestamp: string;
  message: string | undefined;
  /** Keys in GROUP_FIELDS order. */
  group: Record<string, string> | undefined;
  host: string | undefined;
  source: string | undefined;
  user: string | undefined;
}

/** A single-event alert of `rule` (a scan worker sends only the parts). */
export function singleAlert(rule: CompiledRule, parts: AlertParts): Alert {
  const alert: Alert = {
    '@timestamp': parts.timestamp,
    rule: { id: rule.id, title: rule.title, level: rule.level, tags: [...rule.tags] },
    severity: rule.severity,
    first_seen: parts.timestamp,
    last_seen: parts.timestamp,
    count: 1,
  };
  if (parts.message !== undefined) alert.message = parts.message;
  if (parts.group) alert.group = parts.group;
  if (parts.host !== undefined) alert.host = { name: parts.host };
  if (parts.source !== undefined) alert.source = { ip: parts.source };
  if (parts.user !== undefined) alert.user = { name: parts.user };
  return alert;
}

/** Index values no longer than this are told apart by length; longer ones share a slot. */
const MAX_INDEXED_LENGTH = 64;

function lengthsOf(values: Iterable<string>): Uint8Array {
  const lengths = new Uint8Array(MAX_INDEXED_LENGTH + 2);
  // Lower-casing keeps the length of every string but those with U+0130
  // (it becomes two code units): the lookup checks for it.
  for (const v of values) lengths[Math.min(v.length, MAX_INDEXED_LENGTH + 1)] = 1;
  return lengths;
}

/** A plan key for a list of several values: each as `String` gives it, after its length. */
function listKey(list: readonly unknown[]): string {
  let k = '';
  for (const v of list) {
    const s = typeof v === 'string' ? v : String(v);
    k += `${s.length}:${s}`;
  }
  return k;
}
