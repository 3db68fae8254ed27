import type { AlertLevel } from '../event/types.js';
import { LEVEL_SEVERITY, type CompiledRule } from './compile.js';
import { RuleError } from './errors.js';
import type { MappingEntry } from './mapping.js';
import type { SigmaCorrelation, SigmaRule } from './rule.js';

/*
 * Correlation rules (Sigma v2.1 correlations plus vigil's `absence` and
 * `suppress`): the correlation section is checked and compiled here into a
 * CompiledCorrelation whose references are resolved to compiled rules or to
 * other compiled correlations (chains), and whose group-by and value fields
 * are resolved per reference to the ECS paths to read. The runtime state
 * lives in correlation-engine.ts.
 */

export const CORRELATION_TYPES = [
  'event_count',
  'value_count',
  'temporal',
  'temporal_ordered',
  'value_sum',
  'value_avg',
  'value_percentile',
  'value_median',
  'absence',
] as const;
export type CorrelationType = (typeof CORRELATION_TYPES)[number];

const VALUE_TYPES: readonly CorrelationType[] = [
  'value_count',
  'value_sum',
  'value_avg',
  'value_percentile',
  'value_median',
];
/** Types whose aggregate only grows as events arrive: they may fire on the event that meets a lower bound. */
const GROWING_TYPES: readonly CorrelationType[] = [
  'event_count',
  'value_count',
  'value_sum',
  'temporal',
  'temporal_ordered',
];

export const CONDITION_OPS = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const;
export type ConditionOp = (typeof CONDITION_OPS)[number];

export interface ConditionBound {
  readonly op: ConditionOp;
  readonly value: number;
}

export interface CompiledCondition {
  /** All bounds must hold (a range is several bounds). */
  readonly bounds: readonly ConditionBound[];
  readonly test: (n: number) => boolean;
  /** `gte 5`, `gt 100 and lte 200`. */
  readonly text: string;
}

/** What a correlation reads: a single rule's matches or another correlation's hits. */
export type CorrelationSource =
  | { readonly kind: 'rule'; readonly rule: CompiledRule }
  | { readonly kind: 'correlation'; readonly correlation: CompiledCorrelation };

export interface CorrelationRef {
  /** The reference as written in `rules`. */
  readonly ref: string;
  readonly index: number;
  readonly source: CorrelationSource;
  /** ECS path read for each group-by field, for events of this reference. */
  readonly groupPaths: readonly string[];
  /** ECS path read for each value field (value_* types). */
  readonly valuePaths: readonly string[];
}

export interface CompiledCorrelation {
  readonly correlation: SigmaCorrelation;
  readonly id: string;
  /** The `name`, when the rule has one. */
  readonly name?: string;
  readonly title: string;
  readonly level: AlertLevel;
  readonly severity: number;
  readonly tags: readonly string[];
  readonly type: CorrelationType;
  readonly refs: readonly CorrelationRef[];
  /** Group-by field names as written. */
  readonly groupBy: readonly string[];
  /** The key of each group-by value in an alert's `group` (the ECS path when unambiguous). */
  readonly groupKeys: readonly string[];
  readonly timespan: string;
  readonly timespanMs: number;
  /** Absent for `absence`. */
  readonly condition?: CompiledCondition;
  /**
   * True when the correlation fires on the event that makes the condition
   * hold (growing aggregate, lower bounds only); false when it is judged when
   * the window closes.
   */
  readonly eager: boolean;
  /** Value fields (value_* types), as written. */
  readonly fields: readonly string[];
  /** value_percentile: the percentile (1–100); value_median is 50. */
  readonly percentile?: number;
  readonly generate: boolean;
  /** One alert per group per this many ms (vigil `suppress`). */
  readonly suppressMs?: number;
  /** The mapping entry of the first rule the chain reaches (for field names of chained hits). */
  readonly entry: MappingEntry;
  /** Stable text of the definition: equal signatures can share state across reloads. */
  readonly signature: string;
}

/** vigil's own keys on single rules: `vigil: { suppress: 10m, group-by: [...] }`. */
export interface RuleExtension {
  readonly suppressMs?: number;
  readonly groupBy?: readonly string[];
  /**
   * Lists the rule cannot judge without (`login outside the trusted networks`
   * with no trusted networks defined would flag every login): the rule stays
   * inactive until each is defined.
   */
  readonly requiresLists?: readonly string[];
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  M: 2_629_746_000,
  y: 31_556_952_000,
};

