import { ListRegistry } from './lists.js';
import type { AlertLevel, Event } from '../event/types.js';
import { compileSafeRegex, UnsafeRegexError } from '../event/safe-regex.js';
import { resolveOfTarget, type ConditionNode } from './condition.js';
import type { Detection, FieldItem, Selection } from './detection.js';
import { RuleError } from './errors.js';
import {
  DEFAULT_KEYWORD_FIELDS,
  pathReader,
  type Mapping,
  type MappingEntry,
  type ResolvedField,
} from './mapping.js';
import type { SigmaFilter, SigmaRule } from './rule.js';
import {
  isPlaceholder,
  normalizeParts,
  parseIp,
  WILDCARD_MULTI,
  WILDCARD_SINGLE,
  type SigmaCidr,
  type SigmaCompare,
  type SigmaString,
  type SigmaValue,
  type StringPart,
  type TimePart,
} from './values.js';

/*
 * Compilation: typed matchers are built once per rule (wildcards become
 * startsWith/endsWith/includes/equality or one safe regex, CIDR a parsed
 * network, numbers numbers) with needles lowered up front. Field reads go
 * through an EventView that caches each path's values (and their lowered
 * form) for the event, so many rules reading one field read it once.
 */

export const LEVEL_SEVERITY: Readonly<Record<AlertLevel, number>> = {
  informational: 3,
  low: 5,
  medium: 8,
  high: 12,
  critical: 15,
};

export interface CompileOptions {
  /** Values of `%name%` placeholders for the `expand` modifier. */
  placeholders?: Readonly<Record<string, readonly string[]>>;
  /** Lists the `inlist` modifier reads; an unknown list holds no value. */
  lists?: ListRegistry;
}

type Scalar = string | number | boolean;

const NO_VALUES: readonly Scalar[] = [];

function isScalar(e: unknown): e is Scalar {
  return typeof e === 'string' || typeof e === 'number' || typeof e === 'boolean';
}

/** Lists of scalars (event.category, related.ip) are the event's own array: no copy to read them. */
function allScalars(x: readonly unknown[]): boolean {
  for (let i = 0; i < x.length; i++) if (!isScalar(x[i])) return false;
  return true;
}

/** A path's values for the view's current event (`gen`), kept from event to event. */
interface Slot {
  readonly read: (event: Event) => unknown;
  gen: number;
  raw: readonly Scalar[];
  /** The array `raw` is for a one-value field: reused, so reading a field allocates nothing. */
  readonly one: Scalar[];
  lowGen: number;
  readonly low: string[];
}

/**
 * Field paths by number, shared by every view: compiled tests name their
 * fields by number, so reading one is an array index, not a map lookup.
 */
const FIELD_IDS = new Map<string, number>();
const FIELD_PATHS: string[] = [];

/** The number of a field path (assigned on first use). */
export function fieldId(path: string): number {
  let id = FIELD_IDS.get(path);
  if (id === undefined) {
    id = FIELD_PATHS.length;
    FIELD_PATHS.push(path);
    FIELD_IDS.set(path, id);
  }
  return id;
}

/**
 * One event as the matchers see it: field values read once, as lists. A
 * view is reused from event to event (`reset`); what `values` and `lowered`
 * return is valid until then and must not be kept or changed.
 */
export class EventView {
  private readonly slots: (Slot | undefined)[] = [];
  private gen = 0;
  constructor(public event: Event) {}

  /** Views another event (the detector reuses one view instead of allocating per event). */
  reset(event: Event): this {
    this.event = event;
    this.gen++;
    return this;
  }

  private slot(id: number): Slot {
    let s = this.slots[id];
    if (s === undefined) {
      s = {
        read: pathReader(FIELD_PATHS[id]!),
        gen: -1,
        raw: NO_VALUES,
        one: [''],
        lowGen: -1,
        low: [],
      };
      this.slots[id] = s;
    }
    return s;
  }

  /** The field's values: a list for list fields, [] when absent or null. */
  values(path: string): readonly Scalar[] {
    return this.valuesOf(fieldId(path));
  }

