import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compileFilter, compileRule, type CompileOptions, type CompiledRule } from './compile.js';
import { compileCorrelations, parseVigilKey, type CompiledCorrelation } from './correlation.js';
import { RuleError } from './errors.js';
import { Mapping } from './mapping.js';
import {
  parseRuleText,
  type SigmaCorrelation,
  type SigmaDocument,
  type SigmaFilter,
} from './rule.js';

/*
 * Loading a rule set: read files and directories (recursively), parse every
 * document, compile rules against the mapping and attach filters. Every
 * problem is collected; one bad rule never keeps the others from loading.
 */

export interface LoadOptions extends CompileOptions {
  /** A mapping already loaded; otherwise built-in tables plus `mappingPaths`. */
  mapping?: Mapping;
  /** Extra mapping files or directories after the built-in ones. */
  mappingPaths?: readonly string[];
}

export interface InactiveRule {
  readonly id?: string;
  readonly title: string;
  readonly file: string;
  readonly reason: string;
}

export interface LoadedRules {
  readonly rules: CompiledRule[];
  /** Correlation rules, inner ones (those others reference) first. */
  readonly correlations: CompiledCorrelation[];
  readonly errors: RuleError[];
  readonly inactive: InactiveRule[];
  readonly filters: SigmaFilter[];
  readonly files: string[];
}

/** Rule files are YAML; `<rule>.tests.yml` beside a rule holds its samples, not rules. */
function isRuleFile(name: string): boolean {
  if (name.endsWith('.tests.yml') || name.endsWith('.tests.yaml')) return false;
  return name.endsWith('.yml') || name.endsWith('.yaml');
}

/** Rule files under the paths, recursively, sorted within each directory. */
export function ruleFiles(paths: readonly string[], errors: RuleError[] = []): string[] {
  const out: string[] = [];
  const walk = (p: string, top: boolean): void => {
    let st;
    try {
      st = statSync(p);
    } catch (err) {
      errors.push(
        new RuleError('io', `cannot read: ${(err as NodeJS.ErrnoException).code ?? err}`, {
          file: p,
        }),
      );
      return;
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) {
        if (name.startsWith('.')) continue;
        walk(join(p, name), false);
      }
    } else if (top || isRuleFile(p)) {
      out.push(p);
    }
  };
  for (const p of paths) walk(p, true);
  return out;
}

/** Parses rule files into documents (no compiling), collecting errors. */
export function parseRuleFiles(files: readonly string[]): {
  documents: SigmaDocument[];
  errors: RuleError[];
} {
  const documents: SigmaDocument[] = [];
  const errors: RuleError[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      errors.push(new RuleError('io', `cannot read: ${(err as Error).message}`, { file }));
      continue;
    }
    const r = parseRuleText(text, file);
    documents.push(...r.documents);
    errors.push(...r.errors);
  }
  return { documents, errors };
}

/**
 * Compiles parsed documents: rules, then filters attached to the rules they
 * name, then correlations over the rules (and over each other).
 */