/** `30s`, `5m`, `1h`, `2d`, `1w` (and pySigma's `M`, `y`) → milliseconds; undefined when invalid. */
export function parseTimespan(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^([0-9]+)([smhdwMy])$/.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (!(n > 0)) return undefined;
  return n * UNIT_MS[m[2]!]!;
}

export function compileCondition(bounds: readonly ConditionBound[]): CompiledCondition {
  const tests = bounds.map(({ op, value }): ((n: number) => boolean) => {
    switch (op) {
      case 'gt':
        return (n) => n > value;
      case 'gte':
        return (n) => n >= value;
      case 'lt':
        return (n) => n < value;
      case 'lte':
        return (n) => n <= value;
      case 'eq':
        return (n) => n === value;
      case 'neq':
        return (n) => n !== value;
    }
  });
  return {
    bounds,
    test: tests.length === 1 ? tests[0]! : (n) => tests.every((t) => t(n)),
    text: bounds.map((b) => `${b.op} ${b.value}`).join(' and '),
  };
}

function strings(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) {
    return v.map(String);
  }
  return undefined;
}

const CORRELATION_KEYS = new Set([
  'type',
  'rules',
  'group-by',
  'timespan',
  'condition',
  'aliases',
  'generate',
  'suppress',
]);

/** A correlation section, checked but not yet resolved against the rule set. */
export interface CorrelationSpec {
  readonly doc: SigmaCorrelation;
  readonly type: CorrelationType;
  readonly rules: readonly string[];
  readonly groupBy: readonly string[];
  readonly timespan: string;
  readonly timespanMs: number;
  readonly bounds?: readonly ConditionBound[];
  readonly fields: readonly string[];
  readonly percentile?: number;
  /** alias → reference → field. */
  readonly aliases: ReadonlyMap<string, ReadonlyMap<string, string>>;
  readonly generate: boolean;
  readonly suppressMs?: number;
}

/** Checks `vigil:` on any rule; errors name the key. */
export function parseVigilKey(
  value: unknown,
  fail: (key: string, why: string) => void,
  opts: { groupBy: boolean },
): RuleExtension {
  if (value === undefined || value === null) return {};
  if (!isObj(value)) {
    fail('vigil', 'must be a map');
    return {};
  }
  let suppressMs: number | undefined;
  let groupBy: string[] | undefined;
  let requiresLists: string[] | undefined;
  for (const [k, v] of Object.entries(value)) {
    if (k === 'suppress') {
      suppressMs = parseTimespan(v);
      if (suppressMs === undefined) {
        fail('vigil.suppress', `must be a timespan like 10m, got ${JSON.stringify(v)}`);
      }
    } else if (k === 'group-by' && opts.groupBy) {
      groupBy = strings(v);
      if (!groupBy || groupBy.length === 0) {
        fail('vigil.group-by', 'must be a field name or a list of them');
      }
    } else if (k === 'requires-lists' && opts.groupBy) {
      requiresLists = strings(v);
      if (!requiresLists || requiresLists.length === 0) {
        fail('vigil.requires-lists', 'must be a list name or a list of them');
      }
    } else {
      fail(
        `vigil.${k}`,
        `is not a vigil key (known: suppress${opts.groupBy ? ', group-by, requires-lists' : ''})`,
      );
    }
  }
  return { suppressMs, groupBy, requiresLists };
}

/** The `vigil:` extension of a single rule (errors are reported by the loader). */
export function ruleExtension(rule: SigmaRule): RuleExtension {
  return parseVigilKey(rule.custom.vigil, () => {}, { groupBy: true });
}

