import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCondition, resolveOfTarget } from '../../src/rules/condition.js';
import { EventView, matches } from '../../src/rules/compile.js';
import { compileError, compileYaml, ev } from './helpers.js';

describe('parseCondition', () => {
  test('precedence: not > and > or', () => {
    assert.deepEqual(parseCondition('a or b and not c'), {
      op: 'or',
      args: [
        { op: 'ref', name: 'a' },
        {
          op: 'and',
          args: [
            { op: 'ref', name: 'b' },
            { op: 'not', arg: { op: 'ref', name: 'c' } },
          ],
        },
      ],
    });
  });
  test('parentheses and case-insensitive keywords', () => {
    assert.deepEqual(parseCondition('(a OR b) AND NOT c'), {
      op: 'and',
      args: [
        {
          op: 'or',
          args: [
            { op: 'ref', name: 'a' },
            { op: 'ref', name: 'b' },
          ],
        },
        { op: 'not', arg: { op: 'ref', name: 'c' } },
      ],
    });
  });
  test('quantifiers', () => {
    assert.deepEqual(parseCondition('1 of sel*'), { op: 'of', quant: 1, target: 'sel*' });
    assert.deepEqual(parseCondition('any of sel*'), { op: 'of', quant: 1, target: 'sel*' });
    assert.deepEqual(parseCondition('all of them'), { op: 'of', quant: 'all', target: 'them' });
    assert.deepEqual(parseCondition('2 of them'), { op: 'of', quant: 2, target: 'them' });
    assert.deepEqual(parseCondition('not 1 of filter_*'), {
      op: 'not',
      arg: { op: 'of', quant: 1, target: 'filter_*' },
    });
  });
  test('errors say what and where', () => {
    const cases: [string, string][] = [
      ['', 'the condition is empty'],
      ['a and', "the condition ends too early in 'a and'"],
      ['(a or b', "missing ')' for '(' at position 1 in '(a or b'"],
      ['a b', "unexpected 'b' at position 3 in 'a b'"],
      ['a )', "unexpected ')' at position 3 in 'a )'"],
      ['sel*', "'sel*': a wildcard name needs '1 of' or 'all of' in 'sel*'"],
      ['1 of', "'1 of' needs a selection name pattern or 'them' in '1 of'"],
      ['a = b', "unexpected '=' at position 3"],
      [
        'sel | count() > 5',
        "aggregation '| count() > 5' is not supported: Sigma v2 uses correlation rules",
      ],
    ];
    for (const [text, why] of cases) {
      assert.throws(() => parseCondition(text), { name: 'RuleError', message: why }, text);
    }
  });
  test('them leaves out names starting with _', () => {
    assert.deepEqual(resolveOfTarget('them', ['a', '_b', 'c']), ['a', 'c']);
    assert.deepEqual(resolveOfTarget('sel_*', ['sel_a', 'sel', 'xsel_b']), ['sel_a']);
  });
});

describe('conditions on events', () => {
  const run = (condition: string, labels: Record<string, string>[]): boolean[] => {
    const r = compileYaml(
      `title: c\nid: c1\nlogsource: {product: linux}\ndetection:\n  sel_a: {labels.a: '1'}\n  sel_b: {labels.b: '1'}\n  sel_c: {labels.c: '1'}\n  _hidden: {labels.h: '1'}\n  filter: {labels.f: '1'}\n  condition: ${condition}\n`,
    );
    return labels.map((l) => matches(r, new EventView(ev({ labels: l }))));
  };
  const A = { a: '1' };
  const AB = { a: '1', b: '1' };
  const ABC = { a: '1', b: '1', c: '1' };
  const AF = { a: '1', f: '1' };
  test('and / or / not / parentheses', () => {
    assert.deepEqual(run('sel_a and sel_b', [A, AB]), [false, true]);
    assert.deepEqual(run('sel_b or sel_a', [A, {}]), [true, false]);
    assert.deepEqual(run('sel_a and not filter', [A, AF]), [true, false]);
    assert.deepEqual(run('sel_c or sel_a and sel_b', [AB, A, { c: '1' }]), [true, false, true]);
    assert.deepEqual(run('(sel_c or sel_a) and sel_b', [AB, A, { c: '1' }]), [true, false, false]);
  });
  test('1 of / all of / x of / them', () => {
    assert.deepEqual(run('1 of sel_*', [{ b: '1' }, { f: '1' }]), [true, false]);
    assert.deepEqual(run('all of sel_*', [AB, ABC]), [false, true]);
    assert.deepEqual(run('2 of sel_*', [A, AB, ABC]), [false, true, true]);
    assert.deepEqual(run('1 of them', [{ h: '1' }, { f: '1' }]), [false, true]);
    assert.deepEqual(
      run('all of them', [
        { ...ABC, f: '1' },
        { ...ABC, f: '1', h: '1' },
      ]),
      [true, true],
    );
    assert.deepEqual(run('all of sel_* and not 1 of filter*', [ABC, { ...ABC, f: '1' }]), [
      true,
      false,
    ]);
  });
  test('a name that is not a selection, or a pattern matching none, is an error', () => {
    const base = `title: c\nid: c1\nlogsource: {product: linux}\ndetection:\n  sel: {labels.a: '1'}\n  condition: `;
    assert.equal(
      compileError(base + 'sel and other').message,
      'test.yml: rule c1 "c": detection.condition: \'other\' is not a selection of this rule',
    );
    assert.equal(
      compileError(base + '1 of filter_*').why,
      "'filter_*' matches no selection of this rule",
    );
  });
  test('a list of conditions is OR', () => {
    const r = compileYaml(
      `title: c\nid: c1\nlogsource: {product: linux}\ndetection:\n  a: {labels.a: '1'}\n  b: {labels.b: '1'}\n  condition: [a, b]\n`,
    );
    assert.deepEqual(
      ([{ a: '1' }, { b: '1' }, {}] as Record<string, string>[]).map((l) =>
        matches(r, new EventView(ev({ labels: l }))),
      ),
      [true, true, false],
    );
  });
});
