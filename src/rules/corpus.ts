import { relative } from 'node:path';
import { compileDocuments, parseRuleFiles, ruleFiles } from './loader.js';
import type { RuleError } from './errors.js';
import { Mapping } from './mapping.js';
import type { CompileOptions } from './compile.js';

/*
 * Conformance over a directory of Sigma rules (e.g. SigmaHQ's Linux rules):
 * how many parse, how many compile and are active, and every failure grouped
 * by reason.
 */

export interface CorpusFailure {
  readonly file: string;
  readonly ruleId?: string;
  readonly title?: string;
  readonly reason: string;
}

export interface CorpusReport {
  readonly files: number;
  /** Rule documents (not filters or correlations) found in the files. */
  readonly rules: number;
  readonly parsed: number;
  readonly compiled: number;
  /** Compiled rules that read at least one field no mapping names. */
  readonly withUnmappedFields: number;
  readonly inactive: readonly CorpusFailure[];
  readonly errors: readonly CorpusFailure[];
  /** Failure reason (errors and inactive) → count. */
  readonly byReason: ReadonlyMap<string, number>;
  /** Unmapped Sigma field → number of rules reading it. */
  readonly unmappedFields: ReadonlyMap<string, number>;
}

function toFailure(dir: string, e: RuleError): CorpusFailure {
  return {
    file: e.file ? relative(dir, e.file) : '',
    ruleId: e.ruleId,
    title: e.title,
    reason: `${e.kind}: ${e.why}`,
  };
}

/** Loads every rule under `dir` and reports the share that parse and compile. */
export function compileCorpus(
  dir: string,
  opts: CompileOptions & { mapping?: Mapping } = {},
): CorpusReport {
  const ioErrors: RuleError[] = [];
  const files = ruleFiles([dir], ioErrors);
  const parsed = parseRuleFiles(files);
  const mapping = opts.mapping ?? Mapping.load();
  const compiled = compileDocuments(parsed.documents, mapping, opts);
  const ruleDocs = parsed.documents.filter((d) => d.type === 'rule').length;
  // A document that failed to parse counts as one rule that did not parse.
  const parseFailures = new Set(parsed.errors.map((e) => `${e.file}#${e.ruleId ?? e.title ?? ''}`));
  const errors = [...ioErrors, ...parsed.errors, ...compiled.errors].map((e) => toFailure(dir, e));
  const inactive = compiled.inactive.map((i) => ({
    file: relative(dir, i.file),
    ruleId: i.id,
    title: i.title,
    reason: `inactive: ${i.reason}`,
  }));
  const byReason = new Map<string, number>();
  for (const f of [...errors, ...inactive]) {
    const key = f.reason.replace(/"[^"]*"|'[^']*'|\/[^/]+\//g, '…');
    byReason.set(key, (byReason.get(key) ?? 0) + 1);
  }
  const unmappedFields = new Map<string, number>();
  for (const r of compiled.rules) {
    for (const f of r.unmappedFields) unmappedFields.set(f, (unmappedFields.get(f) ?? 0) + 1);
  }
  return {
    files: files.length,
    rules: ruleDocs + parseFailures.size,
    parsed: ruleDocs,
    compiled: compiled.rules.length,
    withUnmappedFields: compiled.rules.filter((r) => r.unmappedFields.length > 0).length,
    inactive,
    errors,
    byReason,
    unmappedFields,
  };
}
