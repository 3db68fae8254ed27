import { RuleError } from './errors.js';
import {
  isPlaceholder,
  literalString,
  normalizeParts,
  parseCidr,
  parseSigmaString,
  WILDCARD_MULTI,
  type CompareOp,
  type SigmaString,
  type SigmaValue,
  type StringPart,
  type TimePart,
} from './values.js';

/*
 * Value modifiers: one small typed modifier each and one name→modifier map
 * (aliases included) as the registry. A modifier takes one value and returns
 * one or more alternatives (base64offset, windash give several). The YAML
 * scalar arrives raw so that `re`, `cidr` or `fieldref` see the text before
 * wildcard parsing; a value no modifier claimed becomes a plain Sigma value.
 */

/** A YAML scalar that no modifier has interpreted yet. */
export interface RawValue {
  readonly kind: 'raw';
  readonly value: string | number | boolean | null;
}

export type WorkingValue = SigmaValue | RawValue;

/** Item-level state some modifiers set instead of changing values. */
export interface ItemFlags {
  all: boolean;
  neq: boolean;
}

export abstract class Modifier {
  abstract readonly name: string;
  /** What the value must be for this modifier, for the error message. */
  protected abstract readonly expects: string;
  abstract apply(value: WorkingValue, flags: ItemFlags): WorkingValue | WorkingValue[];

  protected typeError(value: WorkingValue): RuleError {
    const got = value.kind === 'raw' ? describeRaw(value.value) : `a ${value.kind} value`;
    return new RuleError('modifier', `modifier '${this.name}' expects ${this.expects}, got ${got}`);
  }

  /** The value as a Sigma string (raw strings and numbers are converted). */
  protected asString(value: WorkingValue): SigmaString {
    if (value.kind === 'string') return value;
    if (value.kind === 'raw') {
      if (typeof value.value === 'string') return parseSigmaString(value.value);
      if (typeof value.value === 'number') return literalString(String(value.value));
    }
    if (value.kind === 'number') return literalString(String(value.value));
    throw this.typeError(value);
  }

  protected asNumber(value: WorkingValue): number {
    if (value.kind === 'number') return value.value;
    if (value.kind === 'raw') {
      if (typeof value.value === 'number') return value.value;
      if (typeof value.value === 'string' && /^-?\d+(\.\d+)?$/.test(value.value.trim())) {
        return Number(value.value);
      }
    }
    throw this.typeError(value);
  }

  protected rawText(value: WorkingValue): string {
    if (
      value.kind === 'raw' &&
      (typeof value.value === 'string' || typeof value.value === 'number')
    ) {
      return String(value.value);
    }
    throw this.typeError(value);
  }
}

function describeRaw(v: string | number | boolean | null): string {
  if (v === null) return 'null';
  return `a ${typeof v} (${JSON.stringify(v)})`;
}

/** Wraps the value's string parts: `*x*`, `x*`, `*x`; on a fieldref, sets its mode. */
class WildcardModifier extends Modifier {
  protected readonly expects = 'a string or number';
  constructor(
    readonly name: 'contains' | 'startswith' | 'endswith',
    private readonly before: boolean,
    private readonly after: boolean,
  ) {
    super();
  }
  apply(value: WorkingValue): WorkingValue {
    if (value.kind === 'fieldref') return { ...value, mode: this.name };
    const s = this.asString(value);
    const parts: StringPart[] = [...s.parts];
    if (this.before && parts[0] !== WILDCARD_MULTI) parts.unshift(WILDCARD_MULTI);
    if (this.after && parts[parts.length - 1] !== WILDCARD_MULTI) parts.push(WILDCARD_MULTI);
    return { ...s, parts };
  }
}

class AllModifier extends Modifier {
  readonly name = 'all';
  protected readonly expects = 'a list of values';
  apply(value: WorkingValue, flags: ItemFlags): WorkingValue {
    flags.all = true;
    return value;
  }
}

class NeqModifier extends Modifier {
  readonly name = 'neq';
  protected readonly expects = 'a value';
  apply(value: WorkingValue, flags: ItemFlags): WorkingValue {
    flags.neq = true;
    return value;
  }
}

class CasedModifier extends Modifier {
  readonly name = 'cased';
  protected readonly expects = 'a string or a fieldref';
  apply(value: WorkingValue): WorkingValue {
    if (value.kind === 'fieldref') return { ...value, cased: true };
    return { ...this.asString(value), cased: true };
  }
}

class ExistsModifier extends Modifier {
  readonly name = 'exists';
  protected readonly expects = 'true or false';
  apply(value: WorkingValue): WorkingValue {
    if (value.kind === 'raw' && typeof value.value === 'boolean') {
      return { kind: 'exists', value: value.value };
    }
    throw this.typeError(value);
  }
}

class RegexModifier extends Modifier {
  readonly name = 're';
  protected readonly expects = 'a regular expression string';
  apply(value: WorkingValue): WorkingValue {
    return {
      kind: 'regex',
      pattern: this.rawText(value),
      flags: { ignoreCase: false, multiline: false, dotAll: false },
    };
  }
}