  /** The field's values as lower-case strings. */
  lowered(path: string): readonly string[] {
    return this.loweredOf(fieldId(path));
  }

  /** `values` of the field numbered `id` (fieldId). */
  valuesOf(id: number): readonly Scalar[] {
    const s = this.slot(id);
    if (s.gen !== this.gen) {
      s.gen = this.gen;
      const x = s.read(this.event);
      // Most fields are one scalar or absent: no filtering pass for those.
      if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') {
        s.one[0] = x;
        s.raw = s.one;
      } else if (!Array.isArray(x)) s.raw = NO_VALUES;
      else s.raw = allScalars(x) ? (x as Scalar[]) : x.filter(isScalar);
    }
    return s.raw;
  }

  /** `lowered` of the field numbered `id` (fieldId). */
  loweredOf(id: number): readonly string[] {
    const s = this.slot(id);
    if (s.lowGen !== this.gen) {
      const raw = this.valuesOf(id);
      s.lowGen = this.gen;
      const low = s.low;
      low.length = raw.length;
      for (let i = 0; i < raw.length; i++) {
        const x = raw[i]!;
        low[i] = (typeof x === 'string' ? x : String(x)).toLowerCase();
      }
    }
    return s.low;
  }
}

type ViewTest = (view: EventView) => boolean;

/** A field equality the rule cannot match without; the detector indexes rules by it. */
export interface Requirement {
  readonly path: string;
  /** Lower-case values, any of which satisfies it. */
  readonly values: readonly string[];
}

/**
 * Field equalities of which the rule needs at least one (alternatives):
 * the detector files the rule under each, so an event is only tested
 * against rules one of whose alternatives it has. `a or b` needs a key of
 * `a` or a key of `b`; `a and b` needs a key of either.
 */
export type IndexKey = readonly Requirement[];

export interface CompiledSelection {
  readonly name: string;
  readonly test: ViewTest;
  readonly requirements: readonly Requirement[];
  readonly keys: readonly IndexKey[];
}

export interface CompiledFilter {
  readonly filter: SigmaFilter;
  readonly test: ViewTest;
}

export interface CompiledRule {
  readonly rule: SigmaRule;
  readonly id: string;
  readonly title: string;
  readonly level: AlertLevel;
  readonly severity: number;
  readonly tags: readonly string[];
  readonly entry: MappingEntry;
  readonly selections: readonly CompiledSelection[];
  /** The detection condition (without filters). */
  readonly condition: ViewTest;
  /** Filters that must also hold (v2 meta filters naming this rule). */
  readonly filters: CompiledFilter[];
  /** Index key: the most selective required field equality, if any. */
  readonly requirement?: Requirement;
  /** Every index key of the rule, any one of which may file it (the detector picks by load). */
  readonly keys?: readonly IndexKey[];
  /** Sigma field name → ECS path actually read. */
  readonly fieldMap: ReadonlyMap<string, string>;
  /** Sigma field names no table mapped (read as written; likely never present). */
  readonly unmappedFields: readonly string[];
}

/** Is the rule matched by the event (condition and every filter)? */
export function matches(rule: CompiledRule, view: EventView): boolean {
  if (!rule.condition(view)) return false;
  for (const f of rule.filters) if (!f.test(view)) return false;
  return true;
}

// ---- strings ---------------------------------------------------------------

function expandPlaceholders(
  s: SigmaString,
  placeholders: Readonly<Record<string, readonly string[]>>,
): StringPart[][] {
  let variants: StringPart[][] = [[]];
  for (const p of s.parts) {
    if (!isPlaceholder(p)) {
      variants.forEach((v) => v.push(p));
      continue;
    }
    const values = placeholders[p.placeholder];
    if (values === undefined) {
      throw new RuleError(
        'placeholder',
        `placeholder %${p.placeholder}% has no values (define it in the placeholders config)`,
      );
    }
    variants = variants.flatMap((v) => values.map((x) => [...v, x]));
  }
  return variants.map(normalizeParts);
}

