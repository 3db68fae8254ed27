import { z } from 'zod';
import type { AlertLevel } from '../event/types.js';
import { parseDetection } from './detection.js';
import { RuleError } from './errors.js';
import {
  compileDocuments,
  readRuleSet,
  type InactiveRule,
  type LoadedRules,
  type LoadOptions,
} from './loader.js';
import type { SigmaCorrelation, SigmaDocument, SigmaFilter, SigmaRule } from './rule.js';

/*
 * Overrides: users tune shipped rules from the config (`rules.overrides`)
 * without copying them: disable a rule, change its level, add exceptions
 * (filters), change a correlation's threshold, timespan or group-by. They
 * work on the parsed documents before compiling, so the compiled rule is the
 * effective one and correlations keep pointing at the rules they read; a
 * disabled rule is compiled (references to it still resolve) and then moved
 * to `inactive`. Every change is returned with where it came from, for
 * `vigil rules list`.
 */

const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;
const OPS = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const;
const TIMESPAN = /^[0-9]+[smhdwMy]$/;

export const ruleOverrideSchema = z.strictObject({
  /** The rule's id or name. */
  id: z.string().min(1),
  /** Turn the rule off. */
  disabled: z.boolean().optional(),
  level: z.enum(LEVELS).optional(),
  /**
   * Exceptions: Sigma selection maps (`{ source.ip|cidr: 10.0.0.0/8 }`); an
   * event matching any of them is not matched by the rule. Detection rules only.
   */
  filters: z.array(z.record(z.string(), z.unknown())).min(1).optional(),
  /** Correlation window, e.g. `10m`. */
  timespan: z
    .string()
    .regex(TIMESPAN, 'must be a number and a unit (s, m, h, d, w) like 10m')
    .optional(),
  /** Correlation threshold, e.g. `{ gt: 10 }` or `{ gte: 3, lte: 9 }` (replaces the rule's). */
  condition: z
    .partialRecord(z.enum(OPS), z.number())
    .refine((c) => Object.keys(c).length > 0, 'needs one of gt, gte, lt, lte, eq, neq')
    .optional(),
  /** Correlation group-by fields (replaces the rule's). */
  group_by: z.array(z.string().min(1)).min(1).optional(),
});

export type RuleOverride = z.output<typeof ruleOverrideSchema>;

/** One change an override made, for `vigil rules list`. */
export interface AppliedOverride {
  /** The rule's id (its name when it has no id). */
  readonly id: string;
  /** What the override changed: `disabled`, `level: high (was medium)`, ... */
  readonly what: string;
  /** Where: `<config file>: rules.overrides[2]`. */
  readonly from: string;
}

export interface OverrideResult {
  /** The documents with the overrides applied (filters added as meta filter documents). */
  readonly documents: SigmaDocument[];
  /** Ids of the rules to drop after compiling, with the override that disabled them. */
  readonly disabled: ReadonlyMap<string, string>;
  readonly applied: AppliedOverride[];
  /** Overrides that could not apply (unknown rule, a key the rule type does not take). */
  readonly errors: RuleError[];
  /** Title of each filter document made from `filters` → its entry in `applied`. */
  readonly filterTitles: ReadonlyMap<string, AppliedOverride>;
}

type Obj = Record<string, unknown>;

function keyOf(doc: SigmaRule | SigmaCorrelation): string {
  return doc.id ?? doc.name ?? `${doc.origin.file}#${doc.origin.document}`;
}

function conditionText(c: unknown): string {
  if (c === null || typeof c !== 'object') return String(c);
  return Object.entries(c as Obj)
    .filter(([k]) => (OPS as readonly string[]).includes(k))
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(' and ');
}

function list(v: unknown): string {
  return Array.isArray(v) ? v.join(', ') : v === undefined ? 'none' : String(v);
}

/**
 * Applies overrides to parsed documents (`parseRuleFiles`), in order: for the
 * same rule a later level wins and filters add up. `source` names where the
 * overrides come from (the config file). An override naming no loaded rule,
 * or a key its rule type does not take, is an error; the rest still apply.
 * Invalid override objects (not matching `ruleOverrideSchema`) are errors too.
 */
