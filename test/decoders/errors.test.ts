import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RawRecord } from '../../src/event/types.js';
import { decodeAll, makeStage, pick, RECEIVED } from './helpers.js';

describe('damaged input never throws and is counted', () => {
  it('binary garbage becomes an error event with the original kept', () => {
    const { stage, counters } = makeStage();
    const text = '\x00\x01\x02\xff\ufffdPK\x03\x04';
    const [e] = decodeAll(stage, [{ text }]);
    assert.deepStrictEqual(
      pick(e!, ['vigil.decoder', 'vigil.error', 'message', 'event.original', '@timestamp']),
      {
        'vigil.decoder': 'plain',
        'vigil.error': 'binary data or control characters; not a log line',
        message: text,
        'event.original': text,
        '@timestamp': RECEIVED.toISOString(),
      },
    );
    assert.equal(counters.get('decode', 'errors'), 1);
    assert.equal(counters.get('decoder:plain', 'errors'), 1);
  });

  it('a line no decoder understands is a plain event without error', () => {
    const { stage } = makeStage();
    const [e] = decodeAll(stage, [{ text: 'just some words' }]);
    assert.deepStrictEqual(pick(e!, ['vigil.decoder', 'vigil.error', 'message', 'host.name']), {
      'vigil.decoder': 'plain',
      message: 'just some words',
      'host.name': 'testhost',
    });
  });

  it('an oversized record is cut to the limit, marked, counted and still decoded', () => {
    const { stage, counters } = makeStage({ maxRecordSize: 121 });
    const text = `Mar  2 10:00:00 h sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2 ${'é'.repeat(200)}`;
    const [e] = decodeAll(stage, [{ text }]);
    assert.equal(
      Buffer.byteLength(e!.event.original!),
      120,
      'cut before a split two-byte character',
    );
    assert.ok(text.startsWith(e!.event.original!));
    assert.deepStrictEqual(pick(e!, ['vigil.decoder', 'vigil.error', 'user.name', 'source.ip']), {
      'vigil.decoder': 'sshd-failed-partial',
      'vigil.error': 'record exceeds 121 bytes; cut',
      'user.name': 'root',
      'source.ip': '192.0.2.1',
    });
    assert.equal(counters.get('decode', 'oversized'), 1);
  });

  it("the source's error is copied to vigil.error", () => {
    const { stage } = makeStage();
    const [e] = decodeAll(stage, [
      {
        text: 'Mar  2 10:00:00 h cron[1]: x',
        error: 'line longer than 65536 bytes; cut by source',
      },
    ]);
    assert.equal(e!.vigil.error, 'line longer than 65536 bytes; cut by source');
    assert.equal(e!.vigil.decoder, 'syslog');
  });

  it('an exception inside the stage becomes an error event', () => {
    const { stage, counters } = makeStage();
    const broken = { source: 'test', text: undefined, received: RECEIVED } as unknown as RawRecord;
    const events = stage.decode(broken);
    assert.equal(events.length, 1);
    assert.deepStrictEqual(
      pick(events[0]!, ['vigil.decoder', 'vigil.source', 'event.kind', 'host.name']),
      {
        'vigil.decoder': 'error',
        'vigil.source': 'test',
        'event.kind': 'event',
        'host.name': 'testhost',
      },
    );
    assert.match(events[0]!.vigil.error!, /^decoder failed: /);
    assert.equal(counters.get('decode', 'errors'), 1);
  });

  it('truncated and malformed syslog, 5424 and web lines', () => {
    const { stage } = makeStage();
    const events = decodeAll(stage, [
      { text: '<13>1 2026-01-01T00:00:00Z host' },
      { text: '<13' },
      { text: 'Mar 99 10:00:00 h p: m' },
      { text: '[Sun Dec 04 04:51:18 2005] [nonsense] x' },
      { text: '2024/13/45 03:04:05 [error] x' },
      { text: '' },
      { text: 'x', format: 'syslog' },
    ]);
    assert.deepStrictEqual(
      events.map((e) => [e.vigil.decoder, e.vigil.error ?? null]),
      [
        ['plain', 'truncated RFC 5424 header'],
        ['plain', 'invalid syslog <PRI>'],
        ['plain', null],
        ['plain', null],
        ['plain', null],
        ['plain', null],
        ['plain', 'not a syslog line'],
      ],
    );
  });

  it('counts records, events per decoder and errors', () => {
    const { stage, counters } = makeStage();
    decodeAll(stage, [
      { text: 'Mar  2 10:00:00 h sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2' },
      { text: 'Mar  2 10:00:00 h sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2' },
      { text: '{bad json' },
    ]);
    assert.deepStrictEqual(
      [
        counters.get('decode', 'records'),
        counters.get('decode', 'errors'),
        counters.get('decoder:sshd-failed', 'events'),
        counters.get('decoder:json', 'events'),
        counters.get('decoder:json', 'errors'),
      ],
      [3, 1, 2, 1, 1],
    );
  });
});