const EMPTY_LISTS = new ListRegistry();

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** A test on one string for a wildcard pattern (parts already lowered when not cased). */
function stringTest(parts: StringPart[]): (s: string) => boolean {
  const lits = parts.filter((p): p is string => typeof p === 'string');
  const n = parts.length;
  if (n === 0) return (s) => s === '';
  if (n === 1 && lits.length === 1) {
    const lit = lits[0]!;
    return (s) => s === lit;
  }
  if (n === 1 && parts[0] === WILDCARD_MULTI) return () => true;
  const first = parts[0];
  const last = parts[n - 1];
  if (n === 2 && first === WILDCARD_MULTI && typeof last === 'string') {
    return (s) => s.endsWith(last);
  }
  if (n === 2 && last === WILDCARD_MULTI && typeof first === 'string') {
    return (s) => s.startsWith(first);
  }
  if (n === 3 && first === WILDCARD_MULTI && last === WILDCARD_MULTI && lits.length === 1) {
    const mid = lits[0]!;
    return (s) => s.includes(mid);
  }
  let src = '^';
  for (const p of parts) {
    if (p === WILDCARD_MULTI) src += '[\\s\\S]*';
    else if (p === WILDCARD_SINGLE) src += '[\\s\\S]';
    else if (typeof p === 'string') src += escapeRegex(p);
  }
  const re = compileSafeRegex(src + '$');
  return (s) => re.test(s);
}

// ---- values ----------------------------------------------------------------

function ipInCidr(net: SigmaCidr, text: string): boolean {
  const ip = parseIp(text);
  if (!ip || ip.family !== net.family) return false;
  const bits = net.family === 4 ? 32 : 128;
  const shift = BigInt(bits - net.prefix);
  return ip.value >> shift === net.network >> shift;
}

function compare(c: SigmaCompare, n: number): boolean {
  switch (c.op) {
    case 'lt':
      return n < c.value;
    case 'lte':
      return n <= c.value;
    case 'gt':
      return n > c.value;
    case 'gte':
      return n >= c.value;
  }
}

function toNumber(v: Scalar): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    if (Number.isFinite(n)) return n;
  }
  return undefined;
}

function isoWeek(d: Date): number {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  return Math.ceil(((t.getTime() - yearStart) / 86400000 + 1) / 7);
}

/** The part of a date (UTC): minute, hour, day of month, ISO week, month 1–12, year. */
export function timePart(part: TimePart, d: Date): number {
  switch (part) {
    case 'minute':
      return d.getUTCMinutes();
    case 'hour':
      return d.getUTCHours();
    case 'day':
      return d.getUTCDate();
    case 'week':
      return isoWeek(d);
    case 'month':
      return d.getUTCMonth() + 1;
    case 'year':
      return d.getUTCFullYear();
  }
}

interface ValueContext {
  readonly path: string;
  readonly field: ResolvedField | null;
  readonly mapping: MappingEntry;
  readonly opts: CompileOptions;
  readonly keyword: boolean;
  readonly fieldMap: Map<string, string>;
  readonly unmapped: Set<string>;
}

