/*
 * The anomaly engine: consumes `event.kind: metric` events, learns a
 * time-of-week baseline per (host, metric), and turns the classes a sample
 * raises into anomaly events for the rules. What it does with a sample:
 *  1. garbage (non-finite value, unreadable time) is counted and dropped;
 *  2. before the learning period is over, the sample is only learned;
 *  3. otherwise it is judged against its slot (mean + a slowly tracked
 *     offset, so slow drift is absorbed instead of alarming), then learned;
 *  4. each class that fires and is not already held becomes one event;
 *     a class stays held for `hold` after it last fired (cfengine SetState),
 *     so a sustained anomaly is one event, not one per sample.
 */
import type { AnomalyConfig } from '../config/schema.js';
import type { Event } from '../event/types.js';
import { SlotBaseline, slotLabel } from './baseline.js';
import { LEVEL_RANK, LevelShift, MetricClasses, type Level } from './classes.js';
import { classSafe, entropyClass, entropyLevel, shannonEntropy } from './entropy.js';

const DAY_MS = 86_400_000;
/** The offset follows the residual with a one-day time constant: drift, not events. */
const OFFSET_TAU_MS = DAY_MS;
/** Weight (in samples) of the metric-wide spread in a slot's σ. */
const PRIOR_WEIGHT = 12;
/** Top source keys kept per distribution metric, for the report. */
const MAX_KEYS = 16;
/** Sampling interval assumed until two samples have been seen. */
const DEFAULT_INTERVAL_MS = 60_000;
/** `lastClasses` of a sample that raised none. */
const NO_CLASSES: readonly string[] = [];

const round = (v: number): number => Math.round(v * 1000) / 1000;

export interface MetricState {
  key: string;
  host: string;
  metric: string;
  /** The metric name as it appears in class names. */
  safeName: string;
  baseline: SlotBaseline;
  first: number;
  last: number;
  interval: number;
  offset: number;
  /** Variance of residuals across all slots: the prior a young slot's σ is shrunk toward. */
  spread: number;
  shift: LevelShift;
  lastValue: number;
  lastSigma: number;
  lastMean: number;
  lastStddev: number;
  /** Shared with `names` when only σ classes fired: replaced, never mutated. */
  lastClasses: readonly string[];
  /** Built at the first judgement (after a restart too). */
  names?: MetricClasses;
  /** Daily maxima, newest last, at most 8. */
  peaks: Array<{ day: number; value: number; at: number }>;
  /** Decayed counts of the top source keys (distribution metrics only). */
  keys?: Map<string, number>;
  entropy?: number;
  dirty: boolean;
}

export interface EngineCounters {
  samples: number;
  garbage: number;
  events: number;
  evicted: number;
}

export class AnomalyEngine {
  readonly states = new Map<string, MetricState>();
  readonly counters: EngineCounters = { samples: 0, garbage: 0, events: 0, evicted: 0 };
  /** Held classes by `host|class` → expiry (ms). */
  readonly held = new Map<string, number>();
  /**
   * host → metric → state: the per-sample index, kept in step with `states`
   * (so remove states with `reset` or `forget`, not on `states` directly).
   */
  private readonly byHost = new Map<string, Map<string, MetricState>>();
  private readonly emitRank: number;

  constructor(
    readonly cfg: AnomalyConfig,
    private readonly source = 'anomaly',
  ) {
    this.emitRank = LEVEL_RANK[cfg.emit];
  }

  /** Anomaly events raised by the metric events among `events`. */
  observe(events: readonly Event[]): Event[] {
    const out: Event[] = [];
    for (const e of events) {
      if (e.event.kind !== 'metric' || !e.metric) continue;
      const t = Date.parse(e['@timestamp']);
      this.sample(e.host?.name ?? '', e.metric.name, t, e.metric.value, e.metric.distribution, out);
    }
    return out;
  }