export function applyOverrides(
  documents: readonly SigmaDocument[],
  overrides: readonly unknown[],
  source: string,
): OverrideResult {
  const out = [...documents];
  const applied: AppliedOverride[] = [];
  const errors: RuleError[] = [];
  const disabled = new Map<string, string>();
  const index = new Map<string, number>();
  out.forEach((d, i) => {
    if (d.type === 'filter') return;
    if (d.id !== undefined) index.set(d.id, i);
    if (d.name !== undefined && !index.has(d.name)) index.set(d.name, i);
  });
  let filterCount = 0;
  const filterTitles = new Map<string, AppliedOverride>();

  overrides.forEach((raw, i) => {
    const at = `rules.overrides[${i}]`;
    const from = `${source}: ${at}`;
    const fail = (key: string, why: string, ruleId?: string): void => {
      errors.push(new RuleError('schema', why, { file: source, key: `${at}${key}`, ruleId }));
    };
    const parsed = ruleOverrideSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        fail(issue.path.map((p) => `.${String(p)}`).join(''), issue.message);
      }
      return;
    }
    const o = parsed.data;
    const pos = index.get(o.id);
    if (pos === undefined) {
      const filter = documents.find(
        (d) => d.type === 'filter' && (d.id === o.id || d.name === o.id),
      );
      fail(
        '.id',
        filter
          ? `${o.id} is a filter, not a rule; override the rules it applies to`
          : `no loaded rule has the id or name ${o.id}`,
      );
      return;
    }
    let doc = out[pos] as SigmaRule | SigmaCorrelation;
    const id = keyOf(doc);
    const note = (what: string): void => {
      applied.push({ id, what, from });
    };
    if (o.disabled !== undefined) {
      if (o.disabled) {
        disabled.set(id, from);
        note('disabled');
      } else if (disabled.delete(id)) {
        note('enabled');
      }
    }
    if (o.level !== undefined) {
      const was: AlertLevel = doc.level ?? 'medium';
      doc = { ...doc, level: o.level };
      note(`level: ${o.level} (was ${was})`);
    }
    if (doc.type === 'rule') {
      for (const k of ['timespan', 'condition', 'group_by'] as const) {
        if (o[k] !== undefined) {
          fail(`.${k}`, `${k} is for correlation rules; ${o.id} is a detection rule`, doc.id);
        }
      }
      if (o.filters) {
        const detection: Obj = {};
        o.filters.forEach((f, j) => (detection[`override_${j}`] = f));
        detection.condition = 'not 1 of override_*';
        const p = parseDetection(detection);
        if (!p.detection) {
          for (const e of p.errors) {
            const m = /^detection\.override_(\d+)(.*)$/.exec(e.key ?? '');
            fail(m ? `.filters[${m[1]}]${m[2]}` : '.filters', e.why, doc.id);
          }
        } else {
          const filter: SigmaFilter = {
            type: 'filter',
            origin: { file: source, document: -1 - filterCount++ },
            title: `exceptions to ${doc.name ?? id} (${at})`,
            references: [],
            tags: [],
            custom: {},
            rules: [id],
            detection: p.detection,
          };
          out.push(filter);
          note(`filters: ${o.filters.length} exception${o.filters.length === 1 ? '' : 's'} added`);
          filterTitles.set(filter.title, applied[applied.length - 1]!);
        }
      }
    } else {
      const c: Obj = { ...doc.correlation };
      const type = String(c.type);
      if (o.filters) {
        fail(
          '.filters',
          `filters are for detection rules; ${o.id} is a correlation: add them to the rules it reads (${list(c.rules)})`,
          doc.id,
        );
      }
      if (o.timespan !== undefined) {
        note(`timespan: ${o.timespan} (was ${String(c.timespan)})`);
        c.timespan = o.timespan;
      }
      if (o.condition !== undefined) {
        if (type === 'absence') {
          fail('.condition', `an absence correlation has no condition`, doc.id);
        } else {
          const old = (c.condition ?? {}) as Obj;
          const next: Obj = { ...o.condition };
          // The value field (value_*) and percentile stay as the rule has them.
          for (const k of ['field', 'percentile']) if (k in old) next[k] = old[k];
          note(`condition: ${conditionText(next)} (was ${conditionText(old) || 'none'})`);
          c.condition = next;
        }
      }
      if (o.group_by !== undefined) {
        note(`group-by: ${o.group_by.join(', ')} (was ${list(c['group-by'])})`);
        c['group-by'] = o.group_by;
      }
      doc = { ...doc, correlation: c };
    }
    out[pos] = doc;
  });
  return { documents: out, disabled, applied, errors, filterTitles };
}

