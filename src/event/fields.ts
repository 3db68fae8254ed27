import type { Event } from './types.js';

/** Fields whose values are numbers; a decoder's captured text is coerced on set. */
export const NUMERIC_FIELDS: ReadonlySet<string> = new Set([
  'source.port',
  'destination.port',
  'process.pid',
  'process.ppid',
  'process.exit_code',
  'http.response.status_code',
  'http.response.body.bytes',
  'network.bytes',
  'file.size',
  'event.severity',
  'log.syslog.priority',
  'log.syslog.facility.code',
  'log.syslog.severity.code',
  'auditd.sequence',
]);

/** Fields that hold lists; a single value is wrapped on set. */
export const ARRAY_FIELDS: ReadonlySet<string> = new Set([
  'event.category',
  'event.type',
  'related.ip',
  'related.user',
  'related.hosts',
  'host.ip',
]);

const pathCache = new Map<string, string[]>();

function splitPath(path: string): string[] {
  let parts = pathCache.get(path);
  if (!parts) {
    parts = path === '@timestamp' ? ['@timestamp'] : path.split('.');
    pathCache.set(path, parts);
  }
  return parts;
}

/** Reads a dotted ECS path (`source.ip`) from an event; undefined when absent. */
export function getField(event: Event, path: string): unknown {
  let cur: unknown = event;
  for (const part of splitPath(path)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/**
 * Writes a dotted ECS path, creating objects on the way, coercing numeric
 * fields and wrapping list fields. Returns false when a numeric field got text
 * that is not a number (the caller decides whether that is an error).
 */
export function setField(event: Event, path: string, value: unknown): boolean {
  const parts = splitPath(path);
  let cur = event as unknown as Record<string, unknown>;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i]!;
    let next = cur[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      next = {};
      cur[part] = next;
    }
    cur = next as Record<string, unknown>;
  }
  const last = parts[parts.length - 1]!;
  let v = value;
  if (NUMERIC_FIELDS.has(path) && typeof v === 'string') {
    const n = Number(v);
    if (v === '' || !Number.isFinite(n)) return false;
    v = n;
  } else if (ARRAY_FIELDS.has(path) && !Array.isArray(v)) {
    v = [v];
  }
  cur[last] = v;
  return true;
}

/** Appends to a list field without duplicates (related.ip, related.user). */
export function addRelated(
  event: Event,
  kind: 'ip' | 'user' | 'hosts',
  value: string | undefined,
): void {
  if (!value) return;
  const related = (event.related ??= {});
  const list = (related[kind] ??= []);
  if (!list.includes(value)) list.push(value);
}