  sample(
    host: string,
    metric: string,
    t: number,
    value: number,
    distribution: Readonly<Record<string, number>> | undefined,
    out: Event[] = [],
  ): Event[] {
    if (
      typeof metric !== 'string' ||
      metric === '' ||
      !Number.isFinite(t) ||
      typeof value !== 'number' ||
      !Number.isFinite(value)
    ) {
      this.counters.garbage++;
      return out;
    }
    this.counters.samples++;
    const s = this.state(host, metric, t);
    const dt = t - s.last;
    // Clock jumps and gaps teach nothing about the interval; they still learn the slot.
    if (dt > 0 && dt < DAY_MS) s.interval += 0.1 * (dt - s.interval);
    if (t > s.last) s.last = t;
    const slot = s.baseline.slotOf(t);
    const exp = s.baseline.expect(slot);
    const perVisit = this.cfg.slot / Math.max(1, s.interval);
    const judging = t - s.first >= this.cfg.learning && exp.count >= 2;
    const floor = Math.max(this.cfg.min_stddev_share * Math.abs(exp.mean), 1e-9);
    const mean = exp.mean + s.offset;
    const follow = Math.min(1, Math.max(1, s.interval) / OFFSET_TAU_MS);
    // A slot seen a few weeks has a wild σ estimate; shrink it toward the
    // metric's overall residual spread, trusting the slot more as it fills.
    const n = 3 * exp.count;
    const variance = Number.isFinite(s.spread)
      ? (n * exp.stddev ** 2 + PRIOR_WEIGHT * s.spread) / (n + PRIOR_WEIGHT)
      : exp.stddev ** 2;
    const stddev = Math.max(Math.sqrt(variance), floor);
    if (exp.count > 0) {
      const r = value - mean;
      if (!Number.isFinite(s.spread)) s.spread = r * r;
      else s.spread += follow * (Math.min(r * r, 16 * s.spread) - s.spread);
    }
    s.lastValue = value;
    s.lastMean = mean;
    s.lastStddev = stddev;
    let volume: 'high' | 'normal' | 'low' = 'normal';
    s.lastClasses = NO_CLASSES;
    if (judging) {
      const names = (s.names ??= new MetricClasses(
        s.safeName,
        s.host,
        this.cfg.micro_thresholds[metric] ?? 0,
      ));
      const diff = value - mean;
      const sigma = diff / stddev;
      s.lastSigma = sigma;
      const i = names.strongest(sigma, diff);
      if (i >= 0) {
        const level = names.level(i);
        const direction = names.direction(i);
        s.lastClasses = names.nested[i]!;
        if (LEVEL_RANK[level] >= 2) volume = direction;
        if (LEVEL_RANK[level] >= this.emitRank) {
          this.emit(
            out,
            s,
            t,
            names.names[i]!,
            names.heldKeys[i]!,
            s.lastClasses,
            level,
            direction,
            sigma,
            slot,
          );
        }
      }
      const shifted = s.shift.update(sigma);
      if (shifted) {
        const { name, heldKey } = names.levelshift[shifted];
        s.lastClasses = [...s.lastClasses, name];
        // Adopt the new level at once: the shift is reported, not re-reported.
        s.offset = value - exp.mean;
        this.emit(out, s, t, name, heldKey, [name], 'levelshift', shifted, sigma, slot);
      } else {
        s.offset += follow * (value - mean);
      }
    } else {
      s.lastSigma = 0;
    }
    // The slot learns the value itself, not `value − offset`: the offset only
    // bridges the weeks a slot needs to learn a change, and shrinks as it does.
    // Learning net of the offset would let a level shift absorb a changed
    // daily shape forever (a moved peak re-alerting every day).
    s.baseline.learn(slot, value, perVisit);
    s.baseline.last[slot] = value;
    this.peak(s, t, value);
    if (distribution) this.entropy(s, t, distribution, volume, slot, out);
    s.dirty = true;
    return out;
  }

  /** Forgets a metric's learning (on every host unless one is named); returns how many. */
  reset(metric: string, host?: string): number {
    let n = 0;
    for (const [k, s] of this.states) {
      if (s.metric === metric && (host === undefined || s.host === host)) {
        this.forget(k);
        n++;
      }
    }
    return n;
  }

  /** Drops one state (by `host|metric` key); the store keeps it until saved over or removed. */
  forget(key: string): void {
    const s = this.states.get(key);
    if (!s) return;
    this.states.delete(key);
    this.byHost.get(s.host)?.delete(s.metric);
  }

  stateBytes(): number {
    let n = 0;
    for (const s of this.states.values()) n += s.baseline.bytes() + 256 + (s.keys?.size ?? 0) * 64;
    return n;
  }

  adopt(s: MetricState): void {
    this.states.set(s.key, s);
    let byMetric = this.byHost.get(s.host);
    if (!byMetric) this.byHost.set(s.host, (byMetric = new Map()));
    byMetric.set(s.metric, s);
  }

