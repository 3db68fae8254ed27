import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectFormat } from '../../src/decoders/index.js';
import { decode, pick } from './helpers.js';

describe('format selection', () => {
  it('auto-detects by the first bytes', () => {
    const cases: Array<[string, string]> = [
      ['{"a":1}', 'json'],
      ['type=SYSCALL msg=audit(1.0:1): x=1', 'auditd'],
      ['node=h type=SYSCALL msg=audit(1.0:1): x=1', 'auditd'],
      ['<13>Mar  2 10:00:00 h p: m', 'syslog'],
      ['Mar  2 10:00:00 h p: m', 'syslog'],
      ['2026-11-23T10:00:00.123456+01:00 h p: m', 'syslog'],
      ['192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1', 'access'],
      ['2001:db8::1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1', 'access'],
      ['[Sun Dec 04 04:51:18 2005] [error] x', 'apache_error'],
      ['2024/01/02 03:04:05 [error] 1#0: x', 'nginx_error'],
      ['Marvellous day', 'plain'],
      ['12345 is a number', 'plain'],
      ['typewriter', 'plain'],
    ];
    assert.deepStrictEqual(
      cases.map(([t]) => [t, detectFormat(t)]),
      cases,
    );
  });

  it("uses the source's format hint", () => {
    assert.equal(decode('{"message":"x"}', { format: 'plain' }).vigil.decoder, 'plain');
    assert.equal(
      decode('Mar  2 10:00:00 h p: m', { format: 'json' }).vigil.error?.startsWith('invalid JSON'),
      true,
    );
    assert.equal(
      decode('192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1', {
        format: 'nginx',
      }).vigil.decoder,
      'web-access',
    );
  });

  it('takes pre-parsed journald fields instead of a header', () => {
    const e = decode('Failed password for root from 192.0.2.9 port 2222 ssh2', {
      fields: {
        timestamp: new Date('2026-03-01T08:00:00.250Z'),
        hostname: 'j1',
        program: 'sshd',
        pid: 812,
        facility: 4,
        severity: 6,
        message: 'Failed password for root from 192.0.2.9 port 2222 ssh2',
      },
    });
    assert.deepStrictEqual(
      pick(e, [
        '@timestamp',
        'host.name',
        'process',
        'log.syslog',
        'vigil.decoder',
        'user.name',
        'source.ip',
      ]),
      {
        '@timestamp': '2026-03-01T08:00:00.250Z',
        'host.name': 'j1',
        process: { name: 'sshd', pid: 812 },
        'log.syslog': {
          facility: { code: 4, name: 'auth' },
          severity: { code: 6, name: 'informational' },
          priority: 38,
        },
        'vigil.decoder': 'sshd-failed',
        'user.name': 'root',
        'source.ip': '192.0.2.9',
      },
    );
  });
});
