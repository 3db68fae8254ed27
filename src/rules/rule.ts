import { parseAllDocuments } from 'yaml';
import type { AlertLevel } from '../event/types.js';
import { parseDetection, type Detection } from './detection.js';
import { RuleError } from './errors.js';
import type { LogSource } from './logsource.js';

/*
 * The rule model and its YAML loading: single rules, multi-document
 * collections (action: global / reset / repeat), v2 meta filters and
 * (recognised, not yet run) correlation rules. Every document is checked
 * against the Sigma v2 keys; each bad document gives its own errors and
 * never stops the others.
 */

export const LEVELS: readonly AlertLevel[] = ['informational', 'low', 'medium', 'high', 'critical'];
export const STATUSES = ['stable', 'test', 'experimental', 'deprecated', 'unsupported'] as const;
export type RuleStatus = (typeof STATUSES)[number];
export const RELATION_TYPES = ['derived', 'obsolete', 'obsoletes', 'merged', 'renamed', 'similar'];

export interface RuleOrigin {
  readonly file: string;
  /** 0-based index of the YAML document in the file. */
  readonly document: number;
}

interface RuleCommon {
  readonly origin: RuleOrigin;
  readonly id?: string;
  readonly name?: string;
  readonly title: string;
  readonly description?: string;
  readonly status?: RuleStatus;
  readonly author?: string;
  readonly date?: string;
  readonly modified?: string;
  readonly references: readonly string[];
  readonly tags: readonly string[];
  /** Keys the Sigma spec does not define, kept as written. */
  readonly custom: Readonly<Record<string, unknown>>;
}

export interface SigmaRule extends RuleCommon {
  readonly type: 'rule';
  readonly level?: AlertLevel;
  readonly logsource: LogSource;
  readonly detection: Detection;
  readonly falsepositives: readonly string[];
  readonly fields: readonly string[];
  readonly related: readonly { id: string; type: string }[];
}

/** A v2 meta filter: its condition must also hold for the named rules to match. */
export interface SigmaFilter extends RuleCommon {
  readonly type: 'filter';
  readonly logsource?: LogSource;
  /** Ids or names of the rules it applies to. */
  readonly rules: readonly string[];
  readonly detection: Detection;
}

/** A correlation rule; its `correlation` section is checked and compiled by correlation.ts. */
export interface SigmaCorrelation extends RuleCommon {
  readonly type: 'correlation';
  readonly level?: AlertLevel;
  readonly correlation: Readonly<Record<string, unknown>>;
  /** Top-level `generate` (the section's own `generate` is read from `correlation`). */
  readonly generate?: boolean;
  readonly falsepositives: readonly string[];
}

export type SigmaDocument = SigmaRule | SigmaFilter | SigmaCorrelation;

export interface ParseResult {
  readonly documents: SigmaDocument[];
  readonly errors: RuleError[];
}

const COMMON_KEYS = new Set([
  'title',
  'id',
  'name',
  'related',
  'taxonomy',
  'status',
  'description',
  'license',
  'author',
  'references',
  'date',
  'modified',
  'tags',
  'scope',
  'falsepositives',
  'fields',
  'level',
  'logsource',
  'detection',
  'filter',
  'correlation',
  'generate',
]);

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Deep merge for collections: maps merge key by key, anything else is replaced. */
export function deepMerge(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isObj(b) && isObj(v) ? deepMerge(b, v) : v;
  }
  return out;
}

class Checker {
  readonly errors: RuleError[] = [];
  constructor(
    private readonly doc: Obj,
    private readonly file: string,
  ) {}

  private get loc(): { file: string; ruleId?: string; title?: string } {
    const id = typeof this.doc.id === 'string' ? this.doc.id : undefined;
    const title = typeof this.doc.title === 'string' ? this.doc.title : undefined;
    return { file: this.file, ruleId: id, title };
  }

  fail(key: string, why: string, kind: 'schema' | 'value' = 'schema'): void {
    this.errors.push(new RuleError(kind, why, { ...this.loc, key }));
  }

  add(err: RuleError): void {
    this.errors.push(err.locate(this.loc));
  }

  string(key: string, opts: { required?: boolean; max?: number } = {}): string | undefined {
    const v = this.doc[key];
    if (v === undefined || v === null) {
      if (opts.required) this.fail(key, 'is required');
      return undefined;
    }
    if (v instanceof Date) return v.toISOString().slice(0, 10);
    if (typeof v !== 'string') {
      this.fail(key, `must be a string, got ${typeName(v)}`);
      return undefined;
    }
    if (opts.max !== undefined && v.length > opts.max) {
      this.fail(key, `is longer than ${opts.max} characters`);
    }
    return v;
  }

