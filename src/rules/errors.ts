/**
 * Rule errors. One base class carries where the problem is (file, rule id and
 * title, the offending key) and why; narrow subclasses say what kind. Loading
 * collects these instead of stopping at the first one.
 */

export type RuleErrorKind =
  | 'yaml'
  | 'schema'
  | 'modifier'
  | 'value'
  | 'condition'
  | 'regex'
  | 'mapping'
  | 'placeholder'
  | 'io';

export interface RuleErrorLocation {
  file?: string;
  ruleId?: string;
  title?: string;
  /** Dotted path of the offending key, e.g. `detection.selection.a0|re`. */
  key?: string;
}

export class RuleError extends Error {
  readonly kind: RuleErrorKind;
  readonly file: string | undefined;
  readonly ruleId: string | undefined;
  readonly title: string | undefined;
  readonly key: string | undefined;
  /** The reason alone, without the location. */
  readonly why: string;

  constructor(kind: RuleErrorKind, why: string, loc: RuleErrorLocation = {}) {
    super(formatRuleError(why, loc));
    this.name = 'RuleError';
    this.kind = kind;
    this.why = why;
    this.file = loc.file;
    this.ruleId = loc.ruleId;
    this.title = loc.title;
    this.key = loc.key;
  }

  /** The same error with more location filled in (fields already set win). */
  locate(loc: RuleErrorLocation): RuleError {
    return new RuleError(this.kind, this.why, {
      file: this.file ?? loc.file,
      ruleId: this.ruleId ?? loc.ruleId,
      title: this.title ?? loc.title,
      key: this.key ?? loc.key,
    });
  }
}

/** `file: rule <id> "<title>": <key>: <why>`, leaving out the parts not known. */
export function formatRuleError(why: string, loc: RuleErrorLocation): string {
  const parts: string[] = [];
  if (loc.file) parts.push(loc.file);
  const who: string[] = [];
  if (loc.ruleId) who.push(loc.ruleId);
  if (loc.title) who.push(JSON.stringify(loc.title));
  if (who.length > 0) parts.push(`rule ${who.join(' ')}`);
  if (loc.key) parts.push(loc.key);
  parts.push(why);
  return parts.join(': ');
}