/** Checks a correlation document's section; undefined (with errors) when it is unusable. */
export function parseCorrelation(doc: SigmaCorrelation): {
  spec?: CorrelationSpec;
  errors: RuleError[];
} {
  const errors: RuleError[] = [];
  const loc = { file: doc.origin.file, ruleId: doc.id, title: doc.title };
  const fail = (key: string, why: string): void => {
    errors.push(new RuleError('schema', why, { ...loc, key }));
  };
  const c = doc.correlation;
  for (const k of Object.keys(c)) {
    if (!CORRELATION_KEYS.has(k)) fail(`correlation.${k}`, 'is not a correlation key');
  }
  const type = c.type;
  if (type === undefined) fail('correlation.type', 'is required');
  else if (typeof type !== 'string' || !(CORRELATION_TYPES as readonly string[]).includes(type)) {
    fail(
      'correlation.type',
      `must be one of ${CORRELATION_TYPES.join(', ')}, got ${JSON.stringify(type)}`,
    );
  }
  const rules = strings(c.rules);
  if (!rules || rules.length === 0) {
    fail('correlation.rules', 'must be a rule id or name, or a list of them');
  } else if (new Set(rules).size !== rules.length) {
    fail('correlation.rules', 'lists a rule twice');
  }
  let groupBy: string[] = [];
  if (c['group-by'] !== undefined && c['group-by'] !== null) {
    const g = strings(c['group-by']);
    if (!g) fail('correlation.group-by', 'must be a field name or a list of them');
    else if (new Set(g).size !== g.length) fail('correlation.group-by', 'lists a field twice');
    else groupBy = g;
  }
  const timespanMs = parseTimespan(c.timespan);
  if (c.timespan === undefined) fail('correlation.timespan', 'is required');
  else if (timespanMs === undefined) {
    fail(
      'correlation.timespan',
      `must be a number and a unit (s, m, h, d, w) like 5m, got ${JSON.stringify(c.timespan)}`,
    );
  }
  // condition
  let bounds: ConditionBound[] | undefined;
  let fields: string[] = [];
  let percentile: number | undefined;
  const cond = c.condition;
  const t = type as CorrelationType;
  if (cond === undefined || cond === null) {
    if (t === 'temporal' || t === 'temporal_ordered') {
      bounds = [{ op: 'gte', value: rules?.length ?? 0 }];
    } else if (t !== 'absence' && type !== undefined) {
      fail('correlation.condition', `is required for ${String(type)}`);
    }
  } else if (typeof cond === 'string') {
    fail(
      'correlation.condition',
      'extended (boolean) correlation conditions are not supported; use a map such as {gte: 2}',
    );
  } else if (!isObj(cond)) {
    fail('correlation.condition', 'must be a map such as {gte: 100}');
  } else if (t === 'absence') {
    fail('correlation.condition', 'absence takes no condition (only rules, group-by, timespan)');
  } else {
    bounds = [];
    for (const [k, v] of Object.entries(cond)) {
      if ((CONDITION_OPS as readonly string[]).includes(k)) {
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          fail(`correlation.condition.${k}`, `must be a number, got ${JSON.stringify(v)}`);
        } else bounds.push({ op: k as ConditionOp, value: v });
      } else if (k === 'field') {
        const f = strings(v);
        if (!f || f.length === 0)
          fail('correlation.condition.field', 'must be a field name or a list of them');
        else fields = f;
      } else if (k === 'percentile') {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 100) {
          fail(
            'correlation.condition.percentile',
            `must be an integer 0–100, got ${JSON.stringify(v)}`,
          );
        } else percentile = v;
      } else {
        fail(
          `correlation.condition.${k}`,
          `is not a condition key (${CONDITION_OPS.join(', ')}, field, percentile)`,
        );
      }
    }
    if (bounds.length === 0)
      fail('correlation.condition', `needs one of ${CONDITION_OPS.join(', ')}`);
  }
  if (VALUE_TYPES.includes(t)) {
    if (fields.length === 0) fail('correlation.condition.field', `is required for ${t}`);
    else if (t !== 'value_count' && fields.length > 1) {
      fail('correlation.condition.field', `${t} reads one field`);
    }
  } else if (fields.length > 0 && type !== undefined) {
    fail('correlation.condition.field', `is only for value_* correlations`);
  }
  if (percentile !== undefined && t !== 'value_percentile') {
    fail('correlation.condition.percentile', 'is only for value_percentile');
  }
  if (t === 'value_percentile') percentile ??= 50;
  if (t === 'value_median') percentile = 50;
  // aliases
  const aliases = new Map<string, Map<string, string>>();
  if (c.aliases !== undefined && c.aliases !== null) {
    if (!isObj(c.aliases)) fail('correlation.aliases', 'must be a map of alias → {rule: field}');
    else {
      for (const [alias, m] of Object.entries(c.aliases)) {
        if (!isObj(m)) {
          fail(`correlation.aliases.${alias}`, 'must be a map of rule name → field');
          continue;
        }
        const per = new Map<string, string>();
        for (const [ref, field] of Object.entries(m)) {
          if (typeof field !== 'string') {
            fail(`correlation.aliases.${alias}.${ref}`, 'must be a field name');
          } else if (rules && !rules.includes(ref)) {
            fail(`correlation.aliases.${alias}.${ref}`, `${ref} is not in correlation.rules`);
          } else per.set(ref, field);
        }
        aliases.set(alias, per);
      }
    }
  }
  // generate: in the section (pySigma) or at the top (the specification's list of keys)
  let generate = false;
  for (const [key, v] of [
    ['correlation.generate', c.generate],
    ['generate', doc.generate],
  ] as const) {
    if (v === undefined || v === null) continue;
    if (typeof v !== 'boolean') fail(key, 'must be true or false');
    else generate ||= v;
  }
  // suppress: in the section or under `vigil:`
  let suppressMs: number | undefined;
  if (c.suppress !== undefined) {
    suppressMs = parseTimespan(c.suppress);
    if (suppressMs === undefined) {
      fail(
        'correlation.suppress',
        `must be a timespan like 10m, got ${JSON.stringify(c.suppress)}`,
      );
    }
  }
  const ext = parseVigilKey(doc.custom.vigil, fail, { groupBy: false });
  if (ext.suppressMs !== undefined) {
    if (suppressMs !== undefined) fail('vigil.suppress', 'is also set as correlation.suppress');
    suppressMs = ext.suppressMs;
  }
  if (errors.length > 0 || !rules || timespanMs === undefined) return { errors };
  return {
    spec: {
      doc,
      type: t,
      rules,
      groupBy,
      timespan: String(c.timespan),
      timespanMs,
      bounds,
      fields,
      percentile,
      aliases,
      generate,
      suppressMs,
    },
    errors,
  };
}

