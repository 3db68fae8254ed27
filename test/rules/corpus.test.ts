import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { compileCorpus } from '../../src/rules/corpus.js';
import { tmpDir } from '../helpers/tmp.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

test('compileCorpus over the fixture rules', () => {
  const r = compileCorpus(fileURLToPath(new URL('../fixtures/rules/', import.meta.url)));
  assert.deepEqual(
    {
      files: r.files,
      rules: r.rules,
      parsed: r.parsed,
      compiled: r.compiled,
      errors: r.errors,
      inactive: r.inactive,
    },
    { files: 7, rules: 9, parsed: 9, compiled: 9, errors: [], inactive: [] },
  );
});

test('compileCorpus reports failures by reason', (t) => {
  const dir = tmpDir(t);
  writeFileSync(
    join(dir, 'a.yml'),
    'title: A\nid: a\nlogsource: {product: windows}\ndetection:\n  s: {x: 1}\n  condition: s\n',
  );
  writeFileSync(
    join(dir, 'b.yml'),
    "title: B\nid: b\nlogsource: {product: linux}\ndetection:\n  s: {x|re: '(a)\\1'}\n  condition: s\n",
  );
  writeFileSync(
    join(dir, 'c.yml'),
    'title: C\nid: c\nlogsource: {product: linux}\ndetection:\n  s: {Foo: 1}\n  condition: s\n',
  );
  const r = compileCorpus(dir);
  assert.equal(r.rules, 3);
  assert.equal(r.compiled, 1);
  assert.equal(r.withUnmappedFields, 1);
  assert.deepEqual([...r.unmappedFields], [['Foo', 1]]);
  assert.deepEqual(
    [...r.errors, ...r.inactive].map((f) => [f.file, f.ruleId, f.reason.slice(0, 40)]),
    [
      ['b.yml', 'b', 'regex: regex /(a)\\1/ cannot run in linea'],
      ['a.yml', 'a', 'inactive: no mapping for logsource produ'],
    ],
  );
});
