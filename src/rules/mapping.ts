import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { getField } from '../event/fields.js';
import type { Event } from '../event/types.js';
import { RuleError } from './errors.js';
import { LOGSOURCE_KEYS, type LogSource } from './logsource.js';

/*
 * Processing as data, in the manner of pySigma pipelines: a mapping file says
 * which events a Sigma logsource stands for (a predicate over event fields)
 * and which ECS path each Sigma field name reads. Built-in tables live in
 * rules/mapping/*.yml; users add files of their own, and an entry with the
 * same id replaces the built-in one.
 */

export const BUILTIN_MAPPING_DIR = fileURLToPath(new URL('../../rules/mapping/', import.meta.url));

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const condValue = z.union([
  scalar,
  z.array(scalar),
  z.strictObject({ exists: z.boolean() }),
  z.strictObject({ not: z.union([scalar, z.array(scalar)]) }),
]);
const conditionMap = z.record(z.string(), condValue);
const predicateSchema = z.union([
  conditionMap,
  z.strictObject({ any: z.array(conditionMap).min(1) }),
]);

const fieldTarget = z.union([
  z.string().min(1),
  z.strictObject({
    field: z.string().min(1),
    /** Plain values rewritten before compare (`'true': egress`). */
    values: z.record(z.string(), z.string()).optional(),
  }),
]);

const entrySchema = z.strictObject({
  id: z.string().min(1),
  description: z.string().optional(),
  logsource: z
    .strictObject({
      product: z.string().optional(),
      category: z.string().optional(),
      service: z.string().optional(),
    })
    .refine((l) => Object.keys(l).length > 0, 'needs product, category or service'),
  events: predicateSchema.default({}),
  /** Fields keywords search (a keyword may be in any); default: message, else event.original. */
  keywords: z.array(z.string().min(1)).min(1).optional(),
  /** Sigma field → ECS path; `'*'` is the default, `{field}` in it is the Sigma name. */
  fields: z.record(z.string(), fieldTarget).default({}),
});

const fileSchema = z.strictObject({
  fields: z.record(z.string(), fieldTarget).default({}),
  logsources: z.array(entrySchema).default([]),
});

export type FieldTarget = z.infer<typeof fieldTarget>;
export type MappingEntryData = z.infer<typeof entrySchema>;

export interface ResolvedField {
  /** ECS path; may hold `[]` to read every element of a list (`auditd.records[].type`). */
  readonly path: string;
  readonly values?: Readonly<Record<string, string>>;
  /** True when no table named the field and it is read as written. */
  readonly unmapped: boolean;
}

export interface MappingEntry {
  readonly id: string;
  readonly file: string;
  readonly description?: string;
  readonly logsource: Readonly<Partial<Record<'product' | 'category' | 'service', string>>>;
  /** Does this event belong to the logsource? */
  readonly applies: (event: Event) => boolean;
  /**
   * The paths `applies` reads: its answer depends on their values only (the
   * detector caches it per combination). Undefined: unknown, ask every time.
   */
  readonly reads?: readonly string[];
  /** Fields keywords search, any of them; undefined: message, else event.original. */
  readonly keywordFields: readonly string[] | undefined;
  resolveField(name: string): ResolvedField;
}

export const DEFAULT_KEYWORD_FIELDS = ['message', 'event.original'] as const;

function lower(v: string | number | boolean): string {
  return String(v).toLowerCase();
}

function valueList(event: Event, path: string): unknown[] {
  const v = readPath(event, path);
  return Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
}

function compileCondition(path: string, want: z.infer<typeof condValue>): (e: Event) => boolean {
  if (typeof want === 'object' && !Array.isArray(want)) {
    if ('exists' in want) {
      const flag = want.exists;
      return (e) => valueList(e, path).length > 0 === flag;
    }
    const set = new Set((Array.isArray(want.not) ? want.not : [want.not]).map(lower));
    return (e) => !valueList(e, path).some((v) => set.has(lower(v as string)));
  }
  const set = new Set((Array.isArray(want) ? want : [want]).map(lower));
  return (e) => valueList(e, path).some((v) => set.has(lower(v as string)));
}

function compilePredicate(p: z.infer<typeof predicateSchema>): (e: Event) => boolean {
  const conj = (m: z.infer<typeof conditionMap>): ((e: Event) => boolean) => {
    const tests = Object.entries(m).map(([path, want]) => compileCondition(path, want));
    if (tests.length === 0) return () => true;
    return (e) => tests.every((t) => t(e));
  };
  if ('any' in p && Array.isArray(p.any)) {
    const alts = (p.any as unknown as z.infer<typeof conditionMap>[]).map(conj);
    return (e) => alts.some((t) => t(e));
  }
  return conj(p as z.infer<typeof conditionMap>);
}

function predicatePaths(p: z.infer<typeof predicateSchema>): string[] {
  const maps = 'any' in p && Array.isArray(p.any) ? (p.any as object[]) : [p];
  return [...new Set(maps.flatMap((m) => Object.keys(m)))];
}

/**
 * Reads a dotted path where `[]` after a segment means "each element of this
 * list": `auditd.records[].data.a0` gives the a0 of every record. Returns a
 * list when the path has `[]` (values that are absent are left out).
 */
