import { isIP } from 'node:net';
import { RuleError } from './errors.js';

/*
 * Rich values of the rule model, built once from the YAML text so nothing
 * parses raw text again later (wildcards, CIDR, regex, comparisons).
 */

export const WILDCARD_MULTI: unique symbol = Symbol('*');
export const WILDCARD_SINGLE: unique symbol = Symbol('?');

/** A `%name%` placeholder left by the `expand` modifier, resolved at compile time. */
export interface Placeholder {
  readonly placeholder: string;
}

export type StringPart = string | typeof WILDCARD_MULTI | typeof WILDCARD_SINGLE | Placeholder;

export interface SigmaString {
  readonly kind: 'string';
  readonly parts: readonly StringPart[];
  /** Compare case-sensitively (`cased` modifier). */
  readonly cased: boolean;
  /** Literal text holds bytes (one char per byte) after utf16 encoding. */
  readonly binary: boolean;
}

export interface SigmaNumber {
  readonly kind: 'number';
  readonly value: number;
}

export interface SigmaBool {
  readonly kind: 'bool';
  readonly value: boolean;
}

/** YAML null: the field is absent or null. */
export interface SigmaNull {
  readonly kind: 'null';
}

export interface SigmaRegex {
  readonly kind: 'regex';
  readonly pattern: string;
  readonly flags: { ignoreCase: boolean; multiline: boolean; dotAll: boolean };
}

export interface SigmaCidr {
  readonly kind: 'cidr';
  readonly text: string;
  readonly family: 4 | 6;
  /** Network address as a big integer and prefix length. */
  readonly network: bigint;
  readonly prefix: number;
}

export type CompareOp = 'lt' | 'lte' | 'gt' | 'gte';

export interface SigmaCompare {
  readonly kind: 'compare';
  readonly op: CompareOp;
  readonly value: number;
}

export type TimePart = 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';

/** A part of the field's date (UTC) compared with a number or a comparison. */
export interface SigmaTimePart {
  readonly kind: 'timepart';
  readonly part: TimePart;
  readonly inner: SigmaNumber | SigmaCompare | null;
}

export type FieldRefMode = 'eq' | 'contains' | 'startswith' | 'endswith';

/** The field's value compared with another field of the same event. */
export interface SigmaFieldRef {
  readonly kind: 'fieldref';
  readonly field: string;
  readonly mode: FieldRefMode;
  readonly cased: boolean;
}

export interface SigmaExists {
  readonly kind: 'exists';
  readonly value: boolean;
}

/** `neq`: the field does not equal the inner value. */
export interface SigmaNot {
  readonly kind: 'not';
  readonly inner: SigmaValue;
}

/** vigil extension `inlist`: the field's value is an entry of the named list. */
export interface SigmaList {
  readonly kind: 'list';
  readonly name: string;
}

export type SigmaValue =
  | SigmaList
  | SigmaString
  | SigmaNumber
  | SigmaBool
  | SigmaNull
  | SigmaRegex
  | SigmaCidr
  | SigmaCompare
  | SigmaTimePart
  | SigmaFieldRef
  | SigmaExists
  | SigmaNot;

/**
 * Parses a plain Sigma string: `*` and `?` are wildcards; a backslash escapes
 * `*`, `?` and `\`; any other backslash is literal (`C:\Windows`).
 */
export function parseSigmaString(text: string): SigmaString {
  const parts: StringPart[] = [];
  let lit = '';
  const flush = (): void => {
    if (lit !== '') parts.push(lit);
    lit = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\') {
      const next = text[i + 1];
      if (next === '*' || next === '?' || next === '\\') {
        lit += next;
        i++;
      } else {
        lit += ch;
      }
    } else if (ch === '*') {
      flush();
      parts.push(WILDCARD_MULTI);
    } else if (ch === '?') {
      flush();
      parts.push(WILDCARD_SINGLE);
    } else {
      lit += ch;
    }
  }
  flush();
  return { kind: 'string', parts, cased: false, binary: false };
}

/** A string value with exactly this literal text (no wildcards). */
export function literalString(text: string): SigmaString {
  return { kind: 'string', parts: text === '' ? [] : [text], cased: false, binary: false };
}

export function isPlaceholder(p: StringPart): p is Placeholder {
  return typeof p === 'object';
}

export function hasWildcards(s: SigmaString): boolean {
  return s.parts.some((p) => p === WILDCARD_MULTI || p === WILDCARD_SINGLE);
}

/** Merges adjacent literal parts and collapses repeated `*`. */
export function normalizeParts(parts: readonly StringPart[]): StringPart[] {
  const out: StringPart[] = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if (typeof p === 'string') {
      if (p === '') continue;
      if (typeof last === 'string') out[out.length - 1] = last + p;
      else out.push(p);
    } else if (p === WILDCARD_MULTI && last === WILDCARD_MULTI) {
      continue;
    } else {
      out.push(p);
    }
  }
  return out;
}

/** The text with wildcards written back (`*`, `?`, escapes), for messages and keys. */
export function sigmaStringText(s: SigmaString): string {
  return s.parts
    .map((p) => {
      if (p === WILDCARD_MULTI) return '*';
      if (p === WILDCARD_SINGLE) return '?';
      if (isPlaceholder(p)) return `%${p.placeholder}%`;
      return p.replace(/[\\*?]/g, (c) => '\\' + c);
    })
    .join('');
}

function ipv4ToBig(text: string): bigint | undefined {
  const octets = text.split('.');
  if (octets.length !== 4) return undefined;
  let n = 0n;
  for (const o of octets) {
    if (!/^\d{1,3}$/.test(o) || Number(o) > 255) return undefined;
    n = (n << 8n) | BigInt(Number(o));
  }
  return n;
}

function ipv6ToBig(text: string): bigint | undefined {
  let s = text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (isIP(s) !== 6) return undefined;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const n = ipv4ToBig(v4[1]!);
    if (n === undefined) return undefined;
    s =
      s.slice(0, v4.index) + ((n >> 16n) & 0xffffn).toString(16) + ':' + (n & 0xffffn).toString(16);
  }
  const [head = '', tail] = s.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  const groups = [...h, ...Array<string>(fill).fill('0'), ...t];
  if (groups.length !== 8) return undefined;
  let n = 0n;
  for (const g of groups) n = (n << 16n) | BigInt(parseInt(g, 16));
  return n;
}

/** An IP address as family and big integer; undefined when the text is no address. */
export function parseIp(text: string): { family: 4 | 6; value: bigint } | undefined {
  const v4 = ipv4ToBig(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = ipv6ToBig(text);
  if (v6 !== undefined) return { family: 6, value: v6 };
  return undefined;
}

/** Parses `10.0.0.0/8`, `2001:db8::/32` (a bare address is a /32 or /128). */
export function parseCidr(text: string): SigmaCidr {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const ip = parseIp(addr.trim());
  if (!ip) throw new RuleError('value', `"${text}" is not a CIDR network (bad address)`);
  const bits = ip.family === 4 ? 32 : 128;
  let prefix = bits;
  if (slash >= 0) {
    const p = text.slice(slash + 1).trim();
    if (!/^\d{1,3}$/.test(p) || Number(p) > bits) {
      throw new RuleError('value', `"${text}" is not a CIDR network (bad prefix length)`);
    }
    prefix = Number(p);
  }
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
  return { kind: 'cidr', text, family: ip.family, network: ip.value & mask, prefix };
}
