import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EpochReader } from '../../src/event/epoch.js';

test('EpochReader: agrees with Date.parse within a cached hour and across hours', () => {
  const r = new EpochReader();
  const stamps = [
    '2026-11-01T10:00:00.000Z',
    '2026-11-01T10:59:59.999Z',
    '2026-11-01T10:05:07.250Z',
    '2026-11-01T11:00:00.000Z',
    '2026-11-01T11:00:00.000Z',
    '2026-11-01T10:30:00.000Z',
    '2026-11-01T10:30:00+02:00',
  ];
  for (const s of stamps) assert.equal(r.read(s), Date.parse(s), s);
});

test('EpochReader: a stamp with a non-digit in the cached hour is not misread', () => {
  const r = new EpochReader();
  r.read('2026-11-01T10:00:00.000Z');
  // A non-digit minute once read as -1 and passed the range check.
  assert.ok(Number.isNaN(r.read('2026-11-01T10:a0:00.000Z')));
  assert.ok(Number.isNaN(r.read('2026-11-01T10:00:x0.000Z')));
  assert.ok(Number.isNaN(r.read('not a time')));
});