export function readPath(event: Event, path: string): unknown {
  const at = path.indexOf('[]');
  if (at < 0) return getField(event, path);
  const head = getField(event, path.slice(0, at));
  const rest = path.slice(at + 2).replace(/^\./, '');
  if (!Array.isArray(head)) return [];
  const out: unknown[] = [];
  for (const el of head) {
    const v = rest === '' ? el : readPath(el as Event, rest);
    if (Array.isArray(v)) out.push(...(v as unknown[]));
    else if (v !== undefined && v !== null) out.push(v);
  }
  return out;
}

/** `readPath` for one path, split once: for paths read from every event. */
export function pathReader(path: string): (event: Event) => unknown {
  if (path.includes('[]') || path === '@timestamp') return (event) => readPath(event, path);
  const parts = path.split('.');
  const [a, b, c] = parts as [string, string, string];
  // Most paths have one to three parts: a reader per depth does no loop.
  switch (parts.length) {
    case 1:
      return (event) => (event as unknown as Record<string, unknown>)[a];
    case 2:
      return (event) => child((event as unknown as Record<string, unknown>)[a], b);
    case 3:
      return (event) => child(child((event as unknown as Record<string, unknown>)[a], b), c);
  }
  return (event) => {
    let cur: unknown = event;
    for (const part of parts) cur = child(cur, part);
    return cur;
  };
}

function child(cur: unknown, key: string): unknown {
  return cur !== null && typeof cur === 'object'
    ? (cur as Record<string, unknown>)[key]
    : undefined;
}

export class Mapping {
  private constructor(
    readonly entries: readonly MappingEntry[],
    readonly files: readonly string[],
  ) {}

  /**
   * Loads the built-in tables then each user directory (or file) in order.
   * Throws RuleError (kind `mapping`) naming the file and key of a bad table.
   */
  static load(
    userPaths: readonly string[] = [],
    builtinDir: string = BUILTIN_MAPPING_DIR,
  ): Mapping {
    const files = [...yamlFiles(builtinDir), ...userPaths.flatMap(yamlFiles)];
    return Mapping.fromFiles(files.map((f) => ({ file: f, text: readFileSync(f, 'utf8') })));
  }

  /** Builds a mapping from file texts (later files override earlier ones). */
  static fromFiles(files: readonly { file: string; text: string }[]): Mapping {
    const globalFields: Record<string, FieldTarget> = {};
    const entries = new Map<string, { data: MappingEntryData; file: string }>();
    for (const { file, text } of files) {
      let raw: unknown;
      try {
        raw = parseYaml(text);
      } catch (err) {
        throw new RuleError('mapping', (err as Error).message.split('\n')[0]!, { file });
      }
      const parsed = fileSchema.safeParse(raw ?? {});
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new RuleError('mapping', issue.message, { file, key: issue.path.join('.') });
      }
      Object.assign(globalFields, parsed.data.fields);
      for (const e of parsed.data.logsources) entries.set(e.id, { data: e, file });
    }
    const built = [...entries.values()].map(({ data, file }) =>
      buildEntry(data, file, globalFields),
    );
    return new Mapping(
      built,
      files.map((f) => f.file),
    );
  }

  /**
   * The entry for a rule's logsource: every product/category/service the rule
   * names must be named the same by the entry; keys the rule leaves out are
   * free. Of several, the one naming the fewest extra keys wins. Undefined
   * when none fits (the rule stays inactive).
   */
  find(ls: LogSource): MappingEntry | undefined {
    let best: MappingEntry | undefined;
    let bestExtra = Infinity;
    for (const e of this.entries) {
      let ok = true;
      let extra = 0;
      for (const k of LOGSOURCE_KEYS) {
        const want = ls[k];
        const have = e.logsource[k];
        if (want !== undefined) {
          if (have === undefined || have.toLowerCase() !== want.toLowerCase()) ok = false;
        } else if (have !== undefined) {
          extra++;
        }
      }
      if (ok && extra < bestExtra) {
        best = e;
        bestExtra = extra;
      }
    }
    return best;
  }
}

function buildEntry(
  data: MappingEntryData,
  file: string,
  globalFields: Readonly<Record<string, FieldTarget>>,
): MappingEntry {
  const own = data.fields;
  const fallback = own['*'];
  const resolve = (target: FieldTarget, name: string): ResolvedField => {
    if (typeof target === 'string')
      return { path: target.replace('{field}', name), unmapped: false };
    return { path: target.field.replace('{field}', name), values: target.values, unmapped: false };
  };
  return {
    id: data.id,
    file,
    description: data.description,
    logsource: data.logsource,
    applies: compilePredicate(data.events),
    reads: predicatePaths(data.events),
    keywordFields: data.keywords,
    resolveField(name: string): ResolvedField {
      const t = own[name] ?? globalFields[name];
      if (t !== undefined) return resolve(t, name);
      if (fallback !== undefined && /^[A-Za-z0-9_-]+$/.test(name)) return resolve(fallback, name);
      return { path: name, unmapped: !name.includes('.') && name !== '@timestamp' };
    },
  };
}

function yamlFiles(path: string): string[] {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    throw new RuleError('io', `cannot read mapping: ${(err as Error).message}`, { file: path });
  }
  if (st.isFile()) return [path];
  return readdirSync(path)
    .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
    .sort()
    .map((f) => join(path, f));
}