/** Test one value (one alternative) against the field's values: any element matches. */
function compileValue(v: SigmaValue, ctx: ValueContext): ViewTest {
  const path = fieldId(ctx.path);
  switch (v.kind) {
    case 'string': {
      let s = v;
      if (ctx.keyword && !s.parts.includes(WILDCARD_MULTI)) {
        s = { ...s, parts: [WILDCARD_MULTI, ...s.parts, WILDCARD_MULTI] };
      }
      const valueMap = ctx.field?.values;
      const variants = expandPlaceholders(s, ctx.opts.placeholders ?? {}).map((parts) => {
        if (valueMap && parts.length === 1 && typeof parts[0] === 'string') {
          const mapped = valueMap[parts[0]] ?? valueMap[parts[0].toLowerCase()];
          if (mapped !== undefined) return [mapped];
        }
        return parts;
      });
      const tests = variants.map((parts) =>
        stringTest(
          v.cased ? parts : parts.map((p) => (typeof p === 'string' ? p.toLowerCase() : p)),
        ),
      );
      const one = tests.length === 1 ? tests[0]! : (x: string) => tests.some((t) => t(x));
      if (v.cased) return (view) => view.valuesOf(path).some((x) => one(String(x)));
      return (view) => view.loweredOf(path).some(one);
    }
    case 'number': {
      const text = String(v.value);
      return (view) =>
        view
          .valuesOf(path)
          .some((x) => (typeof x === 'number' ? x === v.value : String(x).trim() === text));
    }
    case 'bool': {
      const text = String(v.value);
      return (view) => view.loweredOf(path).some((x) => x === text);
    }
    case 'null':
      return (view) => view.valuesOf(path).length === 0;
    case 'exists':
      return (view) => view.valuesOf(path).length > 0 === v.value;
    case 'regex': {
      const re = compileSafeRegex(v.pattern, v.flags);
      return (view) => view.valuesOf(path).some((x) => re.test(String(x)));
    }
    case 'cidr':
      return (view) => view.valuesOf(path).some((x) => typeof x === 'string' && ipInCidr(v, x));
    case 'list': {
      const lists = ctx.opts.lists ?? EMPTY_LISTS;
      return (view) => view.valuesOf(path).some((x) => lists.has(v.name, String(x)));
    }
    case 'compare':
      return (view) =>
        view.valuesOf(path).some((x) => {
          const n = toNumber(x);
          return n !== undefined && compare(v, n);
        });
    case 'timepart': {
      const inner = v.inner;
      return (view) =>
        view.valuesOf(path).some((x) => {
          const d = new Date(typeof x === 'boolean' ? NaN : x);
          if (Number.isNaN(d.getTime())) return false;
          const n = timePart(v.part, d);
          if (!inner) return true;
          return inner.kind === 'number' ? n === inner.value : compare(inner, n);
        });
    }
    case 'fieldref': {
      const otherId = fieldId(resolveField(v.field, ctx).path);
      const norm = (x: Scalar): string => (v.cased ? String(x) : String(x).toLowerCase());
      const rel: (a: string, b: string) => boolean =
        v.mode === 'eq'
          ? (a, b) => a === b
          : v.mode === 'contains'
            ? (a, b) => a.includes(b)
            : v.mode === 'startswith'
              ? (a, b) => a.startsWith(b)
              : (a, b) => a.endsWith(b);
      return (view) => {
        const bs = view.valuesOf(otherId).map(norm);
        return view.valuesOf(path).some((a) => bs.some((b) => rel(norm(a), b)));
      };
    }
    case 'not': {
      const inner = compileValue(v.inner, ctx);
      return (view) => !inner(view);
    }
  }
}

function resolveField(name: string, ctx: ValueContext): ResolvedField {
  const r = ctx.mapping.resolveField(name);
  ctx.fieldMap.set(name, r.path);
  if (r.unmapped) ctx.unmapped.add(name);
  return r;
}

function isExactValue(v: SigmaValue): string | undefined {
  if (v.kind === 'number') return String(v.value);
  if (v.kind === 'string' && v.parts.length === 1 && typeof v.parts[0] === 'string') {
    return v.parts[0].toLowerCase();
  }
  return undefined;
}

/**
 * The values of a field item that lists only plain literals (case-folded,
 * no wildcard, placeholder or modifier), as a set: one lookup per field
 * value instead of one comparison per listed value. Undefined otherwise, or
 * for a single value.
 */
function literalSet(item: FieldItem): ReadonlySet<string> | undefined {
  const out = new Set<string>();
  for (const alts of item.values) {
    for (const v of alts) {
      if (v.kind !== 'string' || v.cased || v.parts.length !== 1) return undefined;
      const p = v.parts[0];
      if (typeof p !== 'string') return undefined;
      out.add(p.toLowerCase());
    }
  }
  return out.size > 1 ? out : undefined;
}

