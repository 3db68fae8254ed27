import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { VigilError } from '../errors.js';
import { compileSafeRegex, UnsafeRegexError, type SafeRegex } from '../event/safe-regex.js';
import { EVENT_FIELD_TYPES, type FieldType } from '../event/schema.js';
import { ARRAY_FIELDS, NUMERIC_FIELDS } from '../event/fields.js';
import type { Event } from '../event/types.js';

/*
 * Declarative (YAML) decoders: the format is documented in
 * docs/reference/decoders.md. A file holds `decoders:`, a list of
 * { name, program?, prefix?, prematch?, regex?, ignore_case?, fields }.
 * Loading is strict (unknown keys, unsafe regexes, unknown fields and
 * placeholders that name no capture are errors naming file and decoder).
 */

/** The built-in decoder directory shipped with the package (`<root>/decoders`). */
export const BUILTIN_DECODER_DIR = fileURLToPath(new URL('../../decoders/', import.meta.url));

const fieldValue = z.union([z.string(), z.number(), z.array(z.union([z.string(), z.number()]))]);

const decoderSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'use lower-case letters, digits, `.`, `_` and `-`'),
  description: z.string().optional(),
  program: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  prefix: z.string().min(1).optional(),
  prematch: z.string().min(1).optional(),
  regex: z.string().min(1).optional(),
  ignore_case: z.boolean().optional(),
  fields: z.record(z.string(), fieldValue),
});

const fileSchema = z.strictObject({ decoders: z.array(z.unknown()) });

export type DecoderSpec = z.infer<typeof decoderSchema>;

/** Fields a decoder may not set: they belong to the stage. */
const RESERVED = new Set([
  '@timestamp',
  'event.kind',
  'event.original',
  'event.ingested',
  'auditd.records',
  'auditd.data',
  'log.syslog.structured_data',
  'labels',
]);

const OUTCOMES = new Set(['success', 'failure', 'unknown']);

/** One piece of a template: literal text or a capture name. */
type Part = { lit: string } | { cap: string };

interface CompiledField {
  path: string;
  /** `path` split at dots, and how `setField` would treat its values: precomputed for the hot path. */
  keys?: string[];
  isNumeric?: boolean;
  isArray?: boolean;
  /** The previous field of the decoder has the same parent object (`event.type` after `event.category`). */
  sameParent?: boolean;
  /** Literal value (string, number or string list) when the value has no placeholder. */
  literal?: string | number | string[];
  /** A single `{name}` placeholder: the capture as-is. */
  capture?: string;
  /** Mixed template, or a list with placeholders (one template per element). */
  parts?: Part[];
  list?: Part[][];
}

export interface CompiledDecoder {
  readonly name: string;
  readonly file: string;
  readonly programs: readonly string[] | undefined;
  readonly prefix: string | undefined;
  readonly prematch: string | undefined;
  readonly regex: SafeRegex | undefined;
  readonly fields: readonly CompiledField[];
  /** Position in the global order (user decoders first). */
  readonly order: number;
}

/** A decoder summary for `vigil decoders list` and similar. */
export interface DecoderInfo {
  name: string;
  file: string;
  programs: string[] | undefined;
  description: string | undefined;
}