  date(key: string): string | undefined {
    const v = this.string(key);
    if (v !== undefined && !/^\d{4}[-/]\d{2}[-/]\d{2}$/.test(v)) {
      this.fail(key, `must be a date YYYY-MM-DD, got ${JSON.stringify(v)}`);
    }
    return v;
  }

  enumOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const v = this.string(key);
    if (v === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(v)) {
      this.fail(key, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
      return undefined;
    }
    return v as T;
  }

  strings(key: string, opts: { single?: boolean } = {}): string[] {
    const v = this.doc[key];
    if (v === undefined || v === null) return [];
    if (opts.single && typeof v === 'string') return [v];
    if (!Array.isArray(v)) {
      this.fail(key, `must be a list of strings, got ${typeName(v)}`);
      return [];
    }
    const out: string[] = [];
    v.forEach((x, i) => {
      if (typeof x === 'string') out.push(x);
      else if (typeof x === 'number') out.push(String(x));
      else this.fail(`${key}[${i}]`, `must be a string, got ${typeName(x)}`);
    });
    return out;
  }

  tags(): string[] {
    const tags = this.strings('tags');
    tags.forEach((t, i) => {
      if (!/^[a-z0-9_-]+\.[a-z0-9._-]+$/i.test(t)) {
        this.fail(`tags[${i}]`, `tag ${JSON.stringify(t)} is not namespace.name`);
      }
    });
    return tags;
  }

  related(): { id: string; type: string }[] {
    const v = this.doc.related;
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.fail('related', 'must be a list of {id, type}');
      return [];
    }
    const out: { id: string; type: string }[] = [];
    v.forEach((r, i) => {
      if (!isObj(r) || typeof r.id !== 'string' || typeof r.type !== 'string') {
        this.fail(`related[${i}]`, 'must be a map with string id and type');
      } else if (!RELATION_TYPES.includes(r.type)) {
        this.fail(`related[${i}].type`, `must be one of ${RELATION_TYPES.join(', ')}`);
      } else {
        out.push({ id: r.id, type: r.type });
      }
    });
    return out;
  }

  logsource(required: boolean): LogSource | undefined {
    const v = this.doc.logsource;
    if (v === undefined || v === null) {
      if (required) this.fail('logsource', 'is required');
      return undefined;
    }
    if (!isObj(v)) {
      this.fail('logsource', `must be a map, got ${typeName(v)}`);
      return undefined;
    }
    const custom: Record<string, string> = {};
    const ls: { product?: string; category?: string; service?: string; definition?: string } = {};
    for (const [k, x] of Object.entries(v)) {
      if (typeof x !== 'string') {
        this.fail(`logsource.${k}`, `must be a string, got ${typeName(x)}`);
        continue;
      }
      if (k === 'product' || k === 'category' || k === 'service' || k === 'definition') ls[k] = x;
      else custom[k] = x;
    }
    if (ls.product === undefined && ls.category === undefined && ls.service === undefined) {
      this.fail('logsource', 'needs at least one of product, category, service');
    }
    return { ...ls, custom };
  }

  common(): Omit<RuleCommon, 'origin'> {
    const custom: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.doc)) if (!COMMON_KEYS.has(k)) custom[k] = v;
    return {
      id: this.string('id'),
      name: this.string('name'),
      title: this.string('title', { required: true, max: 256 }) ?? '',
      description: this.string('description'),
      status: this.enumOf('status', STATUSES),
      author: this.string('author'),
      date: this.date('date'),
      modified: this.date('modified'),
      references: this.strings('references'),
      tags: this.tags(),
      custom,
    };
  }
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (isObj(v)) return 'a map';
  return `a ${typeof v}`;
}