  private state(host: string, metric: string, t: number): MetricState {
    // Two-level lookup: no key string is built (and hashed) per sample.
    let byMetric = this.byHost.get(host);
    if (!byMetric) this.byHost.set(host, (byMetric = new Map()));
    let s = byMetric.get(metric);
    if (s) return s;
    const key = `${host}|${metric}`;
    s = {
      key,
      host,
      metric,
      safeName: classSafe(metric),
      baseline: new SlotBaseline({ slotMs: this.cfg.slot, memoryWeeks: this.cfg.memory_weeks }),
      first: t,
      last: t,
      interval: DEFAULT_INTERVAL_MS,
      offset: 0,
      spread: NaN,
      shift: new LevelShift(),
      lastValue: NaN,
      lastSigma: 0,
      lastMean: NaN,
      lastStddev: NaN,
      lastClasses: [],
      peaks: [],
      dirty: true,
    };
    this.states.set(key, s);
    byMetric.set(metric, s);
    if (this.states.size > this.cfg.max_metrics) this.evict();
    return s;
  }

  /** Drops the least recently seen tenth: a scan, but only when the bound is hit. */
  private evict(): void {
    const byAge = [...this.states.values()].sort((a, b) => a.last - b.last);
    const drop = Math.max(1, Math.floor(this.cfg.max_metrics / 10));
    for (const s of byAge.slice(0, drop)) this.forget(s.key);
    this.counters.evicted += drop;
  }

  private peak(s: MetricState, t: number, value: number): void {
    const day = Math.floor(t / DAY_MS);
    const last = s.peaks[s.peaks.length - 1];
    if (last && last.day === day) {
      if (value > last.value) {
        last.value = value;
        last.at = t;
      }
    } else if (!last || day > last.day) {
      s.peaks.push({ day, value, at: t });
      if (s.peaks.length > 8) s.peaks.shift();
    }
  }

  private entropy(
    s: MetricState,
    t: number,
    distribution: Readonly<Record<string, number>>,
    volume: 'high' | 'normal' | 'low',
    slot: number,
    out: Event[],
  ): void {
    const r = shannonEntropy(distribution);
    s.entropy = r.normalized;
    const keys = (s.keys ??= new Map());
    for (const [k, v] of keys) keys.set(k, v * 0.9);
    for (const [k, v] of Object.entries(distribution)) {
      if (Number.isFinite(v) && v > 0) keys.set(k, (keys.get(k) ?? 0) + v);
    }
    if (keys.size > MAX_KEYS) {
      const top = [...keys].sort((a, b) => b[1] - a[1]).slice(0, MAX_KEYS);
      keys.clear();
      for (const [k, v] of top) keys.set(k, v);
    }
    const e = this.cfg.entropy;
    const level = entropyLevel(r, {
      low: e.low,
      high: e.high,
      minTotal: e.min_connections,
      minSources: e.min_sources,
    });
    if (!level) return;
    const name = entropyClass(s.metric, level);
    s.lastClasses = [...s.lastClasses, name];
    this.emit(out, s, t, name, `${s.host}|${name}`, [name], 'entropy', level, s.lastSigma, slot, {
      entropy: r.normalized,
      sources: r.sources,
      volume,
    });
  }

  private emit(
    out: Event[],
    s: MetricState,
    t: number,
    name: string,
    heldKey: string,
    classes: readonly string[],
    level: Level,
    direction: 'high' | 'low',
    sigma: number,
    slot: number,
    extra: { entropy?: number; sources?: number; volume?: 'high' | 'normal' | 'low' } = {},
  ): void {
    const until = this.held.get(heldKey);
    this.held.set(heldKey, t + this.cfg.hold);
    if (until !== undefined && until > t) return;
    const label = slotLabel(slot, this.cfg.slot);
    const what =
      level === 'entropy'
        ? `entropy ${Math.round((extra.entropy ?? 0) * 100)}% over ${extra.sources} sources, volume ${extra.volume}`
        : `${round(s.lastValue)} vs ${round(s.lastMean)} ± ${round(s.lastStddev)} (${sigma >= 0 ? '+' : ''}${sigma.toFixed(1)}σ) at ${label}`;
    this.counters.events++;
    out.push({
      '@timestamp': new Date(t).toISOString(),
      message: `${name}: ${s.metric} ${what}`,
      event: {
        kind: 'event',
        category: ['host'],
        type: ['info'],
        action: name,
        dataset: 'vigil.anomaly',
        module: 'anomaly',
      },
      ...(s.host ? { host: { name: s.host } } : {}),
      anomaly: {
        class: name,
        // A copy: `classes` may be the metric's shared table.
        classes: [...classes],
        level,
        direction,
        metric: s.metric,
        value: s.lastValue,
        mean: round(s.lastMean),
        stddev: round(s.lastStddev),
        sigma: round(sigma),
        slot,
        slot_label: label,
        ...extra,
      },
      vigil: { source: this.source },
    });
  }
}
