import { z } from 'zod';

/*
 * The zod schema of `Event` (types.ts). Every decoder's output is tested
 * against it; the JSON decoder and the YAML decoder loader use the field
 * table derived from it (`EVENT_FIELD_TYPES`) to know which dotted paths
 * exist and what type they hold. Keep it in step with types.ts.
 */

const str = z.string();
const num = z.number();
const strList = z.array(z.string());
const strMap = z.record(z.string(), z.string());

const endpoint = z.strictObject({
  ip: str.optional(),
  port: z.number().int().min(0).max(65535).optional(),
  domain: str.optional(),
  address: str.optional(),
});

const nameId = z.strictObject({ name: str.optional(), id: str.optional() });

export const eventSchema = z.strictObject({
  '@timestamp': z.iso.datetime({ offset: true }),
  message: str.optional(),
  event: z.strictObject({
    kind: z.enum(['event', 'alert', 'metric', 'state', 'pipeline_error', 'signal']),
    category: strList.optional(),
    type: strList.optional(),
    action: str.optional(),
    outcome: z.enum(['success', 'failure', 'unknown']).optional(),
    original: str.optional(),
    ingested: z.iso.datetime({ offset: true }).optional(),
    dataset: str.optional(),
    module: str.optional(),
    severity: num.optional(),
    reason: str.optional(),
  }),
  host: z
    .strictObject({ name: str.optional(), hostname: str.optional(), ip: strList.optional() })
    .optional(),
  source: endpoint.optional(),
  destination: endpoint.optional(),
  user: z
    .strictObject({
      name: str.optional(),
      id: str.optional(),
      terminal: str.optional(),
      target: nameId.optional(),
      effective: nameId.optional(),
    })
    .optional(),
  group: nameId.optional(),
  process: z
    .strictObject({
      name: str.optional(),
      pid: z.number().int().min(0).optional(),
      ppid: z.number().int().min(0).optional(),
      executable: str.optional(),
      command_line: str.optional(),
      working_directory: str.optional(),
      exit_code: z.number().int().optional(),
      title: str.optional(),
      start: z.iso.datetime({ offset: true }).optional(),
      end: z.iso.datetime({ offset: true }).optional(),
      parent: z
        .strictObject({
          pid: z.number().int().min(0).optional(),
          name: str.optional(),
          executable: str.optional(),
        })
        .optional(),
      cpu: z.strictObject({ time: num.nonnegative().optional() }).optional(),
    })
    .optional(),
  file: z
    .strictObject({
      path: str.optional(),
      name: str.optional(),
      directory: str.optional(),
      type: str.optional(),
      mode: str.optional(),
      uid: str.optional(),
      gid: str.optional(),
      owner: str.optional(),
      group: str.optional(),
      inode: str.optional(),
      size: num.optional(),
      mtime: z.iso.datetime({ offset: true }).optional(),
      ctime: z.iso.datetime({ offset: true }).optional(),
      hash: strMap.optional(),
      target_path: str.optional(),
    })
    .optional(),
  log: z
    .strictObject({
      file: z.strictObject({ path: str.optional() }).optional(),
      syslog: z
        .strictObject({
          facility: z.strictObject({ code: num.optional(), name: str.optional() }).optional(),
          severity: z.strictObject({ code: num.optional(), name: str.optional() }).optional(),
          priority: num.optional(),
          hostname: str.optional(),
          appname: str.optional(),
          procid: str.optional(),
          msgid: str.optional(),
          version: str.optional(),
          structured_data: z.record(z.string(), strMap).optional(),
        })
        .optional(),
      level: str.optional(),
      logger: str.optional(),
    })
    .optional(),
  network: z
    .strictObject({
      transport: str.optional(),
      protocol: str.optional(),
      direction: str.optional(),
      bytes: num.optional(),
    })
    .optional(),
  related: z
    .strictObject({ ip: strList.optional(), user: strList.optional(), hosts: strList.optional() })
    .optional(),
  service: z.strictObject({ name: str.optional() }).optional(),
  url: z
    .strictObject({ original: str.optional(), path: str.optional(), query: str.optional() })
    .optional(),
  http: z
    .strictObject({
      version: str.optional(),
      request: z.strictObject({ method: str.optional(), referrer: str.optional() }).optional(),
      response: z
        .strictObject({
          status_code: z.number().int().optional(),
          body: z.strictObject({ bytes: num.optional() }).optional(),
        })
        .optional(),
    })
    .optional(),
  user_agent: z.strictObject({ original: str.optional() }).optional(),
  error: z.strictObject({ message: str.optional(), code: str.optional() }).optional(),
  auditd: z
    .strictObject({
      sequence: num.optional(),
      result: str.optional(),
      records: z.array(z.strictObject({ type: str, data: strMap })).optional(),
      data: strMap.optional(),
    })
    .optional(),
  metric: z
    .strictObject({
      name: str,
      value: num,
      unit: str.optional(),
      distribution: z.record(z.string(), num).optional(),
    })
    .optional(),
  anomaly: z
    .strictObject({
      class: str,
      classes: z.array(str),
      level: z.enum(['dev1', 'dev2', 'anomaly', 'microanomaly', 'levelshift', 'entropy']),
      direction: z.enum(['high', 'low']),
      metric: str,
      value: num,
      mean: num,
      stddev: num,
      sigma: num,
      slot: num,
      slot_label: str,
      entropy: num.optional(),
      sources: num.optional(),
      volume: z.enum(['high', 'normal', 'low']).optional(),
    })
    .optional(),
  labels: strMap.optional(),
  vigil: z.strictObject({
    source: str,
    decoder: str.optional(),
    offset: num.optional(),
    error: str.optional(),
    agent: str.optional(),
    fim: z
      .strictObject({
        change: z.enum(['added', 'changed', 'removed', 'tampered']),
        status: str.optional(),
        level: z.enum(['high', 'medium']).optional(),
        rule: str.optional(),
        attributes: strList.optional(),
        diff: z
          .record(z.string(), z.strictObject({ old: str.optional(), new: str.optional() }))
          .optional(),
        setuid_gained: z.boolean().optional(),
        setgid_gained: z.boolean().optional(),
        error: str.optional(),
        problems: strList.optional(),
      })
      .optional(),
  }),
});

