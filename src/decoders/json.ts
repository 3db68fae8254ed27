import { setField } from '../event/fields.js';
import { EVENT_FIELD_TYPES } from '../event/schema.js';
import type { Event } from '../event/types.js';

/*
 * JSON lines: one object per line. Keys that name Event fields (nested
 * `{"source":{"ip":..}}` or dotted `"source.ip"`) map onto the Event when the
 * value has the right type; common non-ECS names (`timestamp`, `time`, `msg`,
 * `host`, `level`, ...) are mapped; everything else goes to `labels` as
 * flattened strings, bounded in number and length.
 */

const MAX_LABELS = 64;
const MAX_LABEL_VALUE = 1024;
const MAX_DEPTH = 8;

/** Paths a JSON record may not set: they belong to the stage. */
const RESERVED = new Set(['event.kind', 'event.original', 'event.ingested']);

const TIME_KEYS = ['@timestamp', 'timestamp', 'time', 'ts', 'date', 'datetime', 'eventTime'];
const MESSAGE_KEYS = ['message', 'msg', 'log', 'text'];
const ALIASES: Record<string, string> = {
  level: 'log.level',
  severity: 'log.level',
  loglevel: 'log.level',
  logger: 'log.logger',
  hostname: 'host.name',
  src_ip: 'source.ip',
  src_port: 'source.port',
  dst_ip: 'destination.ip',
  dest_ip: 'destination.ip',
  dst_port: 'destination.port',
  dest_port: 'destination.port',
  username: 'user.name',
  user: 'user.name',
  pid: 'process.pid',
  program: 'process.name',
  proto: 'network.transport',
  action: 'event.action',
};

export interface JsonResult {
  /** Event time in epoch ms, NaN when the record has none. */
  timeMs: number;
  /** Set when the line is not a JSON object. */
  error?: string;
}

/** Parses a timestamp value: ISO/RFC text or epoch seconds/milliseconds. */
export function parseTimeValue(v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v > 1e11 ? v : v * 1000;
  if (typeof v === 'string' && v.length >= 8 && v.length <= 64) {
    if (/^\d+(\.\d+)?$/.test(v)) return parseTimeValue(Number(v));
    return Date.parse(v);
  }
  return NaN;
}

class LabelSink {
  count = 0;
  constructor(private readonly event: Event) {}
  add(key: string, value: unknown): void {
    if (this.count >= MAX_LABELS) return;
    let s: string;
    if (value === null) s = 'null';
    else if (typeof value === 'object') s = JSON.stringify(value);
    else s = String(value);
    if (s.length > MAX_LABEL_VALUE) s = s.slice(0, MAX_LABEL_VALUE);
    (this.event.labels ??= {})[key] = s;
    this.count++;
  }
}

/** Sets a known path when the value fits its type; returns false when it does not. */
function setKnown(event: Event, path: string, value: unknown): boolean {
  const type = EVENT_FIELD_TYPES.get(path);
  if (!type || RESERVED.has(path) || path.startsWith('vigil.') || path === '@timestamp')
    return false;
  switch (type) {
    case 'string':
      if (typeof value === 'string') return setField(event, path, value);
      if (typeof value === 'number' || typeof value === 'boolean')
        return setField(event, path, String(value));
      return false;
    case 'number':
      if (typeof value === 'number' && Number.isFinite(value)) return setField(event, path, value);
      if (typeof value === 'string') return setField(event, path, value);
      return false;
    case 'string[]':
      if (typeof value === 'string') return setField(event, path, [value]);
      if (Array.isArray(value) && value.every((x) => typeof x === 'string')) {
        return setField(event, path, value.slice());
      }
      return false;
    case 'map':
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        const entries = Object.entries(value as Record<string, unknown>);
        if (entries.every(([, x]) => typeof x === 'string'))
          return setField(event, path, { ...value });
      }
      return false;
    default:
      return false;
  }
}

/** Every proper prefix of an Event path (`source`, `log.syslog`): objects a JSON value may fill. */
const OBJECT_PATHS: ReadonlySet<string> = new Set(
  [...EVENT_FIELD_TYPES.keys()].flatMap((k) => {
    const parts = k.split('.');
    return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('.'));
  }),
);

function mapValue(
  event: Event,
  path: string,
  value: unknown,
  labels: LabelSink,
  depth: number,
): void {
  if (setKnown(event, path, value)) return;
  if (value && typeof value === 'object' && !Array.isArray(value) && depth < MAX_DEPTH) {
    if (path === 'labels') {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) labels.add(k, v);
      return;
    }
    if (OBJECT_PATHS.has(path)) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        mapValue(event, `${path}.${k}`, v, labels, depth + 1);
      }
      return;
    }
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      flattenLabels(`${path}.${k}`, v, labels, depth + 1);
    }
    return;
  }
  labels.add(path, value);
}

function flattenLabels(path: string, value: unknown, labels: LabelSink, depth: number): void {
  if (value && typeof value === 'object' && !Array.isArray(value) && depth < MAX_DEPTH) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      flattenLabels(`${path}.${k}`, v, labels, depth + 1);
    }
    return;
  }
  labels.add(path, value);
}

/** Decodes one JSON line into `event`. */
export function decodeJson(text: string, event: Event): JsonResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    event.message = text;
    return { timeMs: NaN, error: `invalid JSON: ${(err as Error).message}` };
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    event.message = text;
    return { timeMs: NaN, error: 'JSON line is not an object' };
  }
  const obj = doc as Record<string, unknown>;
  const labels = new LabelSink(event);
  let timeMs = NaN;
  let timeKey: string | undefined;
  for (const k of TIME_KEYS) {
    if (k in obj) {
      timeMs = parseTimeValue(obj[k]);
      if (!Number.isNaN(timeMs)) {
        timeKey = k;
        break;
      }
    }
  }
  let messageKey: string | undefined;
  for (const k of MESSAGE_KEYS) {
    const v = obj[k];
    if (typeof v === 'string') {
      event.message = v;
      messageKey = k;
      break;
    }
  }
  for (const [key, value] of Object.entries(obj)) {
    if (key === timeKey || key === messageKey) continue;
    if (key === 'host' && typeof value === 'string') {
      (event.host ??= {}).name = value;
      continue;
    }
    if (key === 'event' && value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (RESERVED.has(`event.${k}`)) labels.add(`event.${k}`, v);
        else mapValue(event, `event.${k}`, v, labels, 1);
      }
      continue;
    }
    if (key === 'vigil') {
      flattenLabels('vigil', value, labels, 0);
      continue;
    }
    const alias = ALIASES[key];
    if (alias && setKnown(event, alias, value)) continue;
    mapValue(event, key, value, labels, 0);
  }
  if (event.event.outcome && !['success', 'failure', 'unknown'].includes(event.event.outcome)) {
    labels.add('event.outcome', event.event.outcome);
    delete event.event.outcome;
  }
  return { timeMs };
}
