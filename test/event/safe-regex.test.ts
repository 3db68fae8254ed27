import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileSafeRegex, UnsafeRegexError } from '../../src/event/safe-regex.js';

test('named captures in JS and Python spelling', () => {
  const re = compileSafeRegex('^Failed (?P<method>\\S+) for (?<user>\\S+) from (?<ip>[0-9.]+)');
  assert.equal(re.engine, 'v8-linear-fallback');
  assert.deepEqual(
    { ...re.exec('Failed password for root from 10.1.2.3 port 22') },
    {
      method: 'password',
      user: 'root',
      ip: '10.1.2.3',
    },
  );
  assert.equal(re.exec('Accepted password for root'), null);
});

test('a catastrophic-backtracking pattern finishes in linear time on V8', () => {
  const re = compileSafeRegex('^(a+)+$');
  const started = Date.now();
  assert.equal(re.test('a'.repeat(5000) + 'b'), false);
  assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
});

test('case-insensitive patterns run on RE2, still linear', () => {
  const re = compileSafeRegex('^(a+)+$', { ignoreCase: true });
  assert.equal(re.engine, 're2');
  const started = Date.now();
  assert.equal(re.test('A'.repeat(5000) + 'b'), false);
  assert.ok(Date.now() - started < 2000);
  assert.deepEqual(
    { ...compileSafeRegex('user (?<u>\\w+)', { ignoreCase: true }).exec('USER Bob') },
    { u: 'Bob' },
  );
});

test('backreferences and lookaround are rejected with a clear error', () => {
  assert.throws(() => compileSafeRegex('(a)\\1'), UnsafeRegexError);
  assert.throws(() => compileSafeRegex('(?<=x)y'), /cannot run in linear time or does not compile/);
  assert.throws(() => compileSafeRegex('(unclosed'), UnsafeRegexError);
});