/** Where an event of this source keeps the named field. */
function pathFor(source: CorrelationSource, name: string): string {
  if (source.kind === 'rule') return source.rule.entry.resolveField(name).path;
  const c = source.correlation;
  const i = c.groupBy.indexOf(name);
  if (i >= 0) return c.groupKeys[i]!;
  if (c.groupKeys.includes(name)) return name;
  return c.entry.resolveField(name).path;
}

function sourceNames(source: CorrelationSource): string[] {
  const r = source.kind === 'rule' ? source.rule.rule : source.correlation.correlation;
  return [r.id, r.name].filter((x): x is string => x !== undefined);
}

/** Builds the compiled correlation once every reference is resolved. */
export function resolveCorrelation(
  spec: CorrelationSpec,
  sources: readonly CorrelationSource[],
): CompiledCorrelation {
  const doc = spec.doc;
  const fieldFor = (ref: string, source: CorrelationSource, name: string): string => {
    const alias = spec.aliases.get(name);
    if (alias) {
      const names = [ref, ...sourceNames(source)];
      for (const n of names) {
        const f = alias.get(n);
        if (f !== undefined) return pathFor(source, f);
      }
    }
    return pathFor(source, name);
  };
  const refs: CorrelationRef[] = spec.rules.map((ref, index) => {
    const source = sources[index]!;
    return {
      ref,
      index,
      source,
      groupPaths: spec.groupBy.map((g) => fieldFor(ref, source, g)),
      valuePaths: spec.fields.map((f) => fieldFor(ref, source, f)),
    };
  });
  const groupKeys = spec.groupBy.map((g, i) => {
    if (spec.aliases.has(g)) return g;
    const paths = new Set(refs.map((r) => r.groupPaths[i]!));
    const only = [...paths][0]!;
    return paths.size === 1 && !only.includes('[]') ? only : g;
  });
  const first = sources[0]!;
  const entry = first.kind === 'rule' ? first.rule.entry : first.correlation.entry;
  const level = doc.level ?? 'medium';
  const lowerOnly =
    spec.bounds !== undefined && spec.bounds.every((b) => b.op === 'gt' || b.op === 'gte');
  return {
    correlation: doc,
    id: doc.id ?? doc.name ?? `${doc.origin.file}#${doc.origin.document}`,
    name: doc.name,
    title: doc.title,
    level,
    severity: LEVEL_SEVERITY[level],
    tags: doc.tags,
    type: spec.type,
    refs,
    groupBy: spec.groupBy,
    groupKeys,
    timespan: spec.timespan,
    timespanMs: spec.timespanMs,
    condition: spec.bounds ? compileCondition(spec.bounds) : undefined,
    eager: spec.type === 'absence' || (GROWING_TYPES.includes(spec.type) && lowerOnly),
    fields: spec.fields,
    percentile: spec.percentile,
    generate: spec.generate,
    suppressMs: spec.suppressMs,
    entry,
    signature: JSON.stringify([
      doc.id,
      doc.name,
      doc.correlation,
      doc.custom.vigil ?? null,
      refs.map((r) =>
        r.source.kind === 'rule' ? r.source.rule.id : `corr:${r.source.correlation.signature}`,
      ),
    ]),
  };
}