function hasAny(values: readonly string[], set: ReadonlySet<string>): boolean {
  for (let i = 0; i < values.length; i++) if (set.has(values[i]!)) return true;
  return false;
}

function compileItem(
  item: FieldItem,
  base: Omit<ValueContext, 'path' | 'field' | 'keyword'>,
  keyPath: string,
): { test: ViewTest; requirements: Requirement[] } {
  try {
    const keyword = item.field === null;
    let paths: string[];
    let field: ResolvedField | null = null;
    const ctx0 = { ...base, path: '', field: null, keyword };
    if (keyword) {
      paths = [...(base.mapping.keywordFields ?? DEFAULT_KEYWORD_FIELDS)];
    } else {
      field = resolveField(item.field!, ctx0);
      paths = [field.path];
    }
    const literals =
      keyword || item.all || item.neq || field?.values ? undefined : literalSet(item);
    const perPath = paths.map((path) => {
      if (literals) {
        const id = fieldId(path);
        return (view: EventView) => hasAny(view.loweredOf(id), literals);
      }
      const ctx: ValueContext = { ...base, path, field, keyword };
      const groups = item.values.map((alts) => {
        const tests = alts.map((a) => compileValue(a, ctx));
        const any: ViewTest = tests.length === 1 ? tests[0]! : (view) => tests.some((t) => t(view));
        return item.neq ? (view: EventView) => !any(view) : any;
      });
      if (groups.length === 1) return groups[0]!;
      return item.all
        ? (view: EventView) => groups.every((g) => g(view))
        : (view: EventView) => groups.some((g) => g(view));
    });
    let test: ViewTest;
    if (keyword && base.mapping.keywordFields !== undefined && paths.length > 1) {
      // A mapping's keyword fields are all searched.
      test = (view) => perPath.some((t) => t(view));
    } else if (keyword && paths.length > 1) {
      // By default keywords search the message, else the original record.
      test = (view) => {
        for (let i = 0; i < paths.length; i++) {
          if (view.values(paths[i]!).length > 0) return perPath[i]!(view);
        }
        return false;
      };
    } else {
      test = perPath[0]!;
    }
    const requirements: Requirement[] = [];
    if (!keyword && !item.neq && field && !field.values) {
      const exact = item.values.map((alts) => alts.map(isExactValue));
      const ok = (g: (string | undefined)[]): g is string[] => g.every((x) => x !== undefined);
      if (item.all) {
        const g = exact.find(ok);
        if (g) requirements.push({ path: field.path, values: g });
      } else if (exact.every(ok)) {
        requirements.push({ path: field.path, values: [...new Set(exact.flat() as string[])] });
      }
    }
    return { test, requirements };
  } catch (err) {
    if (err instanceof UnsafeRegexError) {
      throw new RuleError('regex', err.message, { key: keyPath });
    }
    if (err instanceof RuleError) throw err.locate({ key: keyPath });
    throw err;
  }
}

function compileSelection(
  sel: Selection,
  base: Omit<ValueContext, 'path' | 'field' | 'keyword'>,
  prefix: string,
): CompiledSelection {
  const path = `${prefix}.${sel.name}`;
  if (sel.kind === 'keywords') {
    const items = sel.items.map((it) => compileItem(it, base, path));
    const tests = items.map((i) => i.test);
    return {
      name: sel.name,
      test: (view) => tests.some((t) => t(view)),
      requirements: [],
      keys: [],
    };
  }
  const maps = sel.maps.map((m, i) => {
    const mp = sel.maps.length > 1 ? `${path}[${i}]` : path;
    const items = m.map((it) => compileItem(it, base, `${mp}.${it.key}`));
    const tests = items.map((x) => x.test);
    return {
      test: tests.length === 1 ? tests[0]! : (view: EventView) => tests.every((t) => t(view)),
      requirements: items.flatMap((x) => x.requirements),
    };
  });
  const tests = maps.map((m) => m.test);
  const mapKeys = maps.map((m) => m.requirements.map((r): IndexKey => [r]));
  return {
    name: sel.name,
    test: tests.length === 1 ? tests[0]! : (view) => tests.some((t) => t(view)),
    requirements: maps.length === 1 ? maps[0]!.requirements : [],
    keys: maps.length === 1 ? mapKeys[0]! : anyOf(mapKeys),
  };
}

