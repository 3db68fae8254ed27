import type { Alert, Event } from '../event/types.js';
import type { Detector } from '../pipeline/detect.js';
import { EventView, matches, type CompiledRule } from './compile.js';
import { alertToEvent } from './correlation-alert.js';
import {
  CorrelationEngine,
  type CorrelationEngineOptions,
  type CorrelationMemory,
} from './correlation-engine.js';
import { ruleExtension, type CompiledCorrelation } from './correlation.js';
import type { MappingEntry } from './mapping.js';

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

interface Group {
  readonly entry: MappingEntry;
  /** path → lower-case value → rules. */
  readonly index: Map<string, Map<string, CompiledRule[]>>;
  readonly unindexed: CompiledRule[];
}

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

export class SigmaDetector implements Detector {
  readonly name = 'sigma';
  private readonly groups: Group[] = [];
  private readonly order = new Map<CompiledRule, number>();
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
    rules.forEach((r, i) => {
      this.order.set(r, i);
      let g = byEntry.get(r.entry.id);
      if (!g) {
        g = { entry: r.entry, index: new Map(), unindexed: [] };
        byEntry.set(r.entry.id, g);
        this.groups.push(g);
      }
      const req = useIndex ? r.requirement : undefined;
      if (!req) {
        g.unindexed.push(r);
        return;
      }
      let byValue = g.index.get(req.path);
      if (!byValue) {
        byValue = new Map();
        g.index.set(req.path, byValue);
      }
      for (const v of req.values) {
        const list = byValue.get(v);
        if (list) list.push(r);
        else byValue.set(v, [r]);
      }
    });
  }

  /** The rules an event could match, in load order: applicable logsource and index hit. */
  candidates(event: Event, view: EventView = new EventView(event)): CompiledRule[] {
    const out: CompiledRule[] = [];
    for (const g of this.groups) {
      if (!g.entry.applies(event)) continue;
      if (g.index.size === 0) {
        out.push(...g.unindexed);
        continue;
      }
      const found = new Set<CompiledRule>(g.unindexed);
      for (const [path, byValue] of g.index) {
        for (const v of view.lowered(path)) {
          const hit = byValue.get(v);
          if (hit) for (const r of hit) found.add(r);
        }
      }
      out.push(...found);
    }
    if (this.groups.length > 1 || out.length > 1) {
      out.sort((a, b) => this.order.get(a)! - this.order.get(b)!);
    }
    return out;
  }

  /** The rules that match the event, in load order. */
  match(event: Event): CompiledRule[] {
    const view = new EventView(event);
    return this.candidates(event, view).filter((r) => matches(r, view));
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
    const emit = this.emitter(raise, depth);
    const engine = this.engine;
    if (engine) engine.advance(Date.parse(event['@timestamp']), emit);
    const view = new EventView(event);
    const rules =
      event.event?.kind === 'alert'
        ? this.alertRules.filter((r) => r.entry.applies(event))
        : this.candidates(event, view);
    let feed: CompiledRule[] | undefined;
    for (const r of rules) {
      if (!matches(r, view)) continue;
      if (!engine?.silentRules.has(r)) {
        const alert = buildAlert(r, event);
        if (this.allow(r, alert, view)) emit(alert);
      }
      if (engine?.reads(r)) (feed ??= []).push(r);
    }
    // correlations after the event's own alerts
    if (feed) for (const r of feed) engine!.onMatch(r, event, emit);
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

function str(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

/** One alert for one matching event. */
export function buildAlert(rule: CompiledRule, event: Event): Alert {
  const view = new EventView(event);
  const group: Record<string, string> = {};
  for (const f of GROUP_FIELDS) {
    const v = str(view.values(f)[0]);
    if (v !== undefined) group[f] = v;
  }
  const alert: Alert = {
    '@timestamp': event['@timestamp'],
    rule: { id: rule.id, title: rule.title, level: rule.level, tags: [...rule.tags] },
    severity: rule.severity,
    first_seen: event['@timestamp'],
    last_seen: event['@timestamp'],
    count: 1,
  };
  const message = event.message ?? event.event.original;
  if (message !== undefined) alert.message = message.slice(0, MAX_MESSAGE);
  if (Object.keys(group).length > 0) alert.group = group;
  if (event.host?.name) alert.host = { name: event.host.name };
  if (event.source?.ip) alert.source = { ip: event.source.ip };
  if (event.user?.name) alert.user = { name: event.user.name };
  return alert;
}
