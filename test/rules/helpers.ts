import assert from 'node:assert/strict';
import { createDecoderStage } from '../../src/decoders/index.js';
import { Counters } from '../../src/event/counters.js';
import { parseTimeZone } from '../../src/event/timezone.js';
import type { Event } from '../../src/event/types.js';
import { compileRule, type CompiledRule, type CompileOptions } from '../../src/rules/compile.js';
import type { RuleError } from '../../src/rules/errors.js';
import { Mapping } from '../../src/rules/mapping.js';
import { parseRuleText, type SigmaRule } from '../../src/rules/rule.js';

/** Shared helpers for the rules tests. */

export const RECEIVED = new Date('2026-03-15T12:00:00.000Z');

let builtin: Mapping | undefined;
export function builtinMapping(): Mapping {
  builtin ??= Mapping.load();
  return builtin;
}

/** Parses one rule document; fails the test on any error. */
export function parseOne(yaml: string, file = 'test.yml'): SigmaRule {
  const r = parseRuleText(yaml, file);
  assert.deepEqual(
    r.errors.map((e) => e.message),
    [],
  );
  assert.equal(r.documents.length, 1);
  const doc = r.documents[0]!;
  assert.equal(doc.type, 'rule');
  return doc as SigmaRule;
}

/** Compiles one rule against the built-in mapping; fails the test unless it compiles. */
export function compileYaml(
  yaml: string,
  opts: CompileOptions = {},
  mapping = builtinMapping(),
): CompiledRule {
  const out = compileRule(parseOne(yaml), mapping, opts);
  if (!out.ok) assert.fail('error' in out ? out.error.message : out.inactive);
  return out.rule;
}

/** The error of a rule that must not compile. */
export function compileError(
  yaml: string,
  opts: CompileOptions = {},
  file = 'test.yml',
): RuleError {
  const parsed = parseRuleText(yaml, file);
  if (parsed.errors.length > 0) return parsed.errors[0]!;
  const out = compileRule(parsed.documents[0] as SigmaRule, builtinMapping(), opts);
  if (out.ok || !('error' in out)) assert.fail('expected a compile error');
  return out.error;
}

/**
 * A rule for the generic linux logsource with one selection `sel` holding the
 * given YAML lines (indented by the caller as map entries) and `condition: sel`.
 */
export function selRule(selection: string, condition = 'sel'): string {
  const body = selection
    .trim()
    .split('\n')
    .map((l) => '    ' + l)
    .join('\n');
  return `title: t\nid: r1\nlogsource:\n  product: linux\ndetection:\n  sel:\n${body}\n  condition: ${condition}\n`;
}

/** A minimal event with the given fields merged in. */
export function ev(fields: Partial<Event> & Record<string, unknown> = {}): Event {
  return {
    '@timestamp': '2026-03-15T10:00:00.000Z',
    event: { kind: 'event' },
    vigil: { source: 'test' },
    ...fields,
  } as Event;
}

/** Decodes log lines with the real decode stage (UTC, received 2026-03-15). */
export function decodeLines(lines: readonly string[]): Event[] {
  const stage = createDecoderStage({
    hostName: 'testhost',
    timezone: parseTimeZone('UTC')!,
    maxRecordSize: 65536,
    decoderDirs: [],
    counters: new Counters(),
  });
  const out: Event[] = [];
  for (const text of lines) out.push(...stage.decode({ source: 'test', received: RECEIVED, text }));
  out.push(...stage.flush());
  return out;
}

export function decodeOne(line: string): Event {
  const events = decodeLines([line]);
  assert.equal(events.length, 1, `one event for ${line}`);
  return events[0]!;
}