function keyWeight(k: IndexKey): number {
  let n = 0;
  for (const r of k) n += r.values.length;
  return n;
}

/**
 * ECS categorization fields: a handful of values each (`event.outcome`
 * success or failure), so a rule filed under one is tested on a large share
 * of all events.
 */
const BROAD_FIELDS: ReadonlySet<string> = new Set([
  'event.outcome',
  'event.kind',
  'event.category',
  'event.type',
]);

function broadness(k: IndexKey): number {
  let n = 0;
  for (const r of k) if (BROAD_FIELDS.has(r.path)) n++;
  return n;
}

/** The shortest value of a key: a long literal (a whole message) is rarer than a short one (a program name). */
function keySpecificity(k: IndexKey): number {
  let n = Infinity;
  for (const r of k) for (const v of r.values) n = Math.min(n, v.length);
  return n;
}

/** Which of two keys files a rule under fewer events: narrow fields first, then fewer values, then longer ones. */
function lighter(a: IndexKey, b: IndexKey): boolean {
  const ba = broadness(a);
  const bb = broadness(b);
  if (ba !== bb) return ba < bb;
  const wa = keyWeight(a);
  const wb = keyWeight(b);
  return wa < wb || (wa === wb && keySpecificity(a) > keySpecificity(b));
}

/**
 * The key of "any of these holds": each part's lightest key, joined as
 * alternatives; none when a part has none (it could hold on any event).
 */
function anyOf(parts: readonly (readonly IndexKey[])[]): IndexKey[] {
  const alts: Requirement[] = [];
  for (const keys of parts) {
    let best: IndexKey | undefined;
    for (const k of keys) if (!best || lighter(k, best)) best = k;
    if (!best) return [];
    alts.push(...best);
  }
  return alts.length > 0 ? [alts] : [];
}

interface CompiledCondition {
  test: ViewTest;
  requirements: Requirement[];
  keys: IndexKey[];
}

function compileCondition(
  node: ConditionNode,
  sels: ReadonlyMap<string, CompiledSelection>,
): CompiledCondition {
  switch (node.op) {
    case 'ref': {
      const s = sels.get(node.name)!;
      return { test: s.test, requirements: [...s.requirements], keys: [...s.keys] };
    }
    case 'not': {
      const inner = compileCondition(node.arg, sels).test;
      return { test: (view) => !inner(view), requirements: [], keys: [] };
    }
    case 'and': {
      const args = node.args.map((a) => compileCondition(a, sels));
      const tests = args.map((a) => a.test);
      return {
        test: (view) => tests.every((t) => t(view)),
        requirements: args.flatMap((a) => a.requirements),
        keys: args.flatMap((a) => a.keys),
      };
    }
    case 'or': {
      const args = node.args.map((a) => compileCondition(a, sels));
      const tests = args.map((a) => a.test);
      return {
        test: (view) => tests.some((t) => t(view)),
        requirements: [],
        keys: anyOf(args.map((a) => a.keys)),
      };
    }
    case 'of': {
      const names = resolveOfTarget(node.target, [...sels.keys()]);
      const chosen = names.map((n) => sels.get(n)!);
      const tests = chosen.map((s) => s.test);
      if (node.quant === 'all') {
        return {
          test: (view) => tests.every((t) => t(view)),
          requirements: chosen.flatMap((s) => s.requirements),
          keys: chosen.flatMap((s) => s.keys),
        };
      }
      const need = node.quant;
      // At least one of them must hold, whatever the count asked for.
      const keys = anyOf(chosen.map((s) => s.keys));
      if (need === 1) return { test: (view) => tests.some((t) => t(view)), requirements: [], keys };
      return {
        test: (view) => {
          let n = 0;
          for (const t of tests) if (t(view) && ++n >= need) return true;
          return false;
        },
        requirements: [],
        keys,
      };
    }
  }
}

