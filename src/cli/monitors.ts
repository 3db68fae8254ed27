import path from 'node:path';
import type { VigilConfig } from '../config/schema.js';
import type { Counters } from '../event/counters.js';
import type { Alert, Event } from '../event/types.js';
import { MetricsMonitor } from '../sources/metrics.js';
import { ProcessMonitor } from '../sources/processes.js';
import { FimMonitor } from '../fim/monitor.js';
import { AnomalyMonitor } from '../anomaly/monitor.js';
import type { Monitor } from '../sources/types.js';
import type { Store } from '../store/types.js';

export interface MonitorContext {
  config: VigilConfig;
  store: Store;
  counters: Counters;
  notice(message: string): void;
  /** Called with every batch of events the pipeline accepts (decoded and submitted). */
  subscribe(fn: (events: Event[]) => void): void;
  /** Called with every batch of alerts the pipeline raises. */
  subscribeAlerts(fn: (alerts: Alert[]) => void): void;
}

/**
 * The monitors `vigil start` runs beside its sources, as the config asks.
 * Each capability (file integrity, metrics, processes, anomalies) adds itself
 * here.
 */
export function createMonitors(ctx: MonitorContext): Monitor[] {
  const monitors: Monitor[] = [];
  const { config } = ctx;
  const common = { hostName: config.host.name, counters: ctx.counters, notice: ctx.notice };
  if (config.metrics.enabled) {
    const metrics = new MetricsMonitor({ id: 'metrics', config: config.metrics, ...common });
    ctx.subscribe(metrics.observeEvents);
    ctx.subscribeAlerts(metrics.observeAlerts);
    monitors.push(metrics);
  }
  if (config.processes.enabled) {
    monitors.push(new ProcessMonitor({ id: 'processes', config: config.processes, ...common }));
  }
  if (config.fim.paths.length > 0) {
    const storeFile = config.store.path
      ? path.resolve(config.store.path)
      : path.join(config.data_dir, 'vigil.db');
    monitors.push(
      new FimMonitor({ config, storeFile, counters: ctx.counters, notice: ctx.notice }),
    );
  }
  if (config.anomaly.enabled) {
    const storeFile = config.store.path
      ? path.resolve(config.store.path)
      : path.join(config.data_dir, 'vigil.db');
    const anomaly = new AnomalyMonitor({
      config: config.anomaly,
      storeFile,
      counters: ctx.counters,
      notice: ctx.notice,
    });
    ctx.subscribe(anomaly.observeEvents);
    monitors.push(anomaly);
  }
  return monitors;
}
