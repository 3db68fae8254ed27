import type { Event } from '../event/types.js';

export const METRICS_DATASET = 'vigil.metrics';

export interface Measurement {
  name: string;
  value: number;
  unit?: string;
  distribution?: Record<string, number>;
}

/**
 * One measurement as an event: the anomaly engine learns a baseline per
 * (host.name, metric.name), rules compare `metric.value` with thresholds.
 */
export function metricEvent(
  m: Measurement,
  at: string,
  host: string,
  module: 'system' | 'pipeline',
  source: string,
): Event {
  return {
    '@timestamp': at,
    message: `${m.name} ${m.value}${m.unit ? ` ${m.unit}` : ''}`,
    event: { kind: 'metric', dataset: METRICS_DATASET, module },
    host: { name: host },
    metric: m,
    vigil: { source },
  };
}