/** Compiles a detection (a rule's or a filter's) against a mapping entry. */
export function compileDetection(
  detection: Detection,
  entry: MappingEntry,
  opts: CompileOptions,
  prefix = 'detection',
): {
  selections: CompiledSelection[];
  condition: ViewTest;
  requirements: Requirement[];
  keys: IndexKey[];
  fieldMap: Map<string, string>;
  unmapped: Set<string>;
} {
  const fieldMap = new Map<string, string>();
  const unmapped = new Set<string>();
  const base = { mapping: entry, opts, fieldMap, unmapped };
  const selections = [...detection.selections.values()].map((s) =>
    compileSelection(s, base, prefix),
  );
  const byName = new Map(selections.map((s) => [s.name, s]));
  const conds = detection.conditions.map((c) => compileCondition(c, byName));
  const tests = conds.map((c) => c.test);
  return {
    selections,
    condition: tests.length === 1 ? tests[0]! : (view) => tests.some((t) => t(view)),
    requirements: conds.length === 1 ? conds[0]!.requirements : [],
    keys: conds.length === 1 ? conds[0]!.keys : anyOf(conds.map((c) => c.keys)),
    fieldMap,
    unmapped,
  };
}

/** The requirement with the fewest values (most selective), preferring event fields. */
function pickRequirement(reqs: readonly Requirement[]): Requirement | undefined {
  let best: Requirement | undefined;
  for (const r of reqs) if (!best || r.values.length < best.values.length) best = r;
  return best;
}

export type CompileOutcome =
  | { readonly ok: true; readonly rule: CompiledRule }
  | { readonly ok: false; readonly inactive: string }
  | { readonly ok: false; readonly error: RuleError };

/**
 * Compiles one rule. A rule whose logsource no mapping covers is inactive (with
 * the reason), not an error; a regex that cannot run in linear time, or a
 * placeholder without values, is an error naming file, rule and key.
 */
export function compileRule(
  rule: SigmaRule,
  mapping: Mapping,
  opts: CompileOptions = {},
): CompileOutcome {
  const loc = { file: rule.origin.file, ruleId: rule.id, title: rule.title };
  const entry = mapping.find(rule.logsource);
  if (!entry) {
    const ls = rule.logsource;
    const named = (['product', 'category', 'service'] as const)
      .filter((k) => ls[k] !== undefined)
      .map((k) => `${k}=${ls[k]}`)
      .join(' ');
    return { ok: false, inactive: `no mapping for logsource ${named}` };
  }
  try {
    const d = compileDetection(rule.detection, entry, opts);
    const level = rule.level ?? 'medium';
    return {
      ok: true,
      rule: {
        rule,
        id: rule.id ?? rule.name ?? `${rule.origin.file}#${rule.origin.document}`,
        title: rule.title,
        level,
        severity: LEVEL_SEVERITY[level],
        tags: rule.tags,
        entry,
        selections: d.selections,
        condition: d.condition,
        filters: [],
        requirement: pickRequirement(d.requirements),
        keys: d.keys,
        fieldMap: d.fieldMap,
        unmappedFields: [...d.unmapped],
      },
    };
  } catch (err) {
    if (err instanceof RuleError) return { ok: false, error: err.locate(loc) };
    throw err;
  }
}

/** Compiles a filter for one target rule (with that rule's mapping). */
export function compileFilter(
  filter: SigmaFilter,
  target: CompiledRule,
  opts: CompileOptions = {},
): CompiledFilter {
  try {
    const d = compileDetection(filter.detection, target.entry, opts, 'filter');
    return { filter, test: d.condition };
  } catch (err) {
    if (err instanceof RuleError) {
      throw err.locate({ file: filter.origin.file, ruleId: filter.id, title: filter.title });
    }
    throw err;
  }
}
