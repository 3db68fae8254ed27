import type { Alert, Event } from '../event/types.js';
import type { Measurement } from './metric-event.js';

export interface EventRatesOptions {
  /** Event categories to count; `*` counts every one. */
  categories: readonly string[];
  /** Rule ids whose alerts are counted; `*` counts every rule. */
  rules: readonly string[];
  /** Distinct (host, metric) keys held; new keys past it are dropped and counted. */
  maxKeys: number;
  /** A key with no events for this many intervals in a row is forgotten. */
  idleIntervals: number;
  /** host.name for events that carry none. */
  hostName: string;
}

interface Cell {
  n: number;
  idle: number;
}

/**
 * Counts events per host and category (and outcome), and alerts per host and
 * rule, between two drains. A key once seen is reported every interval, with
 * 0 when nothing happened: quiet intervals are part of the baseline, and a
 * log that falls silent should show as a drop, not as a gap.
 */
export class EventRates {
  private readonly byHost = new Map<string, Map<string, Cell>>();
  private keys = 0;
  /** New keys refused because `maxKeys` were held. */
  dropped = 0;
  private readonly allCategories: boolean;
  private readonly categories: ReadonlySet<string>;
  private readonly allRules: boolean;
  private readonly rules: ReadonlySet<string>;

  constructor(private readonly opts: EventRatesOptions) {
    this.allCategories = opts.categories.includes('*');
    this.categories = new Set(opts.categories);
    this.allRules = opts.rules.includes('*');
    this.rules = new Set(opts.rules);
  }

  observeEvents(events: readonly Event[]): void {
    for (const e of events) {
      // Metrics are measurements, not activity; counting them would count ourselves.
      if (e.event.kind === 'metric') continue;
      const cats = e.event.category;
      if (!cats) continue;
      const host = e.host?.name ?? this.opts.hostName;
      const outcome = e.event.outcome;
      for (const c of cats) {
        if (!this.allCategories && !this.categories.has(c)) continue;
        this.bump(host, `events.${c}`);
        if (outcome) this.bump(host, `events.${c}.${outcome}`);
      }
    }
  }

  observeAlerts(alerts: readonly Alert[]): void {
    for (const a of alerts) {
      if (!this.allRules && !this.rules.has(a.rule.id)) continue;
      this.bump(a.host?.name ?? this.opts.hostName, `alerts.${a.rule.id}`);
    }
  }

  private bump(host: string, name: string): void {
    let names = this.byHost.get(host);
    const cell = names?.get(name);
    if (cell) {
      cell.n++;
      return;
    }
    if (this.keys >= this.opts.maxKeys) {
      this.dropped++;
      return;
    }
    if (!names) this.byHost.set(host, (names = new Map()));
    names.set(name, { n: 1, idle: 0 });
    this.keys++;
  }

  /** The counts since the last drain, per host, and a fresh interval. */
  drain(): Array<{ host: string; measurement: Measurement }> {
    const out: Array<{ host: string; measurement: Measurement }> = [];
    for (const [host, names] of this.byHost) {
      for (const [name, cell] of names) {
        if (cell.n === 0 && ++cell.idle > this.opts.idleIntervals) {
          names.delete(name);
          this.keys--;
          continue;
        }
        if (cell.n > 0) cell.idle = 0;
        out.push({
          host,
          measurement: {
            name,
            value: cell.n,
            unit: name.startsWith('alerts.') ? 'alerts' : 'events',
          },
        });
        cell.n = 0;
      }
      if (names.size === 0) this.byHost.delete(host);
    }
    return out;
  }
}
