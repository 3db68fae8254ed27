import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decode, pick } from './helpers.js';

describe('JSON lines', () => {
  it('maps ECS (nested and dotted) and common names; the rest goes to labels', () => {
    const text = JSON.stringify({
      '@timestamp': '2026-02-01T10:00:00.5Z',
      msg: 'login failed',
      host: 'app1',
      level: 'warn',
      source: { ip: '192.0.2.4', port: '5555' },
      'user.name': 'zoe',
      event: { category: 'authentication', outcome: 'failure', kind: 'alert' },
      request_id: 'abc',
      ctx: { a: 1, b: { c: true } },
      vigil: { decoder: 'spoof' },
    });
    const e = decode(text);
    assert.deepStrictEqual(e, {
      '@timestamp': '2026-02-01T10:00:00.500Z',
      message: 'login failed',
      event: {
        kind: 'event',
        original: text,
        ingested: '2026-03-15T12:00:00.000Z',
        category: ['authentication'],
        outcome: 'failure',
      },
      host: { name: 'app1' },
      log: { level: 'warn' },
      source: { ip: '192.0.2.4', port: 5555 },
      user: { name: 'zoe' },
      labels: {
        'event.kind': 'alert',
        request_id: 'abc',
        'ctx.a': '1',
        'ctx.b.c': 'true',
        'vigil.decoder': 'spoof',
      },
      related: { ip: ['192.0.2.4'], user: ['zoe'] },
      vigil: { source: 'test', decoder: 'json' },
    });
  });

  it('epoch seconds and milliseconds', () => {
    assert.equal(decode('{"time": 1700000000}')['@timestamp'], '2023-11-14T22:13:20.000Z');
    assert.equal(decode('{"ts": 1700000000123}')['@timestamp'], '2023-11-14T22:13:20.123Z');
  });

  it('wrong types for known fields go to labels', () => {
    const e = decode('{"source": {"port": "not-a-port"}, "event": {"category": 7}}');
    assert.deepStrictEqual(pick(e, ['source', 'event.category', 'labels']), {
      labels: { 'source.port': 'not-a-port', 'event.category': '7' },
    });
  });

  it('bounds labels (64) and label length (1024)', () => {
    const obj: Record<string, string> = {};
    for (let i = 0; i < 100; i++) obj[`k${i}`] = i === 0 ? 'x'.repeat(2000) : 'y';
    const e = decode(JSON.stringify(obj));
    assert.equal(Object.keys(e.labels!).length, 64);
    assert.equal(e.labels!.k0!.length, 1024);
  });

  it('invalid JSON is an error event with the original kept', () => {
    const e = decode('{"user": "root"');
    assert.deepStrictEqual(pick(e, ['vigil.decoder', 'message', 'event.original']), {
      'vigil.decoder': 'json',
      message: '{"user": "root"',
      'event.original': '{"user": "root"',
    });
    assert.match(e.vigil.error!, /^invalid JSON: /);
  });

  it('a JSON value that is not an object is an error', () => {
    assert.equal(decode('[1,2]', { format: 'json' }).vigil.error, 'JSON line is not an object');
  });
});
