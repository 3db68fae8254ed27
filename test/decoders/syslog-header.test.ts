import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decode, decodeAll, makeStage, pick, RECEIVED } from './helpers.js';

describe('syslog header: RFC 3164', () => {
  it('decodes a BSD line into a complete event', () => {
    const text = 'Mar 14 08:01:02 web1 cron[42]: hello world';
    assert.deepStrictEqual(decode(text, { path: '/var/log/syslog', offset: 120 }), {
      '@timestamp': '2026-03-14T08:01:02.000Z',
      message: 'hello world',
      event: { kind: 'event', original: text, ingested: RECEIVED.toISOString() },
      host: { name: 'web1' },
      process: { name: 'cron', pid: 42 },
      log: { file: { path: '/var/log/syslog' } },
      vigil: { source: 'test', decoder: 'syslog', offset: 120 },
    });
  });

  it('reads <PRI> into facility and severity names', () => {
    const e = decode('<38>Mar 14 08:01:02 web1 sshd: Server listening on 0.0.0.0 port 22.');
    assert.deepStrictEqual(e.log?.syslog, {
      priority: 38,
      facility: { code: 4, name: 'auth' },
      severity: { code: 6, name: 'informational' },
    });
    assert.equal(e.vigil.decoder, 'sshd-server-listening');
  });

  it('accepts a space-padded day and a line without a host', () => {
    const e = decode('Feb  4 23:33:37 su: dcid to root on /dev/ttyp1');
    assert.deepStrictEqual(pick(e, ['@timestamp', 'host.name', 'process.name', 'message']), {
      '@timestamp': '2026-02-04T23:33:37.000Z',
      'host.name': 'testhost',
      'process.name': 'su',
      message: 'dcid to root on /dev/ttyp1',
    });
  });

  it('keeps a message without program tag', () => {
    const e = decode('Jun 14 15:16:01 combo last message repeated 2 times');
    assert.deepStrictEqual(pick(e, ['host.name', 'process', 'message', 'vigil.decoder']), {
      'host.name': 'combo',
      message: 'last message repeated 2 times',
      'vigil.decoder': 'syslog',
    });
  });

  it('accepts the rsyslog high-precision timestamp', () => {
    const e = decode(
      '2026-11-23T10:00:00.123456+01:00 host1 sshd[7]: Connection closed by 10.0.0.1 port 5 [preauth]',
    );
    assert.deepStrictEqual(
      pick(e, ['@timestamp', 'host.name', 'process.pid', 'event.action', 'source.ip']),
      {
        '@timestamp': '2026-11-23T09:00:00.123Z',
        'host.name': 'host1',
        'process.pid': 7,
        'event.action': 'ssh_connection_closed',
        'source.ip': '10.0.0.1',
      },
    );
  });
});

describe('syslog header: year inference and time zones', () => {
  const at = (text: string, received: string, timezone = 'UTC'): string => {
    const { stage } = makeStage({ timezone });
    return decodeAll(stage, [{ text, received: new Date(received) }])[0]!['@timestamp'];
  };

  it('puts Dec 31 received on Jan 1 into the previous year', () => {
    assert.equal(at('Dec 31 23:59:59 h p: m', '2027-01-01T00:00:10Z'), '2026-12-31T23:59:59.000Z');
  });

  it('puts Jan 1 received on Dec 31 (slow clock) into the next year', () => {
    assert.equal(at('Jan  1 00:00:05 h p: m', '2026-12-31T23:59:58Z'), '2027-01-01T00:00:05.000Z');
  });

  it('takes a date more than a few days ahead as last year', () => {
    assert.equal(at('Mar 20 10:00:00 h p: m', '2026-03-10T00:00:00Z'), '2025-03-20T10:00:00.000Z');
    assert.equal(at('Mar 12 10:00:00 h p: m', '2026-03-10T00:00:00Z'), '2026-03-12T10:00:00.000Z');
  });

  it('reads the wall clock in the configured zone', () => {
    assert.equal(
      at('Jan 10 12:00:00 h p: m', '2026-01-11T00:00:00Z', 'UTC'),
      '2026-01-10T12:00:00.000Z',
    );
    assert.equal(
      at('Jan 10 12:00:00 h p: m', '2026-01-11T00:00:00Z', '+02:00'),
      '2026-01-10T10:00:00.000Z',
    );
    assert.equal(
      at('Jan 10 12:00:00 h p: m', '2026-01-11T00:00:00Z', 'Europe/Berlin'),
      '2026-01-10T11:00:00.000Z',
    );
    assert.equal(
      at('Jul 10 12:00:00 h p: m', '2026-07-11T00:00:00Z', 'Europe/Berlin'),
      '2026-07-10T10:00:00.000Z',
    );
  });

  it('does not apply the zone to timestamps that carry an offset', () => {
    assert.equal(
      at('2026-07-10T12:00:00Z h p: m', '2026-07-11T00:00:00Z', 'Europe/Berlin'),
      '2026-07-10T12:00:00.000Z',
    );
  });
});

