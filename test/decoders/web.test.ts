import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decode, pick } from './helpers.js';

describe('web access logs', () => {
  it('decodes a combined log line completely', () => {
    const text =
      '203.0.113.9 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?x=1 HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"';
    const e = decode(text, { path: '/var/log/apache2/access.log' });
    assert.deepStrictEqual(e, {
      '@timestamp': '2000-10-10T20:55:36.000Z',
      event: {
        kind: 'event',
        original: text,
        ingested: '2026-03-15T12:00:00.000Z',
        category: ['web'],
        type: ['access'],
        action: 'http_request',
        outcome: 'success',
      },
      host: { name: 'testhost' },
      source: { ip: '203.0.113.9' },
      user: { name: 'frank' },
      http: {
        request: { method: 'GET', referrer: 'http://www.example.com/start.html' },
        version: '1.0',
        response: { status_code: 200, body: { bytes: 2326 } },
      },
      url: { original: '/apache_pb.gif?x=1', path: '/apache_pb.gif', query: 'x=1' },
      user_agent: { original: 'Mozilla/4.08 [en] (Win98; I ;Nav)' },
      related: { ip: ['203.0.113.9'], user: ['frank'] },
      log: { file: { path: '/var/log/apache2/access.log' } },
      vigil: { source: 'test', decoder: 'web-access' },
    });
  });

  it('common log format, IPv6 client, 404 is a failure, "-" bytes', () => {
    const e = decode(
      '::1 - - [31/Jul/2019:16:58:43 +0000] "OPTIONS * HTTP/1.0" 404 - "-" "Apache/2.4.6 (internal dummy connection)"',
    );
    assert.deepStrictEqual(
      pick(e, ['vigil.decoder', 'source.ip', 'user', 'http', 'url', 'event.outcome']),
      {
        'vigil.decoder': 'web-access',
        'source.ip': '::1',
        http: {
          request: { method: 'OPTIONS' },
          version: '1.0',
          response: { status_code: 404, body: { bytes: 0 } },
        },
        url: { original: '*', path: '*' },
        'event.outcome': 'failure',
      },
    );
  });

  it('keeps a junk request line in url.original', () => {
    const e = decode(
      '198.51.100.3 - - [01/Jan/2026:00:00:00 +0000] "\\x16\\x03\\x01" 400 226 "-" "-"',
    );
    assert.deepStrictEqual(
      pick(e, ['vigil.decoder', 'vigil.error', 'url', 'http.response.status_code', 'user_agent']),
      {
        'vigil.decoder': 'web-access',
        url: { original: '\\x16\\x03\\x01' },
        'http.response.status_code': 400,
      },
    );
  });

  it('with format hint apache, a non-access line is an error', () => {
    const e = decode('hello there', { format: 'apache' });
    assert.deepStrictEqual(pick(e, ['vigil.decoder', 'vigil.error', 'message']), {
      'vigil.decoder': 'plain',
      'vigil.error': 'not an access log line',
      message: 'hello there',
    });
  });
});

describe('web error logs', () => {
  const F = [
    '@timestamp',
    'vigil.decoder',
    'event.category',
    'event.type',
    'log.level',
    'log.logger',
    'process.pid',
    'source',
    'message',
  ];

  it('Apache 2.2 (loghub Apache/Apache_2k.log)', () => {
    const e = decode(
      '[Sun Dec 04 04:51:18 2005] [error] [client 81.199.21.119] Directory index forbidden by rule: /var/www/html/',
    );
    assert.deepStrictEqual(pick(e, F), {
      '@timestamp': '2005-12-04T04:51:18.000Z',
      'vigil.decoder': 'apache-error',
      'event.category': ['web'],
      'event.type': ['error'],
      'log.level': 'error',
      source: { ip: '81.199.21.119' },
      message: 'Directory index forbidden by rule: /var/www/html/',
    });
  });

  it('Apache 2.4 with module, pid and client port (wazuh apache.ini)', () => {
    const e = decode(
      '[Tue Sep 30 14:25:44.895897 2014] [authz_core:error] [pid 31858] [client 99.47.227.95:38870] AH01630: client denied by server configuration: /var/www/example.com/docroot/',
    );
    assert.deepStrictEqual(pick(e, F), {
      '@timestamp': '2014-09-30T14:25:44.895Z',
      'vigil.decoder': 'apache-error',
      'event.category': ['web'],
      'event.type': ['error'],
      'log.level': 'error',
      'log.logger': 'authz_core',
      'process.pid': 31858,
      source: { ip: '99.47.227.95', port: 38870 },
      message: 'AH01630: client denied by server configuration: /var/www/example.com/docroot/',
    });
  });

  it('Apache without a date (wazuh apache.ini)', () => {
    const e = decode('[error] [client 80.230.208.105] Directory index forbidden by rule: /home/');
    assert.deepStrictEqual(pick(e, ['@timestamp', 'vigil.decoder', 'log.level', 'source.ip']), {
      '@timestamp': '2026-03-15T12:00:00.000Z',
      'vigil.decoder': 'apache-error',
      'log.level': 'error',
      'source.ip': '80.230.208.105',
    });
  });

  it('nginx', () => {
    const e = decode(
      '2024/01/02 03:04:05 [error] 123#0: *1 open() "/usr/share/nginx/html/x" failed (2: No such file or directory), client: 192.0.2.10, server: localhost, request: "GET /x HTTP/1.1", host: "example.com"',
    );
    assert.deepStrictEqual(pick(e, [...F, 'http', 'url']), {
      '@timestamp': '2024-01-02T03:04:05.000Z',
      'vigil.decoder': 'nginx-error',
      'event.category': ['web'],
      'event.type': ['error'],
      'log.level': 'error',
      'process.pid': 123,
      source: { ip: '192.0.2.10' },
      message:
        'open() "/usr/share/nginx/html/x" failed (2: No such file or directory), client: 192.0.2.10, server: localhost, request: "GET /x HTTP/1.1", host: "example.com"',
      http: { request: { method: 'GET' }, version: '1.1' },
      url: { original: '/x', path: '/x' },
    });
  });

  it('nginx in the wazuh test shape (pid:tid)', () => {
    const e = decode(
      '2015/01/08 11:31:23 [error] 80:2 no user/password was provided for basic authentication',
    );
    assert.deepStrictEqual(pick(e, ['vigil.decoder', 'log.level', 'message']), {
      'vigil.decoder': 'nginx-error',
      'log.level': 'error',
      message: 'no user/password was provided for basic authentication',
    });
  });
});
