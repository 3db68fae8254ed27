import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addRelated, getField, setField } from '../../src/event/fields.js';
import type { Event } from '../../src/event/types.js';

test('setField creates nested objects, coerces numbers and wraps lists', () => {
  const e: Event = {
    '@timestamp': '2026-11-23T00:00:00.000Z',
    event: { kind: 'event' },
    vigil: { source: 's' },
  };
  assert.equal(setField(e, 'source.ip', '10.0.0.1'), true);
  assert.equal(setField(e, 'source.port', '2222'), true);
  assert.equal(setField(e, 'event.category', 'authentication'), true);
  assert.equal(setField(e, 'process.pid', 'abc'), false);
  assert.deepEqual(e.source, { ip: '10.0.0.1', port: 2222 });
  assert.deepEqual(e.event.category, ['authentication']);
  assert.equal(getField(e, 'source.port'), 2222);
  assert.equal(getField(e, '@timestamp'), '2026-11-23T00:00:00.000Z');
  assert.equal(getField(e, 'user.name'), undefined);
  addRelated(e, 'ip', '10.0.0.1');
  addRelated(e, 'ip', '10.0.0.1');
  addRelated(e, 'user', undefined);
  assert.deepEqual(e.related, { ip: ['10.0.0.1'] });
});