function buildDocument(doc: Obj, origin: RuleOrigin): { doc?: SigmaDocument; errors: RuleError[] } {
  const c = new Checker(doc, origin.file);
  const common = c.common();
  if (doc.correlation !== undefined) {
    if (!isObj(doc.correlation)) c.fail('correlation', 'must be a map');
    const level = c.enumOf('level', LEVELS);
    const falsepositives = c.strings('falsepositives', { single: true });
    const generate = doc.generate;
    if (generate !== undefined && generate !== null && typeof generate !== 'boolean') {
      c.fail('generate', 'must be true or false');
    }
    if (c.errors.length > 0) return { errors: c.errors };
    return {
      doc: {
        type: 'correlation',
        origin,
        ...common,
        level,
        correlation: doc.correlation as Obj,
        generate: typeof generate === 'boolean' ? generate : undefined,
        falsepositives,
      },
      errors: [],
    };
  }
  if (doc.filter !== undefined) {
    const f = doc.filter;
    const logsource = c.logsource(false);
    let rules: string[] = [];
    let detection: Detection | undefined;
    if (!isObj(f)) {
      c.fail('filter', 'must be a map with rules, selections and a condition');
    } else {
      const r = f.rules;
      if (typeof r === 'string') rules = [r];
      else if (Array.isArray(r) && r.length > 0 && r.every((x) => typeof x === 'string')) {
        rules = r as string[];
      } else c.fail('filter.rules', 'must be a rule id or name, or a list of them');
      const rest: Obj = { ...f };
      delete rest.rules;
      const parsed = parseDetection(rest);
      for (const e of parsed.errors) {
        c.add(
          e.key ? new RuleError(e.kind, e.why, { key: e.key.replace(/^detection/, 'filter') }) : e,
        );
      }
      detection = parsed.detection;
    }
    if (doc.detection !== undefined)
      c.fail('detection', "a filter keeps its selections under 'filter'");
    if (c.errors.length > 0 || !detection) return { errors: c.errors };
    return { doc: { type: 'filter', origin, ...common, logsource, rules, detection }, errors: [] };
  }
  const logsource = c.logsource(true);
  const level = c.enumOf('level', LEVELS);
  const falsepositives = c.strings('falsepositives', { single: true });
  const fields = c.strings('fields');
  const related = c.related();
  c.strings('scope');
  let detection: Detection | undefined;
  if (doc.detection === undefined) c.fail('detection', 'is required');
  else {
    const parsed = parseDetection(doc.detection);
    parsed.errors.forEach((e) => c.add(e));
    detection = parsed.detection;
  }
  if (c.errors.length > 0 || !detection || !logsource) return { errors: c.errors };
  return {
    doc: {
      type: 'rule',
      origin,
      ...common,
      level,
      logsource,
      detection,
      falsepositives,
      fields,
      related,
    },
    errors: [],
  };
}

/**
 * Parses the text of one rule file (one or more YAML documents). Collection
 * actions: `global` merges into every later document, `reset` drops it,
 * `repeat` is the previous document with this one merged over it.
 */
export function parseRuleText(text: string, file: string): ParseResult {
  const documents: SigmaDocument[] = [];
  const errors: RuleError[] = [];
  let docs;
  try {
    docs = parseAllDocuments(text);
  } catch (err) {
    return { documents, errors: [new RuleError('yaml', (err as Error).message, { file })] };
  }
  if (!Array.isArray(docs)) docs = [docs];
  let global: Obj = {};
  let previous: Obj | undefined;
  docs.forEach((yamlDoc, index) => {
    const origin: RuleOrigin = { file, document: index };
    if (yamlDoc.errors.length > 0) {
      const e = yamlDoc.errors[0]!;
      const line = e.linePos?.[0]?.line;
      errors.push(
        new RuleError(
          'yaml',
          e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
          {
            file: line === undefined ? file : `${file}:${line}`,
          },
        ),
      );
      return;
    }
    const value: unknown = yamlDoc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    if (!isObj(value)) {
      errors.push(new RuleError('schema', `document ${index + 1} is not a map`, { file }));
      return;
    }
    const { action, ...body } = value;
    let merged: Obj;
    if (action === 'global') {
      global = deepMerge(global, body);
      return;
    } else if (action === 'reset') {
      global = {};
      return;
    } else if (action === 'repeat') {
      if (!previous) {
        errors.push(
          new RuleError('schema', "'repeat' needs a document before it", { file, key: 'action' }),
        );
        return;
      }
      merged = deepMerge(previous, body);
    } else if (action !== undefined) {
      errors.push(
        new RuleError('schema', `must be global, reset or repeat, got ${JSON.stringify(action)}`, {
          file,
          key: 'action',
        }),
      );
      return;
    } else {
      merged = deepMerge(global, body);
    }
    previous = merged;
    const built = buildDocument(merged, origin);
    errors.push(...built.errors);
    if (built.doc) documents.push(built.doc);
  });
  return { documents, errors };
}