export function compileDocuments(
  documents: readonly SigmaDocument[],
  mapping: Mapping,
  opts: CompileOptions = {},
): Omit<LoadedRules, 'files'> {
  const rules: CompiledRule[] = [];
  const errors: RuleError[] = [];
  const inactive: InactiveRule[] = [];
  const filters: SigmaFilter[] = [];
  const correlationDocs: SigmaCorrelation[] = [];
  const inactiveNames = new Set<string>();
  const seen = new Map<string, string>();
  const byRef = new Map<string, CompiledRule>();
  for (const doc of documents) {
    const loc = { file: doc.origin.file, ruleId: doc.id, title: doc.title };
    for (const [key, value] of [
      ['id', doc.id],
      ['name', doc.name],
    ] as const) {
      if (value === undefined) continue;
      const prev = seen.get(value);
      if (prev !== undefined) {
        errors.push(
          new RuleError('schema', `${key} ${value} is already used in ${prev}`, { ...loc, key }),
        );
      }
    }
    if (doc.id !== undefined && !seen.has(doc.id)) seen.set(doc.id, doc.origin.file);
    if (doc.name !== undefined && !seen.has(doc.name)) seen.set(doc.name, doc.origin.file);
    if (doc.type === 'filter') {
      filters.push(doc);
      continue;
    }
    if (doc.type === 'correlation') {
      correlationDocs.push(doc);
      continue;
    }
    const extErrors: RuleError[] = [];
    const ext = parseVigilKey(
      doc.custom.vigil,
      (key, why) => extErrors.push(new RuleError('schema', why, { ...loc, key })),
      { groupBy: true },
    );
    if (extErrors.length > 0) {
      errors.push(...extErrors);
      continue;
    }
    const defined = new Set(opts.lists?.names() ?? []);
    const missing = (ext.requiresLists ?? []).filter((l) => !defined.has(l));
    const out: ReturnType<typeof compileRule> =
      missing.length > 0
        ? { ok: false, inactive: `needs list ${missing.join(', ')} (define it under lists:)` }
        : compileRule(doc, mapping, opts);
    if (out.ok) {
      rules.push(out.rule);
      if (doc.id !== undefined) byRef.set(doc.id, out.rule);
      if (doc.name !== undefined) byRef.set(doc.name, out.rule);
    } else if ('error' in out) {
      errors.push(out.error);
    } else {
      inactive.push({ id: doc.id, title: doc.title, file: doc.origin.file, reason: out.inactive });
      if (doc.id !== undefined) inactiveNames.add(doc.id);
      if (doc.name !== undefined) inactiveNames.add(doc.name);
    }
  }
  const inactiveRefs = new Set(inactive.flatMap((r) => (r.id ? [r.id] : [])));
  for (const f of filters) {
    f.rules.forEach((ref, i) => {
      const target = byRef.get(ref);
      if (!target) {
        if (inactiveRefs.has(ref)) return;
        errors.push(
          new RuleError('schema', `rule ${ref} is not loaded`, {
            file: f.origin.file,
            ruleId: f.id,
            title: f.title,
            key: `filter.rules[${i}]`,
          }),
        );
        return;
      }
      try {
        target.filters.push(compileFilter(f, target, opts));
      } catch (err) {
        if (err instanceof RuleError) errors.push(err);
        else throw err;
      }
    });
  }
  const corr = compileCorrelations(correlationDocs, byRef, inactiveNames);
  errors.push(...corr.errors);
  for (const { doc, reason } of corr.inactive) {
    inactive.push({ id: doc.id, title: doc.title, file: doc.origin.file, reason });
  }
  return { rules, correlations: corr.correlations, errors, inactive, filters };
}

/**
 * Loads rules from files and directories (recursively, `.yml`/`.yaml`):
 * compiled rules, every error (file, rule id/title, key, why), and the rules
 * that loaded but stay inactive with the reason.
 */
export function loadRules(paths: readonly string[], opts: LoadOptions = {}): LoadedRules {
  const read = readRuleSet(paths, opts);
  if (!read.mapping) {
    return {
      rules: [],
      correlations: [],
      errors: read.errors,
      inactive: [],
      filters: [],
      files: read.files,
    };
  }
  const compiled = compileDocuments(read.documents, read.mapping, opts);
  return { ...compiled, errors: [...read.errors, ...compiled.errors], files: read.files };
}

/**
 * The first half of loading: the rule files found, their parsed documents,
 * the mapping (absent when it cannot load: the reason is in `errors`).
 */
export function readRuleSet(
  paths: readonly string[],
  opts: LoadOptions,
): { files: string[]; documents: SigmaDocument[]; errors: RuleError[]; mapping?: Mapping } {
  const errors: RuleError[] = [];
  const files = ruleFiles(paths, errors);
  const parsed = parseRuleFiles(files);
  errors.push(...parsed.errors);
  if (opts.mapping) return { files, documents: parsed.documents, errors, mapping: opts.mapping };
  try {
    return {
      files,
      documents: parsed.documents,
      errors,
      mapping: Mapping.load(opts.mappingPaths ?? []),
    };
  } catch (err) {
    if (!(err instanceof RuleError)) throw err;
    errors.push(err);
    return { files, documents: parsed.documents, errors };
  }
}
