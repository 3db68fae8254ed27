import {
  parseCondition,
  referencedNames,
  resolveOfTarget,
  type ConditionNode,
} from './condition.js';
import { RuleError } from './errors.js';
import { applyModifiers, type ItemFlags } from './modifiers.js';
import type { SigmaValue } from './values.js';

/*
 * The detection part of a rule: named selections and the condition over them.
 * A selection is either a list of keywords (full-text search), or a map of
 * field items (AND) or a list of such maps (OR). A field item is a field name,
 * its modifier chain and its values: OR of values, or AND with `|all`.
 */

export interface FieldItem {
  /** The Sigma field name; null for keyword items (`|contains: ...` with no field). */
  readonly field: string | null;
  readonly modifiers: readonly string[];
  /** One entry per YAML value; each holds the alternatives modifiers made of it (OR). */
  readonly values: readonly (readonly SigmaValue[])[];
  /** AND over values (`|all`) instead of OR. */
  readonly all: boolean;
  /** `neq`: the item holds when the field equals none of its values' alternatives. */
  readonly neq: boolean;
  /** The YAML key as written, for messages. */
  readonly key: string;
}

export type Selection =
  | { readonly kind: 'keywords'; readonly name: string; readonly items: readonly FieldItem[] }
  | {
      readonly kind: 'maps';
      readonly name: string;
      /** OR over maps; each map is an AND over its items. */
      readonly maps: readonly (readonly FieldItem[])[];
    };

export interface Detection {
  readonly selections: ReadonlyMap<string, Selection>;
  /** Several conditions (Sigma v1 lists) mean OR. */
  readonly conditions: readonly ConditionNode[];
  readonly conditionText: readonly string[];
}

type Scalar = string | number | boolean | null;

function isScalar(v: unknown): v is Scalar {
  return v === null || ['string', 'number', 'boolean'].includes(typeof v);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function parseItem(key: string, raw: unknown, path: string): FieldItem {
  const [field = '', ...modifiers] = key.split('|');
  const flags: ItemFlags = { all: false, neq: false };
  const list: unknown[] = Array.isArray(raw) ? raw : [raw];
  if (Array.isArray(raw) && raw.length === 0) {
    throw new RuleError('value', 'an empty list of values never matches', { key: path });
  }
  const values: SigmaValue[][] = [];
  for (const v of list) {
    if (!isScalar(v)) {
      throw new RuleError('value', `values must be strings, numbers, booleans or null`, {
        key: path,
      });
    }
    try {
      values.push(applyModifiers(modifiers, v, flags));
    } catch (err) {
      if (err instanceof RuleError) throw err.locate({ key: path });
      throw err;
    }
  }
  if (modifiers.includes('exists') && values.length !== 1) {
    throw new RuleError('modifier', "modifier 'exists' takes a single true or false", {
      key: path,
    });
  }
  return {
    field: field === '' ? null : field,
    modifiers,
    values,
    all: flags.all,
    neq: flags.neq,
    key,
  };
}

function parseMap(map: Record<string, unknown>, path: string): FieldItem[] {
  const items: FieldItem[] = [];
  for (const [key, raw] of Object.entries(map)) items.push(parseItem(key, raw, `${path}.${key}`));
  if (items.length === 0)
    throw new RuleError('schema', 'an empty selection never matches', { key: path });
  return items;
}

function parseSelection(name: string, raw: unknown): Selection {
  const path = `detection.${name}`;
  if (isPlainObject(raw)) return { kind: 'maps', name, maps: [parseMap(raw, path)] };
  if (Array.isArray(raw)) {
    if (raw.length === 0)
      throw new RuleError('schema', 'an empty selection never matches', { key: path });
    if (raw.every(isScalar)) {
      return { kind: 'keywords', name, items: [parseItem('', raw, path)] };
    }
    if (raw.every(isPlainObject)) {
      return {
        kind: 'maps',
        name,
        maps: raw.map((m, i) => parseMap(m as Record<string, unknown>, `${path}[${i}]`)),
      };
    }
    throw new RuleError('schema', 'a selection list must hold only values or only maps', {
      key: path,
    });
  }
  if (isScalar(raw) && raw !== null) {
    return { kind: 'keywords', name, items: [parseItem('', [raw], path)] };
  }
  throw new RuleError('schema', 'a selection must be a map, a list of maps or a list of values', {
    key: path,
  });
}

/**
 * Parses and checks a `detection` block: every selection, the condition, and
 * that every name the condition uses exists. Collects one error per bad
 * selection; throws nothing.
 */
export function parseDetection(raw: unknown): { detection?: Detection; errors: RuleError[] } {
  const errors: RuleError[] = [];
  if (!isPlainObject(raw)) {
    return { errors: [new RuleError('schema', 'must be a map', { key: 'detection' })] };
  }
  const selections = new Map<string, Selection>();
  const failed = new Set<string>();
  let condRaw: unknown;
  for (const [name, value] of Object.entries(raw)) {
    if (name === 'condition') {
      condRaw = value;
      continue;
    }
    if (name === 'timeframe') {
      errors.push(
        new RuleError('schema', "'timeframe' belongs to correlation rules in Sigma v2", {
          key: 'detection.timeframe',
        }),
      );
      continue;
    }
    try {
      selections.set(name, parseSelection(name, value));
    } catch (err) {
      if (!(err instanceof RuleError)) throw err;
      errors.push(err);
      failed.add(name);
    }
  }
  const condTexts: string[] = [];
  if (condRaw === undefined) {
    errors.push(new RuleError('schema', 'is required', { key: 'detection.condition' }));
  } else if (typeof condRaw === 'string') {
    condTexts.push(condRaw);
  } else if (
    Array.isArray(condRaw) &&
    condRaw.length > 0 &&
    condRaw.every((c) => typeof c === 'string')
  ) {
    condTexts.push(...(condRaw as string[]));
  } else {
    errors.push(
      new RuleError('schema', 'must be a string or a list of strings', {
        key: 'detection.condition',
      }),
    );
  }
  const conditions: ConditionNode[] = [];
  const names = [...selections.keys()];
  for (const text of condTexts) {
    try {
      const node = parseCondition(text);
      for (const ref of referencedNames(node)) {
        if (!selections.has(ref) && !failed.has(ref)) {
          throw new RuleError('condition', `'${ref}' is not a selection of this rule`);
        }
      }
      checkOfTargets(node, names);
      conditions.push(node);
    } catch (err) {
      if (err instanceof RuleError) errors.push(err.locate({ key: 'detection.condition' }));
      else throw err;
    }
  }
  if (errors.length > 0) return { errors };
  return { detection: { selections, conditions, conditionText: condTexts }, errors };
}

function checkOfTargets(node: ConditionNode, names: string[]): void {
  switch (node.op) {
    case 'and':
    case 'or':
      node.args.forEach((a) => checkOfTargets(a, names));
      return;
    case 'not':
      checkOfTargets(node.arg, names);
      return;
    case 'of':
      if (resolveOfTarget(node.target, names).length === 0) {
        throw new RuleError('condition', `'${node.target}' matches no selection of this rule`);
      }
      return;
    case 'ref':
      return;
  }
}