/** What a leaf of the Event holds. `map` is a string→string record (labels). */
export type FieldType = 'string' | 'number' | 'string[]' | 'map' | 'other';

function leafType(schema: z.ZodType): FieldType | z.ZodObject {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  if (s instanceof z.ZodObject) return s;
  if (s instanceof z.ZodString || s instanceof z.ZodEnum) return 'string';
  if (s instanceof z.ZodNumber) return 'number';
  if (s instanceof z.ZodArray) return s.element instanceof z.ZodString ? 'string[]' : 'other';
  if (s instanceof z.ZodRecord) return s.valueType instanceof z.ZodString ? 'map' : 'other';
  return 'other';
}

function walk(obj: z.ZodObject, prefix: string, out: Map<string, FieldType>): void {
  for (const [key, child] of Object.entries(obj.shape)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const t = leafType(child as z.ZodType);
    if (typeof t === 'string') out.set(path, t);
    else walk(t, path, out);
  }
}

/** Every leaf path of the Event (`source.ip`, `event.category`, `labels`) and its type. */
export const EVENT_FIELD_TYPES: ReadonlyMap<string, FieldType> = (() => {
  const out = new Map<string, FieldType>();
  walk(eventSchema, '', out);
  return out;
})();

/** Validates an event; returns the zod issues as `path: message` lines, empty when valid. */
export function eventIssues(event: unknown): string[] {
  const r = eventSchema.safeParse(event);
  if (r.success) return [];
  return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}