/** `re|i`, `re|m`, `re|s`: flags of a preceding `re`. */
class RegexFlagModifier extends Modifier {
  protected readonly expects = "a regular expression (after 're')";
  constructor(
    readonly name: 'i' | 'm' | 's',
    private readonly flag: 'ignoreCase' | 'multiline' | 'dotAll',
  ) {
    super();
  }
  apply(value: WorkingValue): WorkingValue {
    if (value.kind !== 'regex') throw this.typeError(value);
    return { ...value, flags: { ...value.flags, [this.flag]: true } };
  }
}

class CidrModifier extends Modifier {
  readonly name = 'cidr';
  protected readonly expects = 'a CIDR network string';
  apply(value: WorkingValue): WorkingValue {
    return parseCidr(this.rawText(value));
  }
}

/** Bytes of a string value: utf16 output is binary, otherwise UTF-8. */
function bytesOf(s: SigmaString, text: string): Buffer {
  return Buffer.from(text, s.binary ? 'latin1' : 'utf8');
}

function plainText(mod: Modifier & { name: string }, s: SigmaString): string {
  let text = '';
  for (const p of s.parts) {
    if (typeof p !== 'string') {
      throw new RuleError(
        'modifier',
        `modifier '${mod.name}' cannot encode a value with wildcards or placeholders`,
      );
    }
    text += p;
  }
  return text;
}

class Base64Modifier extends Modifier {
  readonly name = 'base64';
  protected readonly expects = 'a string';
  apply(value: WorkingValue): WorkingValue {
    const s = this.asString(value);
    const b64 = bytesOf(s, plainText(this, s)).toString('base64');
    return { kind: 'string', parts: b64 === '' ? [] : [b64], cased: true, binary: false };
  }
}

/** The three encodings of a value at each byte offset, trimmed of the bytes that vary. */
class Base64OffsetModifier extends Modifier {
  readonly name = 'base64offset';
  protected readonly expects = 'a string';
  apply(value: WorkingValue): WorkingValue[] {
    const s = this.asString(value);
    const bytes = bytesOf(s, plainText(this, s));
    const starts = [0, 2, 3];
    const ends = [undefined, -3, -2];
    const out: WorkingValue[] = [];
    for (let i = 0; i < 3; i++) {
      const b64 = Buffer.concat([Buffer.alloc(i, 0x20), bytes]).toString('base64');
      const text = b64.slice(starts[i], ends[(bytes.length + i) % 3]);
      out.push({ kind: 'string', parts: text === '' ? [] : [text], cased: true, binary: false });
    }
    return out;
  }
}

class Utf16Modifier extends Modifier {
  protected readonly expects = 'a string';
  constructor(
    readonly name: 'utf16le' | 'utf16be' | 'utf16' | 'wide',
    private readonly order: 'le' | 'be',
    private readonly bom: boolean,
  ) {
    super();
  }
  apply(value: WorkingValue): WorkingValue {
    const s = this.asString(value);
    const encode = (text: string): string => {
      const buf = Buffer.from(text, 'utf16le');
      if (this.order === 'be') buf.swap16();
      return buf.toString('latin1');
    };
    const parts = s.parts.map((p) => (typeof p === 'string' ? encode(p) : p));
    if (this.bom) parts.unshift('\xff\xfe');
    return { ...s, parts: normalizeParts(parts), binary: true };
  }
}

/** The dashes a Windows command line accepts for `-flag`. */
export const WINDASH_CHARS = ['-', '/', '\u2013', '\u2014', '\u2015'] as const;

class WindashModifier extends Modifier {
  readonly name = 'windash';
  protected readonly expects = 'a string';
  apply(value: WorkingValue): WorkingValue[] {
    const s = this.asString(value);
    const flag = /(^|\s)[-/](?=\w)/g;
    const out: SigmaString[] = [];
    const seen = new Set<string>();
    for (const dash of WINDASH_CHARS) {
      const parts = s.parts.map((p) =>
        typeof p === 'string' ? p.replace(flag, (_m, pre: string) => pre + dash) : p,
      );
      const key = JSON.stringify(parts.map((p) => (typeof p === 'string' ? p : String(p))));
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ ...s, parts });
    }
    return out;
  }
}

class CompareModifier extends Modifier {
  protected readonly expects = 'a number';
  constructor(readonly name: CompareOp) {
    super();
  }
  apply(value: WorkingValue): WorkingValue {
    if (value.kind === 'timepart' && value.inner?.kind === 'number') {
      return { ...value, inner: { kind: 'compare', op: this.name, value: value.inner.value } };
    }
    return { kind: 'compare', op: this.name, value: this.asNumber(value) };
  }
}

class TimePartModifier extends Modifier {
  protected readonly expects = 'a number';
  constructor(readonly name: TimePart) {
    super();
  }
  apply(value: WorkingValue): WorkingValue {
    if (value.kind === 'compare') return { kind: 'timepart', part: this.name, inner: value };
    return {
      kind: 'timepart',
      part: this.name,
      inner: { kind: 'number', value: this.asNumber(value) },
    };
  }
}

