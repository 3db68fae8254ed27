import assert from 'node:assert/strict';
import { test } from 'node:test';
import { affinity } from '../../src/decoders/affinity.js';

/*
 * A multi-threaded scan sends records with equal affinity to one decoder:
 * every line of one sshd connection (the session memory follows it), every
 * line of one program (an audit event's records arrive in a row), and every
 * line without a syslog header together.
 */

test('affinity: the lines of one sshd connection share it, other connections spread', () => {
  const session = [
    'Nov  1 08:00:01 web1 sshd[4242]: Disconnecting: Too many authentication failures for root [preauth]',
    'Nov  1 08:00:02 web1 sshd[4242]: Connection closed by 198.51.100.7 port 4444 [preauth]',
    '<38>Nov  1 08:00:03 web1 sshd[4242]: pam_unix(sshd:auth): authentication failure; rhost=198.51.100.7',
  ];
  const keys = new Set(session.map(affinity));
  assert.equal(keys.size, 1);
  assert.notEqual([...keys][0], 0);
  const others = new Set<number>();
  for (let pid = 1000; pid < 1064; pid++) {
    others.add(affinity(`Nov  1 08:00:01 web1 sshd[${pid}]: Failed password for x from 192.0.2.1`));
  }
  // Different connections land on both of two workers.
  const parts = new Set([...others].map((k) => k % 2));
  assert.deepEqual([...parts].sort(), [0, 1]);
});

test('affinity: RFC 5424 and high-precision headers key sshd by app and procid', () => {
  const a = affinity('<38>1 2026-11-01T08:00:01Z web1 sshd 4242 - - Failed password for x');
  const b = affinity(
    '<38>1 2026-11-01T08:00:09.5Z web1 sshd 4242 - - Connection closed by 192.0.2.1',
  );
  const c = affinity('<38>1 2026-11-01T08:00:01Z web1 sshd 4243 - - Failed password for x');
  assert.equal(a, b);
  assert.notEqual(a, 0);
  assert.notEqual(a, c);
  const iso = '2026-11-01T08:00:01.123456+00:00 web1 sshd-session[77]: Failed password for x';
  assert.equal(affinity(iso), affinity('Nov  1 08:00:01 web1 sshd-session[77]: Invalid user x'));
});

test('affinity: other programs are keyed by program alone, pid or not', () => {
  const a = affinity('Nov  1 08:00:01 web1 sudo[100]: alice : TTY=pts/0 ; COMMAND=/bin/ls');
  const b = affinity('Nov  1 08:00:02 web1 sudo[200]: bob : TTY=pts/1 ; COMMAND=/bin/id');
  assert.equal(a, b);
  const audit = [
    'Nov  1 08:00:01 web1 audispd: type=SYSCALL msg=audit(1761984001.100:41): arch=c000003e',
    'Nov  1 08:00:01 web1 audispd: type=PATH msg=audit(1761984001.100:41): item=0 name="/etc/shadow"',
    'Nov  1 08:00:01 web1 audispd: type=EOE msg=audit(1761984001.100:41): ',
  ];
  assert.equal(new Set(audit.map(affinity)).size, 1);
  assert.notEqual(affinity(audit[0]!), a);
});

test('affinity: lines without a syslog header all go together', () => {
  for (const line of [
    'type=SYSCALL msg=audit(1761984001.100:41): arch=c000003e syscall=59',
    'type=PATH msg=audit(1761984001.100:42): item=0 name="/tmp/x"',
    '{"message": "Failed password for root", "host": "web1"}',
    '192.0.2.1 - - [01/Nov/2026:08:00:01 +0000] "GET / HTTP/1.1" 200 12',
    '',
    '<999999>garbage',
    'no header here at all',
  ]) {
    assert.equal(affinity(line), 0, line);
  }
});