export interface CorrelationCompileResult {
  readonly correlations: CompiledCorrelation[];
  readonly errors: RuleError[];
  readonly inactive: { doc: SigmaCorrelation; reason: string }[];
}

/**
 * Compiles correlation documents against the compiled rules (by id or name).
 * Order does not matter: a correlation may name one defined later. A reference
 * to an unknown rule, or a cycle, is an error; a reference to an inactive rule
 * makes the correlation inactive too.
 */
export function compileCorrelations(
  docs: readonly SigmaCorrelation[],
  rulesByRef: ReadonlyMap<string, CompiledRule>,
  inactiveRefs: ReadonlySet<string>,
): CorrelationCompileResult {
  const errors: RuleError[] = [];
  const inactive: { doc: SigmaCorrelation; reason: string }[] = [];
  const specs: CorrelationSpec[] = [];
  const docRefs = new Map<string, SigmaCorrelation>();
  for (const doc of docs) {
    if (doc.id !== undefined) docRefs.set(doc.id, doc);
    if (doc.name !== undefined) docRefs.set(doc.name, doc);
  }
  const done = new Map<SigmaCorrelation, CompiledCorrelation | null>();
  for (const doc of docs) {
    const p = parseCorrelation(doc);
    errors.push(...p.errors);
    if (p.spec) specs.push(p.spec);
    else done.set(doc, null);
  }
  const correlations: CompiledCorrelation[] = [];
  let pending = specs;
  while (pending.length > 0) {
    const next: CorrelationSpec[] = [];
    for (const spec of pending) {
      const doc = spec.doc;
      const loc = { file: doc.origin.file, ruleId: doc.id, title: doc.title };
      const sources: CorrelationSource[] = [];
      let wait = false;
      let dead: string | undefined;
      let broken = false;
      spec.rules.forEach((ref, i) => {
        const rule = rulesByRef.get(ref);
        if (rule) {
          sources.push({ kind: 'rule', rule });
          return;
        }
        const target = docRefs.get(ref);
        if (target) {
          if (target === doc) {
            errors.push(
              new RuleError('schema', 'a correlation cannot reference itself', {
                ...loc,
                key: `correlation.rules[${i}]`,
              }),
            );
            broken = true;
          } else if (!done.has(target)) wait = true;
          else {
            const c = done.get(target);
            if (c) sources.push({ kind: 'correlation', correlation: c });
            else dead ??= `references correlation ${ref}, which does not run`;
          }
          return;
        }
        if (inactiveRefs.has(ref)) {
          dead ??= `references inactive rule ${ref}`;
          return;
        }
        errors.push(
          new RuleError('schema', `rule ${ref} is not loaded`, {
            ...loc,
            key: `correlation.rules[${i}]`,
          }),
        );
        broken = true;
      });
      if (broken) {
        done.set(doc, null);
      } else if (dead !== undefined) {
        done.set(doc, null);
        inactive.push({ doc, reason: dead });
      } else if (wait) {
        next.push(spec);
      } else {
        const compiled = resolveCorrelation(spec, sources);
        done.set(doc, compiled);
        correlations.push(compiled);
      }
    }
    if (next.length === pending.length) {
      for (const spec of next) {
        const doc = spec.doc;
        errors.push(
          new RuleError('schema', 'correlations reference each other in a cycle', {
            file: doc.origin.file,
            ruleId: doc.id,
            title: doc.title,
            key: 'correlation.rules',
          }),
        );
        done.set(doc, null);
      }
      break;
    }
    pending = next;
  }
  return { correlations, errors, inactive };
}
