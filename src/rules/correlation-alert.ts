import type { Alert, AlertLevel, EcsEventFields, Event, VigilFields } from '../event/types.js';
import type { CompiledCorrelation } from './correlation.js';

/*
 * Alerts are events: a correlation's hit becomes an Alert, and any Alert can
 * be turned back into an Event (event.kind alert, ECS rule.* fields,
 * event.severity, the group values at their own paths) so that rules and
 * correlations can match alerts.
 */

/** The source id of events made from alerts. */
export const ALERT_SOURCE = 'vigil.alerts';

/** An Event made from an Alert: the ECS `rule` and `tags` fields, plus the alert's own figures. */
export interface AlertEvent extends Event {
  event: EcsEventFields & { kind: 'alert'; id?: string; start?: string; end?: string };
  rule: { id: string; name: string; level: AlertLevel };
  tags: string[];
  vigil: VigilFields & {
    alert: {
      count: number;
      first_seen: string;
      last_seen: string;
      group?: Record<string, string>;
      events?: string[];
    };
  };
}

/** One firing of a correlation, before it becomes an alert. */
export interface CorrelationHit {
  readonly correlation: CompiledCorrelation;
  readonly kind: 'match' | 'absence';
  /** The group key (values joined) and the values in group-by order. */
  readonly key: string;
  readonly values: readonly string[];
  /** The aggregate: event count, distinct values, sum, average, percentile, rules seen; 0 for absence. */
  readonly count: number;
  /** Event time of the first and last contributing event (absence: the last expected event seen). */
  readonly first: number;
  readonly last: number;
  /** Event time the correlation fired at. */
  readonly at: number;
  /** Ids (or @timestamps) of contributing events, oldest first. */
  readonly events: readonly string[];
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function num(n: number): string {
  return String(Number.isInteger(n) ? n : Number(n.toFixed(3)));
}

/** The alert for a correlation hit. */
export function correlationAlert(hit: CorrelationHit): Alert {
  const c = hit.correlation;
  const group: Record<string, string> = {};
  c.groupKeys.forEach((k, i) => {
    group[k] = hit.values[i]!;
  });
  const groupText =
    c.groupKeys.length === 0
      ? 'all events'
      : c.groupKeys.map((k, i) => `${k}=${hit.values[i]}`).join(', ');
  let message: string;
  if (hit.kind === 'absence') {
    const what = c.refs
      .map((r) => (r.source.kind === 'rule' ? r.source.rule.title : r.source.correlation.title))
      .join(' or ');
    message = `absence: no "${what}" for ${groupText} since ${iso(hit.first)} (timespan ${c.timespan})`;
  } else {
    const cond = c.condition ? ` (${c.condition.text})` : '';
    message = `${c.type} ${num(hit.count)}${cond} for ${groupText} within ${c.timespan}`;
  }
  const alert: Alert = {
    '@timestamp': iso(hit.at),
    rule: { id: c.id, title: c.title, level: c.level, tags: [...c.tags] },
    severity: c.severity,
    message,
    first_seen: iso(hit.first),
    last_seen: iso(hit.last),
    count: hit.count,
    events: [...hit.events],
  };
  if (c.groupKeys.length > 0) alert.group = group;
  if (group['host.name'] !== undefined) alert.host = { name: group['host.name'] };
  if (group['source.ip'] !== undefined) alert.source = { ip: group['source.ip'] };
  if (group['user.name'] !== undefined) alert.user = { name: group['user.name'] };
  return alert;
}

/** Sets a dotted path on a plain object, leaving values already there alone. */
function setPath(target: Record<string, unknown>, path: string, value: string): void {
  const parts = path.split('.');
  let o = target;
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i]!;
    const next = o[p];
    if (next === undefined) {
      const fresh: Record<string, unknown> = {};
      o[p] = fresh;
      o = fresh;
    } else if (next !== null && typeof next === 'object' && !Array.isArray(next)) {
      o = next as Record<string, unknown>;
    } else return;
  }
  const last = parts[parts.length - 1]!;
  if (o[last] === undefined) o[last] = value;
}

/**
 * The event an alert stands for: `event.kind: alert`, `event.severity`,
 * `event.start`/`end` (first/last seen), ECS `rule.id`/`rule.name` (the
 * title)/`rule.level`, `tags`, `host`/`source`/`user`, each group value at
 * its own path (`source.ip`, `user.name`, or the group-by name as written),
 * and `vigil.alert` with count, first/last seen, group and event ids.
 */
export function alertToEvent(alert: Alert): AlertEvent {
  const ev: AlertEvent = {
    '@timestamp': alert['@timestamp'],
    message: alert.message ?? alert.rule.title,
    event: {
      kind: 'alert',
      severity: alert.severity,
      dataset: 'vigil.alert',
      module: 'vigil',
      start: alert.first_seen,
      end: alert.last_seen,
    },
    rule: { id: alert.rule.id, name: alert.rule.title, level: alert.rule.level },
    tags: [...(alert.rule.tags ?? [])],
    vigil: {
      source: ALERT_SOURCE,
      alert: {
        count: alert.count,
        first_seen: alert.first_seen,
        last_seen: alert.last_seen,
      },
    },
  };
  if (alert.id !== undefined) ev.event.id = alert.id;
  if (alert.host?.name !== undefined) ev.host = { name: alert.host.name };
  if (alert.source?.ip !== undefined) ev.source = { ip: alert.source.ip };
  if (alert.user?.name !== undefined) ev.user = { name: alert.user.name };
  if (alert.group) {
    ev.vigil.alert.group = { ...alert.group };
    const target = ev as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(alert.group)) setPath(target, k, v);
  }
  if (alert.events) ev.vigil.alert.events = [...alert.events];
  return ev;
}