function invalid(file: string, decoder: string | undefined, why: string): VigilError {
  const where = decoder ? `${file}: decoder '${decoder}'` : file;
  return new VigilError('VIGIL_ERR_DECODER_INVALID', `${where}: ${why}`, { file });
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

function parseTemplate(text: string): Part[] {
  const parts: Part[] = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    if (m.index > last) parts.push({ lit: text.slice(last, m.index) });
    parts.push({ cap: m[1]! });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push({ lit: text.slice(last) });
  return parts;
}

function groupNames(pattern: string): Set<string> {
  const names = new Set<string>();
  for (const m of pattern.matchAll(/\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/g)) names.add(m[1]!);
  return names;
}

function fieldTypeOf(path: string): FieldType | undefined {
  if (path.startsWith('labels.') && path.length > 7 && !path.slice(7).includes('.'))
    return 'string';
  return EVENT_FIELD_TYPES.get(path);
}

function compileField(
  file: string,
  name: string,
  path: string,
  value: string | number | Array<string | number>,
  captures: Set<string>,
): CompiledField {
  const f = compileFieldValue(file, name, path, value, captures);
  // One shape for every compiled field: the hot loop stays monomorphic.
  return {
    path,
    keys: path.split('.'),
    isNumeric: NUMERIC_FIELDS.has(path),
    isArray: ARRAY_FIELDS.has(path),
    sameParent: false,
    literal: f.literal,
    capture: f.capture,
    parts: f.parts,
    list: f.list,
  };
}

/** Marks each field whose parent path is the one of the field before it. */
function linkParents(fields: CompiledField[]): CompiledField[] {
  for (let i = 1; i < fields.length; i++) {
    const a = fields[i - 1]!.keys!;
    const b = fields[i]!.keys!;
    fields[i]!.sameParent =
      a.length === b.length && a.every((k, j) => j === a.length - 1 || k === b[j]);
  }
  return fields;
}

function compileFieldValue(
  file: string,
  name: string,
  path: string,
  value: string | number | Array<string | number>,
  captures: Set<string>,
): CompiledField {
  if (RESERVED.has(path) || path.startsWith('vigil.')) {
    throw invalid(
      file,
      name,
      `field '${path}' is set by vigil itself and cannot be set by a decoder`,
    );
  }
  const type = fieldTypeOf(path);
  if (!type || type === 'other' || type === 'map') {
    throw invalid(
      file,
      name,
      `unknown field '${path}' (use an ECS field of the Event, or labels.<name>)`,
    );
  }
  const checkParts = (parts: Part[]): void => {
    for (const p of parts) {
      if ('cap' in p && !captures.has(p.cap)) {
        throw invalid(
          file,
          name,
          `field '${path}' uses {${p.cap}} but the regex has no capture named '${p.cap}'`,
        );
      }
    }
  };
  if (Array.isArray(value)) {
    if (type !== 'string[]')
      throw invalid(file, name, `field '${path}' takes one value, not a list`);
    const list = value.map((v) => parseTemplate(String(v)));
    list.forEach(checkParts);
    if (list.every((p) => p.every((x) => 'lit' in x))) {
      return { path, literal: value.map(String) };
    }
    return { path, list };
  }
  if (typeof value === 'number') {
    if (type === 'string[]') return { path, literal: [String(value)] };
    return { path, literal: type === 'number' ? value : String(value) };
  }
  const parts = parseTemplate(value);
  checkParts(parts);
  if (parts.length === 1 && 'cap' in parts[0]!) return { path, capture: parts[0].cap };
  if (parts.every((p) => 'lit' in p)) {
    if (type === 'number') {
      const n = Number(value);
      if (value === '' || !Number.isFinite(n))
        throw invalid(file, name, `field '${path}' needs a number, got '${value}'`);
      return { path, literal: n };
    }
    if (path === 'event.outcome' && !OUTCOMES.has(value)) {
      throw invalid(
        file,
        name,
        `event.outcome must be success, failure or unknown, got '${value}'`,
      );
    }
    return { path, literal: type === 'string[]' ? [value] : value };
  }
  return { path, parts };
}

/** Compiles one decoder entry; `raw` is untrusted YAML. */
export function compileDecoder(file: string, raw: unknown, order: number): CompiledDecoder {
  const nameGuess =
    raw && typeof raw === 'object' && typeof (raw as { name?: unknown }).name === 'string'
      ? (raw as { name: string }).name
      : undefined;
  const parsed = decoderSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    let why = issue.message;
    if (issue.code === 'unrecognized_keys')
      why = `unknown key(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    const at = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw invalid(file, nameGuess, `${at}${why}`);
  }
  const spec = parsed.data;
  let regex: SafeRegex | undefined;
  let captures = new Set<string>();
  if (spec.regex !== undefined) {
    try {
      regex = compileSafeRegex(spec.regex, { ignoreCase: spec.ignore_case ?? false });
    } catch (err) {
      const why = err instanceof UnsafeRegexError ? err.message : String(err);
      throw invalid(file, spec.name, `${why} (backreferences and lookaround are not supported)`);
    }
    captures = groupNames(spec.regex);
  }
  const fields = linkParents(
    Object.entries(spec.fields).map(([path, value]) =>
      compileField(file, spec.name, path, value, captures),
    ),
  );
  return {
    name: spec.name,
    file,
    programs: spec.program === undefined ? undefined : [spec.program].flat(),
    prefix: spec.prefix,
    prematch: spec.prematch,
    regex,
    fields,
    order,
  };
}

/** Reads and compiles one decoder file. */
export function loadDecoderFile(
  file: string,
  firstOrder: number,
): { decoders: CompiledDecoder[]; descriptions: Map<string, string | undefined> } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw invalid(file, undefined, `cannot read: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    const why =
      err instanceof YAMLParseError ? err.message.split('\n')[0]!.replace(/:$/, '') : String(err);
    throw invalid(file, undefined, `not valid YAML: ${why}`);
  }
  const parsed = fileSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const why =
      issue.code === 'unrecognized_keys'
        ? `unknown top-level key(s) ${issue.keys.map((k) => `'${k}'`).join(', ')} (expected only 'decoders')`
        : `expected a mapping with a 'decoders' list (${issue.message})`;
    throw invalid(file, undefined, why);
  }
  const decoders: CompiledDecoder[] = [];
  const descriptions = new Map<string, string | undefined>();
  parsed.data.decoders.forEach((raw, i) => {
    const d = compileDecoder(file, raw, firstOrder + i);
    decoders.push(d);
    descriptions.set(d.name, (raw as { description?: string }).description);
  });
  return { decoders, descriptions };
}

function yamlFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw invalid(dir, undefined, `decoder directory cannot be read: ${(err as Error).message}`);
  }
  return names
    .filter((n) => n.endsWith('.yml') || n.endsWith('.yaml'))
    .sort()
    .map((n) => join(dir, n))
    .filter((p) => statSync(p).isFile());
}

/**
 * An ordered decoder list indexed by the first character of `prefix`: the
 * decoders a text can match are those with no prefix and those whose prefix
 * starts with the text's first character, in the list's order. Same result as
 * trying the whole list; fewer `startsWith` calls.
 */
export class Dispatch {
  /** Decoders without a prefix: for a text whose first character no prefix starts with. */
  private readonly rest: readonly CompiledDecoder[];
  private readonly byChar = new Map<number, readonly CompiledDecoder[]>();

  constructor(readonly all: readonly CompiledDecoder[]) {
    this.rest = all.filter((d) => d.prefix === undefined);
    for (const d of all) {
      if (d.prefix === undefined) continue;
      const c = d.prefix.charCodeAt(0);
      if (this.byChar.has(c)) continue;
      this.byChar.set(
        c,
        all.filter((x) => x.prefix === undefined || x.prefix.charCodeAt(0) === c),
      );
    }
  }

  /** Decoders worth trying on `text`, in order. */
  for(text: string): readonly CompiledDecoder[] {
    return this.byChar.get(text.charCodeAt(0)) ?? this.rest;
  }
}

const EMPTY_DISPATCH = new Dispatch([]);

/**
 * All declarative decoders, in match order, indexed by program. User
 * directories come first (in the order given) and a user decoder with the
 * name of a built-in one replaces it.
 */
export class DecoderSet {
  private readonly byProgram = new Map<string, CompiledDecoder[]>();
  private readonly generic: CompiledDecoder[] = [];
  private readonly candidateCache = new Map<string, Dispatch>();
  private readonly programOnlyCache = new Map<string, Dispatch>();
  private readonly genericDispatch: Dispatch;
  readonly all: readonly CompiledDecoder[];
  readonly info: readonly DecoderInfo[];

  constructor(decoders: CompiledDecoder[], descriptions: Map<string, string | undefined>) {
    this.all = decoders;
    this.info = decoders.map((d) => ({
      name: d.name,
      file: d.file,
      programs: d.programs ? [...d.programs] : undefined,
      description: descriptions.get(d.name),
    }));
    for (const d of decoders) {
      if (!d.programs) {
        this.generic.push(d);
        continue;
      }
      for (const p of d.programs) {
        let list = this.byProgram.get(p);
        if (!list) this.byProgram.set(p, (list = []));
        list.push(d);
      }
    }
    this.genericDispatch = new Dispatch(this.generic);
  }

  /** Loads user directories (first) and the built-in directory (last). */
  static load(userDirs: readonly string[], builtinDir: string = BUILTIN_DECODER_DIR): DecoderSet {
    const decoders: CompiledDecoder[] = [];
    const descriptions = new Map<string, string | undefined>();
    const seen = new Map<string, string>();
    const layers = [
      ...userDirs.map((d) => ({ dir: d, builtin: false })),
      { dir: builtinDir, builtin: true },
    ];
    for (const layer of layers) {
      const layerNames = new Map<string, string>();
      for (const file of yamlFiles(layer.dir)) {
        const loaded = loadDecoderFile(file, decoders.length);
        for (const d of loaded.decoders) {
          const dup = layerNames.get(d.name);
          if (dup) throw invalid(file, d.name, `duplicate decoder name (also in ${dup})`);
          layerNames.set(d.name, file);
          if (seen.has(d.name)) continue; // replaced by an earlier (user) layer
          decoders.push({ ...d, order: decoders.length });
          descriptions.set(d.name, loaded.descriptions.get(d.name));
        }
      }
      for (const [n, f] of layerNames) if (!seen.has(n)) seen.set(n, f);
    }
    return new DecoderSet(decoders, descriptions);
  }

