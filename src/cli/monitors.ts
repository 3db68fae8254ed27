import type { VigilConfig } from '../config/schema.js';
import type { Counters } from '../event/counters.js';
import type { Event } from '../event/types.js';
import type { Monitor } from '../sources/types.js';
import type { Store } from '../store/types.js';

export interface MonitorContext {
  config: VigilConfig;
  store: Store;
  counters: Counters;
  notice(message: string): void;
  /** Called with every batch of events the pipeline accepts (decoded and submitted). */
  subscribe(fn: (events: Event[]) => void): void;
}

/**
 * The monitors `vigil start` runs beside its sources, as the config asks.
 * Each capability (file integrity, metrics, processes, anomalies) adds itself
 * here.
 */
export function createMonitors(_ctx: MonitorContext): Monitor[] {
  return [];
}
