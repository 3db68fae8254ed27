import { setTimeout as sleep } from 'node:timers/promises';
import type { MetricsConfig } from '../config/schema.js';
import type { Counters } from '../event/counters.js';
import type { Alert, Event } from '../event/types.js';
import { metricEvent } from './metric-event.js';
import { HostSampler, type SampleProblem } from './metrics-host.js';
import { EventRates } from './metrics-rates.js';
import type { Monitor, Submit } from './types.js';

/** Event-rate keys idle this long are forgotten (then reported again from their next event). */
const RATE_KEY_IDLE_MS = 86_400_000;

export interface MetricsMonitorOptions {
  id: string;
  config: MetricsConfig;
  /** host.name of this host's metrics. */
  hostName: string;
  counters: Counters;
  notice(message: string): void;
}

/**
 * The metrics sampler (cfenvd's job): every `interval`, one metric event per
 * measurement of this host, plus the counts of events and alerts the
 * pipeline saw in the interval. Feed it the pipeline's batches through
 * `observeEvents` / `observeAlerts`.
 */
export class MetricsMonitor implements Monitor {
  readonly kind = 'metrics';
  readonly id: string;
  private readonly opts: MetricsMonitorOptions;
  private readonly sampler: HostSampler;
  private readonly rates: EventRates;
  private readonly scope: string;
  /** Problems already told to the operator, by what could not be read. */
  private readonly told = new Set<string>();

  constructor(opts: MetricsMonitorOptions) {
    this.opts = opts;
    this.id = opts.id;
    this.scope = `monitor:${opts.id}`;
    const c = opts.config;
    this.sampler = new HostSampler({
      procRoot: c.proc_root,
      utmp: c.utmp,
      services: c.services,
      excludeFsTypes: c.exclude_fs_types,
      excludeInterfaces: c.exclude_interfaces,
    });
    this.rates = new EventRates({
      categories: c.event_rates.categories,
      rules: c.event_rates.rules,
      maxKeys: c.event_rates.max_keys,
      idleIntervals: Math.max(1, Math.round(RATE_KEY_IDLE_MS / Math.max(c.interval, 1))),
      hostName: opts.hostName,
    });
  }

  describe(): string[] {
    const c = this.opts.config;
    const seconds = c.interval / 1000;
    const services = Object.keys(c.services);
    return [
      `host metrics every ${seconds}s from ${c.proc_root} and ${c.utmp}: users, processes, cpu, load, memory, swap, filesystems, network${services.length > 0 ? `, ports of ${services.join(' ')}` : ''}`,
      `event rates every ${seconds}s: categories ${c.event_rates.categories.join(' ') || '(none)'}; alerts of rules ${c.event_rates.rules.join(' ') || '(none)'}`,
    ];
  }

  readonly observeEvents = (events: readonly Event[]): void => this.rates.observeEvents(events);
  readonly observeAlerts = (alerts: readonly Alert[]): void => this.rates.observeAlerts(alerts);

  /** Takes the counters the first interval's rates start from. */
  prime(nowMs = Date.now()): void {
    this.sampler.prime(nowMs);
  }

  /** One sample: host measurements and the interval's event rates, as events. */
  sample(nowMs = Date.now()): Event[] {
    const t0 = process.hrtime.bigint();
    const at = new Date(nowMs).toISOString();
    const { measurements, problems } = this.sampler.sample(nowMs);
    const host = this.opts.hostName;
    const events = measurements.map((m) => metricEvent(m, at, host, 'system', this.id));
    for (const r of this.rates.drain())
      events.push(metricEvent(r.measurement, at, r.host, 'pipeline', this.id));
    this.report(problems);
    const counters = this.opts.counters;
    counters.add(this.scope, 'samples');
    counters.add(this.scope, 'metrics', events.length);
    counters.set(this.scope, 'rate_keys_dropped', this.rates.dropped);
    counters.set(this.scope, 'last_sample_us', Number(process.hrtime.bigint() - t0) / 1000);
    return events;
  }

  private report(problems: readonly SampleProblem[]): void {
    for (const p of problems) {
      this.opts.counters.add(this.scope, 'read_errors');
      if (this.told.has(p.what)) continue;
      this.told.add(p.what);
      this.opts.notice(`${this.id}: cannot read ${p.what}: ${p.why} (counted in read_errors)`);
    }
  }

  async run(signal: AbortSignal, submit: Submit): Promise<void> {
    this.prime();
    while (!signal.aborted) {
      try {
        await sleep(this.opts.config.interval, undefined, { signal });
      } catch {
        return; // aborted
      }
      await submit(this.sample());
    }
  }
}