  /**
   * Decoders to try for a program, in order: those naming the program, and for
   * `svc(pam_unix)` also those naming `pam_unix`, merged with the generic ones.
   */
  candidates(program: string | undefined): Dispatch {
    if (program === undefined) return this.genericDispatch;
    let dispatch = this.candidateCache.get(program);
    if (dispatch) return dispatch;
    const own = this.byProgram.get(program) ?? [];
    let inner: CompiledDecoder[] = [];
    const open = program.indexOf('(');
    if (open > 0 && program.endsWith(')'))
      inner = this.byProgram.get(program.slice(open + 1, -1)) ?? [];
    if (own.length === 0 && inner.length === 0) {
      dispatch = this.genericDispatch;
    } else {
      dispatch = new Dispatch(
        [...new Set([...own, ...inner, ...this.generic])].sort((a, b) => a.order - b.order),
      );
    }
    if (this.candidateCache.size < 10_000) this.candidateCache.set(program, dispatch);
    return dispatch;
  }

  /** Decoders that name `program` (no generic ones): for PAM module sub-messages. */
  programOnly(program: string): Dispatch {
    let dispatch = this.programOnlyCache.get(program);
    if (dispatch) return dispatch;
    const own = this.byProgram.get(program);
    dispatch = own ? new Dispatch(own) : EMPTY_DISPATCH;
    if (this.programOnlyCache.size < 10_000) this.programOnlyCache.set(program, dispatch);
    return dispatch;
  }
}

/**
 * Tries the decoders of `dispatch` on `text`; on the first match sets its
 * fields on `event` and returns the decoder, else undefined.
 */
export function matchDecoders(
  dispatch: Dispatch,
  text: string,
  event: Event,
): CompiledDecoder | undefined {
  const list = dispatch.for(text);
  for (let i = 0; i < list.length; i++) {
    const d = list[i]!;
    if (d.prefix !== undefined && !text.startsWith(d.prefix)) continue;
    if (d.prematch !== undefined && !text.includes(d.prematch)) continue;
    let groups: Record<string, string | undefined> | null = null;
    if (d.regex) {
      groups = d.regex.exec(text);
      if (!groups) continue;
    }
    applyFields(d, groups, event);
    return d;
  }
  return undefined;
}

/**
 * Renders a template. Missing or empty captures render as ''; a template all
 * of whose placeholders are missing is skipped (undefined), so
 * `'{invalid} user'` sets nothing when `invalid` did not match and
 * `'{user}{user2}'` takes whichever alternative matched.
 */
function render(
  parts: Part[],
  groups: Record<string, string | undefined> | null,
): string | undefined {
  let out = '';
  let any = false;
  for (const p of parts) {
    if ('lit' in p) out += p.lit;
    else {
      const v = groups?.[p.cap];
      if (v !== undefined && v !== '') {
        out += v;
        any = true;
      }
    }
  }
  return any ? out : undefined;
}

/**
 * The parent object of a pre-split path, created on the way (as `setField`
 * does: a non-object in the way is replaced).
 */
function parentOf(event: Event, keys: string[]): Record<string, unknown> {
  let cur = event as unknown as Record<string, unknown>;
  const last = keys.length - 1;
  for (let i = 0; i < last; i++) {
    const k = keys[i]!;
    let next = cur[k];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      next = {};
      cur[k] = next;
    }
    cur = next as Record<string, unknown>;
  }
  return cur;
}

/** Sets a field's value on its parent, with `setField`'s coercions (numbers, lists). */
function putOn(
  parent: Record<string, unknown>,
  f: CompiledField,
  value: string | number | string[],
): void {
  let v: unknown = value;
  if (f.isNumeric && typeof v === 'string') {
    const n = Number(v);
    if (v === '' || !Number.isFinite(n)) return;
    v = n;
  } else if (f.isArray && !Array.isArray(v)) {
    v = [v];
  }
  parent[f.keys![f.keys!.length - 1]!] = v;
}

function applyFields(
  d: CompiledDecoder,
  groups: Record<string, string | undefined> | null,
  event: Event,
): void {
  const fields = d.fields;
  // The parent object the previous field was written to: reused by a field of
  // the same parent (it cannot have been replaced in between).
  let parent: Record<string, unknown> | undefined;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (!f.sameParent) parent = undefined;
    let value: string | number | string[] | undefined;
    if (f.literal !== undefined) {
      value = Array.isArray(f.literal) ? f.literal.slice() : f.literal;
    } else if (f.capture !== undefined) {
      const v = groups?.[f.capture];
      if (v !== undefined && v !== '') value = v;
    } else if (f.parts) {
      value = render(f.parts, groups);
    } else if (f.list) {
      const out: string[] = [];
      for (const parts of f.list) {
        const v = render(parts, groups);
        if (v !== undefined) out.push(v);
      }
      if (out.length > 0) value = out;
    }
    if (value === undefined) continue;
    parent ??= parentOf(event, f.keys!);
    putOn(parent, f, value);
  }
}