describe('syslog header: RFC 5424', () => {
  it('decodes header fields, structured data with escapes and a BOM', () => {
    const text =
      '<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su 77 ID47 ' +
      '[exampleSDID@32473 iut="3" eventSource="Appl\\"ic\\]ation" path="C:\\\\x"][b x="1"] \uFEFF' +
      "'su root' failed for lonvick on /dev/pts/8";
    const e = decode(text);
    assert.deepStrictEqual(
      pick(e, ['@timestamp', 'host.name', 'process.name', 'process.pid', 'message', 'log.syslog']),
      {
        '@timestamp': '2003-10-11T22:14:15.003Z',
        'host.name': 'mymachine.example.com',
        'process.name': 'su',
        'process.pid': 77,
        message: "'su root' failed for lonvick on /dev/pts/8",
        'log.syslog': {
          priority: 34,
          facility: { code: 4, name: 'auth' },
          severity: { code: 2, name: 'critical' },
          version: '1',
          hostname: 'mymachine.example.com',
          appname: 'su',
          procid: '77',
          msgid: 'ID47',
          structured_data: {
            'exampleSDID@32473': { iut: '3', eventSource: 'Appl"ic]ation', path: 'C:\\x' },
            b: { x: '1' },
          },
        },
      },
    );
  });

  it('handles NILVALUEs (no time: received time is used)', () => {
    const e = decode('<165>1 - - - - - - just a message');
    assert.deepStrictEqual(
      pick(e, ['@timestamp', 'host.name', 'process', 'message', 'log.syslog', 'vigil.error']),
      {
        '@timestamp': RECEIVED.toISOString(),
        'host.name': 'testhost',
        message: 'just a message',
        'log.syslog': {
          priority: 165,
          facility: { code: 20, name: 'local4' },
          severity: { code: 5, name: 'notice' },
          version: '1',
        },
      },
    );
  });

  it('decodes program messages carried in 5424', () => {
    const e = decode(
      '<86>1 2026-03-01T10:00:00+00:00 bastion sshd 900 - - Accepted publickey for ops from 192.0.2.7 port 51000 ssh2',
    );
    assert.deepStrictEqual(pick(e, ['vigil.decoder', 'user.name', 'source.ip', 'event.outcome']), {
      'vigil.decoder': 'sshd-accepted',
      'user.name': 'ops',
      'source.ip': '192.0.2.7',
      'event.outcome': 'success',
    });
  });

  it('marks an invalid <PRI> and malformed structured data as errors', () => {
    assert.equal(decode('<999>Mar 14 08:01:02 h p: m').vigil.error, 'invalid syslog <PRI>');
    assert.equal(
      decode('<13>1 2026-01-01T00:00:00Z h a - - [bad').vigil.error,
      'invalid RFC 5424 structured data',
    );
    assert.equal(
      decode('<13>1 2026-01-01T00:00:00Z h a - - [bad').event.original,
      '<13>1 2026-01-01T00:00:00Z h a - - [bad',
    );
  });
});
