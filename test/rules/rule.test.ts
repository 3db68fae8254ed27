import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadRules } from '../../src/rules/loader.js';
import { parseRuleText, type SigmaRule } from '../../src/rules/rule.js';
import { tmpDir } from '../helpers/tmp.js';

const GOOD = `title: Good
id: 11111111-1111-4111-8111-111111111111
status: test
level: high
tags: [attack.t1110]
logsource: {product: linux, service: sshd}
detection:
  sel: {user.name: root}
  condition: sel
`;

describe('parseRuleText', () => {
  test('a valid rule gives its model', () => {
    const r = parseRuleText(GOOD, 'good.yml');
    assert.deepEqual(r.errors, []);
    const rule = r.documents[0] as SigmaRule;
    assert.equal(rule.type, 'rule');
    assert.equal(rule.title, 'Good');
    assert.equal(rule.level, 'high');
    assert.deepEqual(rule.logsource, { product: 'linux', service: 'sshd', custom: {} });
    assert.deepEqual([...rule.detection.selections.keys()], ['sel']);
    assert.deepEqual(rule.detection.conditionText, ['sel']);
    assert.deepEqual(rule.origin, { file: 'good.yml', document: 0 });
  });

  test('every bad key is reported with file, rule and key', () => {
    const r = parseRuleText(
      `title: Bad
id: bad-1
status: sure
level: severe
tags: [notatag]
date: yesterday
logsource: {product: 7}
detection:
  sel: {user.name: [{a: 1}]}
  condition: sel
`,
      'bad.yml',
    );
    assert.deepEqual(
      r.errors.map((e) => e.message),
      [
        'bad.yml: rule bad-1 "Bad": status: must be one of stable, test, experimental, deprecated, unsupported, got "sure"',
        'bad.yml: rule bad-1 "Bad": date: must be a date YYYY-MM-DD, got "yesterday"',
        'bad.yml: rule bad-1 "Bad": tags[0]: tag "notatag" is not namespace.name',
        'bad.yml: rule bad-1 "Bad": logsource.product: must be a string, got a number',
        'bad.yml: rule bad-1 "Bad": logsource: needs at least one of product, category, service',
        'bad.yml: rule bad-1 "Bad": level: must be one of informational, low, medium, high, critical, got "severe"',
        'bad.yml: rule bad-1 "Bad": detection.sel.user.name: values must be strings, numbers, booleans or null',
      ],
    );
    assert.deepEqual(r.documents, []);
  });

  test('missing title, logsource, detection and condition', () => {
    assert.deepEqual(
      parseRuleText('id: x\n', 'a.yml').errors.map((e) => e.message),
      [
        'a.yml: rule x: title: is required',
        'a.yml: rule x: logsource: is required',
        'a.yml: rule x: detection: is required',
      ],
    );
    assert.deepEqual(
      parseRuleText(
        'title: T\nlogsource: {product: linux}\ndetection: {sel: {a: 1}}\n',
        'a.yml',
      ).errors.map((e) => e.message),
      ['a.yml: rule "T": detection.condition: is required'],
    );
  });

  test('YAML errors give the line', () => {
    const r = parseRuleText('title: x\nlevel: low\nlevel: high\n', 'y.yml');
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0]!.kind, 'yaml');
    assert.equal(r.errors[0]!.file, 'y.yml:3');
    assert.equal(r.errors[0]!.message, 'y.yml:3: Map keys must be unique');
  });

  test('collections: global, repeat, reset', () => {
    const r = parseRuleText(
      `action: global
logsource: {product: linux, service: sshd}
level: low
detection:
  condition: sel
---
title: A
detection:
  sel: {user.name: a}
---
action: repeat
title: B
level: high
detection:
  sel: {user.name: b}
---
action: reset
---
title: C
logsource: {product: linux}
detection:
  s: {user.name: c}
  condition: s
`,
      'c.yml',
    );
    assert.deepEqual(r.errors, []);
    const rules = r.documents as SigmaRule[];
    assert.deepEqual(
      rules.map((x) => [x.title, x.level, x.logsource.service, x.origin.document]),
      [
        ['A', 'low', 'sshd', 1],
        ['B', 'high', 'sshd', 2],
        ['C', undefined, undefined, 4],
      ],
    );
  });

  test('a bad document does not stop the others in the file', () => {
    const r = parseRuleText(`title: A\n---\n${GOOD}`, 'm.yml');
    assert.equal(r.documents.length, 1);
    assert.deepEqual(
      r.errors.map((e) => e.message),
      ['m.yml: rule "A": logsource: is required', 'm.yml: rule "A": detection: is required'],
    );
  });

  test('filters and correlations are recognised', () => {
    const r = parseRuleText(
      `title: F
filter:
  rules: [r1]
  sel: {host.name: h}
  condition: not sel
---
title: Corr
correlation: {type: event_count, rules: [r1], timespan: 5m}
`,
      'f.yml',
    );
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.documents.map((d) => d.type),
      ['filter', 'correlation'],
    );
  });

  test('a filter with no rules is an error', () => {
    assert.deepEqual(
      parseRuleText('title: F\nfilter:\n  sel: {a: 1}\n  condition: sel\n', 'f.yml').errors.map(
        (e) => e.message,
      ),
      ['f.yml: rule "F": filter.rules: must be a rule id or name, or a list of them'],
    );
  });
});

describe('loadRules', () => {
  test('reads directories recursively and collects errors and inactive rules', (t) => {
    const dir = tmpDir(t, 'vigil-rules-');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'good.yml'), GOOD);
    writeFileSync(
      join(dir, 'sub', 'bad.yaml'),
      "title: Bad regex\nid: bad-re\nlogsource: {product: linux}\ndetection:\n  sel: {message|re: '(?<=a)b'}\n  condition: sel\n",
    );
    writeFileSync(
      join(dir, 'sub', 'win.yml'),
      'title: Windows\nid: win-1\nlogsource: {product: windows, service: security}\ndetection:\n  sel: {EventID: 4625}\n  condition: sel\n',
    );
    writeFileSync(join(dir, 'sub', 'dup.yml'), GOOD.replace('title: Good', 'title: Dup'));
    writeFileSync(join(dir, 'notes.txt'), 'not a rule');
    const r = loadRules([dir]);
    assert.deepEqual(
      r.files.map((f) => f.slice(dir.length + 1)),
      ['good.yml', 'sub/bad.yaml', 'sub/dup.yml', 'sub/win.yml'],
    );
    assert.deepEqual(
      r.rules.map((x) => x.title),
      ['Good', 'Dup'],
    );
    assert.deepEqual(
      r.errors.map((e) => [e.kind, e.message.slice(dir.length + 1).replace(/ cannot run.*$/, '')]),
      [
        [
          'regex',
          'sub/bad.yaml: rule bad-re "Bad regex": detection.sel.message|re: regex /(?<=a)b/',
        ],
        [
          'schema',
          `sub/dup.yml: rule 11111111-1111-4111-8111-111111111111 "Dup": id: id 11111111-1111-4111-8111-111111111111 is already used in ${dir}/good.yml`,
        ],
      ],
    );
    assert.deepEqual(
      r.inactive.map((i) => [i.id, i.reason]),
      [['win-1', 'no mapping for logsource product=windows service=security']],
    );
  });

  test('a missing path is an io error', () => {
    const r = loadRules(['/nonexistent/rules']);
    assert.deepEqual(
      r.errors.map((e) => e.message),
      ['/nonexistent/rules: cannot read: ENOENT'],
    );
  });
});
