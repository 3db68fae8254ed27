import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counters } from '../../src/event/counters.js';
import { compileDecoder, Dispatch, matchDecoders } from '../../src/decoders/declarative.js';
import type { Event } from '../../src/event/types.js';

function blank(): Event {
  return { '@timestamp': '', event: { kind: 'event' }, vigil: { source: 't' } } as Event;
}

describe('decode hot path', () => {
  it('counter cells are unreported until bumped; add(…, 0) still reports', () => {
    const c = new Counters();
    const cell = c.cell('decoder:x', 'errors');
    assert.deepEqual(c.snapshot(), {});
    cell.n++;
    c.add('decode', 'records', 0);
    assert.deepEqual(c.snapshot(), { decode: { records: 0 }, 'decoder:x': { errors: 1 } });
    assert.equal(c.get('decoder:x', 'errors'), 1);
    assert.equal(c.get('decoder:x', 'events'), 0);
  });

  it('the first-character index keeps the list order (prefix-less decoders included)', () => {
    const list = [
      compileDecoder('t.yml', { name: 'a', prefix: 'Failed ', fields: { 'event.action': 'a' } }, 0),
      compileDecoder('t.yml', { name: 'b', prematch: 'x', fields: { 'event.action': 'b' } }, 1),
      compileDecoder('t.yml', { name: 'c', prefix: 'Fa', fields: { 'event.action': 'c' } }, 2),
      compileDecoder('t.yml', { name: 'd', fields: { 'event.action': 'd' } }, 3),
    ];
    const dispatch = new Dispatch(list);
    assert.equal(matchDecoders(dispatch, 'Failed x', blank())?.name, 'a');
    assert.equal(matchDecoders(dispatch, 'Fax', blank())?.name, 'b');
    assert.equal(matchDecoders(dispatch, 'Fab', blank())?.name, 'c');
    assert.equal(matchDecoders(dispatch, 'Zzz', blank())?.name, 'd');
    assert.equal(matchDecoders(dispatch, '', blank())?.name, 'd');
  });

  it('fields of one parent keep their order and skip missing captures', () => {
    const d = compileDecoder(
      't.yml',
      {
        name: 'p',
        regex: '^(?<u>\\w*) (?<p>\\w*)$',
        fields: {
          'user.name': '{u}',
          'source.port': '{p}',
          'event.action': 'x',
          'event.outcome': 'success',
          'source.ip': '{u}',
        },
      },
      0,
    );
    const e = blank();
    assert.equal(matchDecoders(new Dispatch([d]), ' abc', e)?.name, 'p');
    assert.equal(
      JSON.stringify(e),
      JSON.stringify({
        '@timestamp': '',
        event: { kind: 'event', action: 'x', outcome: 'success' },
        vigil: { source: 't' },
        source: {},
      }),
    );
  });
});