/** Moves the disabled rules and correlations of a compiled set to `inactive`. */
export function dropDisabled(
  loaded: LoadedRules,
  disabled: ReadonlyMap<string, string>,
): LoadedRules {
  if (disabled.size === 0) return loaded;
  const inactive: InactiveRule[] = [...loaded.inactive];
  const off = (id: string | undefined, name: string | undefined): string | undefined =>
    (id !== undefined ? disabled.get(id) : undefined) ??
    (name !== undefined ? disabled.get(name) : undefined);
  const rules = loaded.rules.filter((r) => {
    const from = off(r.rule.id, r.rule.name);
    if (from === undefined) return true;
    inactive.push({
      id: r.rule.id,
      title: r.title,
      file: r.rule.origin.file,
      reason: `disabled by ${from}`,
    });
    return false;
  });
  const correlations = loaded.correlations.filter((c) => {
    const from = off(c.correlation.id, c.correlation.name);
    if (from === undefined) return true;
    inactive.push({
      id: c.correlation.id,
      title: c.title,
      file: c.correlation.origin.file,
      reason: `disabled by ${from}`,
    });
    return false;
  });
  return { ...loaded, rules, correlations, inactive };
}

export interface OverrideLoadOptions extends LoadOptions {
  /** `rules.overrides` from the config (checked here against `ruleOverrideSchema`). */
  overrides?: readonly unknown[];
  /** Where the overrides come from, for errors and provenance (the config file). */
  overridesSource?: string;
}

/**
 * `loadRules` with overrides: reads and parses the rule files, applies the
 * overrides to the documents, compiles, then drops disabled rules to
 * `inactive`. Override problems are in `errors` beside the rule errors.
 */
export function loadRulesWithOverrides(
  paths: readonly string[],
  opts: OverrideLoadOptions = {},
): LoadedRules & { applied: AppliedOverride[] } {
  const { files, documents, errors, mapping } = readRuleSet(paths, opts);
  if (!mapping) {
    return { rules: [], correlations: [], errors, inactive: [], filters: [], files, applied: [] };
  }
  const o = applyOverrides(documents, opts.overrides ?? [], opts.overridesSource ?? 'config');
  const compiled = compileDocuments(o.documents, mapping, opts);
  const loaded = dropDisabled(
    { ...compiled, errors: [...errors, ...o.errors, ...compiled.errors], files },
    o.disabled,
  );
  // Exceptions whose filter did not compile were not applied.
  const failed = new Set(
    compiled.errors.flatMap((e) => {
      const a = e.title !== undefined ? o.filterTitles.get(e.title) : undefined;
      return a ? [a] : [];
    }),
  );
  return { ...loaded, applied: o.applied.filter((a) => !failed.has(a)) };
}

/** The overrides applied to each rule id, in order (for `vigil rules list`). */
export function overridesByRule(
  applied: readonly AppliedOverride[],
): Map<string, AppliedOverride[]> {
  const m = new Map<string, AppliedOverride[]>();
  for (const a of applied) {
    const l = m.get(a.id);
    if (l) l.push(a);
    else m.set(a.id, [a]);
  }
  return m;
}