class FieldRefModifier extends Modifier {
  readonly name = 'fieldref';
  protected readonly expects = 'a field name';
  apply(value: WorkingValue): WorkingValue {
    const field = this.rawText(value);
    return { kind: 'fieldref', field, mode: 'eq', cased: false };
  }
}

/** `%name%` in a string becomes a placeholder the compiler fills from config. */
class ExpandModifier extends Modifier {
  readonly name = 'expand';
  protected readonly expects = 'a string';
  apply(value: WorkingValue): WorkingValue {
    const s = this.asString(value);
    const parts: StringPart[] = [];
    for (const p of s.parts) {
      if (typeof p !== 'string') {
        parts.push(p);
        continue;
      }
      const re = /%([A-Za-z0-9_.-]+)%/g;
      let last = 0;
      for (let m = re.exec(p); m; m = re.exec(p)) {
        parts.push(p.slice(last, m.index), { placeholder: m[1]! });
        last = m.index + m[0].length;
      }
      parts.push(p.slice(last));
    }
    return { ...s, parts: normalizeParts(parts) };
  }
}

/** vigil extension: `field|inlist: NAME` holds when the value is in list NAME. */
class InListModifier extends Modifier {
  readonly name = 'inlist';
  protected readonly expects = 'a list name';
  apply(value: WorkingValue): WorkingValue {
    const name = this.rawText(value);
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw this.typeError(value);
    return { kind: 'list', name };
  }
}

/** The registry: every modifier by its name and aliases. */
export const MODIFIERS: ReadonlyMap<string, Modifier> = new Map<string, Modifier>([
  ['contains', new WildcardModifier('contains', true, true)],
  ['startswith', new WildcardModifier('startswith', false, true)],
  ['endswith', new WildcardModifier('endswith', true, false)],
  ['all', new AllModifier()],
  ['cased', new CasedModifier()],
  ['exists', new ExistsModifier()],
  ['neq', new NeqModifier()],
  ['re', new RegexModifier()],
  ['i', new RegexFlagModifier('i', 'ignoreCase')],
  ['ignorecase', new RegexFlagModifier('i', 'ignoreCase')],
  ['m', new RegexFlagModifier('m', 'multiline')],
  ['multiline', new RegexFlagModifier('m', 'multiline')],
  ['s', new RegexFlagModifier('s', 'dotAll')],
  ['dotall', new RegexFlagModifier('s', 'dotAll')],
  ['cidr', new CidrModifier()],
  ['base64', new Base64Modifier()],
  ['base64offset', new Base64OffsetModifier()],
  ['utf16le', new Utf16Modifier('utf16le', 'le', false)],
  ['wide', new Utf16Modifier('wide', 'le', false)],
  ['utf16be', new Utf16Modifier('utf16be', 'be', false)],
  ['utf16', new Utf16Modifier('utf16', 'le', true)],
  ['windash', new WindashModifier()],
  ['lt', new CompareModifier('lt')],
  ['lte', new CompareModifier('lte')],
  ['gt', new CompareModifier('gt')],
  ['gte', new CompareModifier('gte')],
  ['minute', new TimePartModifier('minute')],
  ['hour', new TimePartModifier('hour')],
  ['day', new TimePartModifier('day')],
  ['week', new TimePartModifier('week')],
  ['month', new TimePartModifier('month')],
  ['year', new TimePartModifier('year')],
  ['fieldref', new FieldRefModifier()],
  ['expand', new ExpandModifier()],
  ['inlist', new InListModifier()],
]);

/** A value no modifier interpreted: strings get wildcards, the rest keep their type. */
export function finishValue(value: WorkingValue): SigmaValue {
  if (value.kind !== 'raw') return value;
  const v = value.value;
  if (v === null) return { kind: 'null' };
  if (typeof v === 'boolean') return { kind: 'bool', value: v };
  if (typeof v === 'number') return { kind: 'number', value: v };
  return parseSigmaString(v);
}

/**
 * Applies a modifier chain to one YAML scalar. Returns its alternatives (OR)
 * and sets item flags (`all`, `neq`). Throws RuleError (kind `modifier`) for
 * an unknown modifier or a value of the wrong type.
 */
export function applyModifiers(
  names: readonly string[],
  scalar: string | number | boolean | null,
  flags: ItemFlags,
): SigmaValue[] {
  let values: WorkingValue[] = [{ kind: 'raw', value: scalar }];
  for (const name of names) {
    const mod = MODIFIERS.get(name);
    if (!mod) throw new RuleError('modifier', `unknown modifier '${name}'`);
    const next: WorkingValue[] = [];
    for (const v of values) {
      const r = mod.apply(v, flags);
      if (Array.isArray(r)) next.push(...r);
      else next.push(r);
    }
    values = next;
  }
  return values.map(finishValue);
}

/** Names of the placeholders a value holds (for `expand`). */
export function placeholdersOf(value: SigmaValue): string[] {
  if (value.kind !== 'string') return [];
  return value.parts.filter(isPlaceholder).map((p) => p.placeholder);
}
