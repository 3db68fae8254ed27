import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Event } from '../../src/event/types.js';
import { assertValid, makeStage, pick, RECEIVED } from './helpers.js';

// Line shapes from fail2ban's sshd test log (../shared/corpora/fail2ban-logs).

/** Decodes lines one at a time on one stage; the events each decode call returned. */
function decodeEach(lines: string[], source = 'test'): Event[][] {
  const { stage } = makeStage();
  return lines.map((text) => assertValid(stage.decode({ source, received: RECEIVED, text })));
}

const FIELDS = ['vigil.decoder', 'event.outcome', 'source.ip', 'related.ip'];

describe('sshd session memory', () => {
  it('fills the address of a later line of the same process', () => {
    const [connect, limit] = decodeEach([
      'Feb 12 04:09:18 localhost sshd[26713]: Connection from 115.249.163.77 port 51353',
      'Feb 12 04:09:21 localhost sshd[26713]: Disconnecting: Too many authentication failures for root [preauth]',
    ]);
    assert.equal(connect!.length, 1);
    assert.deepStrictEqual(pick(limit![0]!, FIELDS), {
      'vigil.decoder': 'sshd-too-many-auth-failures',
      'event.outcome': 'failure',
      'source.ip': '115.249.163.77',
      'related.ip': ['115.249.163.77'],
    });
  });

  it('holds a failed login without address until the session names it', () => {
    const [locked, request, disconnect] = decodeEach([
      'Apr 24 01:39:19 host sshd[3719]: User root not allowed because account is locked',
      'Apr 24 01:39:19 host sshd[3719]: input_userauth_request: invalid user root [preauth]',
      'Apr 24 01:39:19 host sshd[3719]: error: Received disconnect from 198.51.100.34: 11: Bye Bye [preauth]',
    ]);
    assert.deepStrictEqual(locked, []);
    // A step is not held.
    assert.equal(request!.length, 1);
    assert.deepStrictEqual(
      disconnect!.map((e) => pick(e, ['vigil.decoder', 'event.reason', 'source.ip'])),
      [
        {
          'vigil.decoder': 'sshd-user-not-allowed',
          'event.reason': 'account is locked',
          'source.ip': '198.51.100.34',
        },
        {
          'vigil.decoder': 'sshd-received-disconnect',
          'event.reason': 'Bye Bye',
          'source.ip': '198.51.100.34',
        },
      ],
    );
  });

  it('keeps processes, hosts and sources apart', () => {
    const { stage } = makeStage();
    const run = (source: string, text: string): Event[] =>
      stage.decode({ source, received: RECEIVED, text });
    run('a', 'Nov 23 21:50:10 h1 sshd[8148]: Connection from 61.0.0.1 port 4000');
    const other = [
      ...run('a', 'Nov 23 21:50:19 h1 sshd[9148]: Disconnecting: Too many authentication failures'),
      ...run('a', 'Nov 23 21:50:19 h2 sshd[8148]: Disconnecting: Too many authentication failures'),
      ...run('b', 'Nov 23 21:50:19 h1 sshd[8148]: Disconnecting: Too many authentication failures'),
    ];
    assert.deepStrictEqual(other, [], 'held: no address known for these sessions');
    const released = stage.flush();
    assert.equal(released.length, 3);
    for (const e of released) assert.equal(e.source, undefined);
  });

  it('forgets a session when it ends and after its idle time', () => {
    const [, , , late, reused] = decodeEach([
      'Mar 15 09:21:01 host sshd[2717]: Connection from 192.0.2.212 port 4000',
      'Mar 15 09:21:02 host sshd[2717]: Connection closed by 192.0.2.212 [preauth]',
      'Mar 15 09:40:00 host sshd[2718]: Connection from 192.0.2.213 port 4001',
      'Mar 15 09:55:00 host sshd[2718]: Disconnecting: Too many authentication failures',
      'Mar 15 10:11:00 host sshd[2717]: Disconnecting: Too many authentication failures',
    ]);
    // 15 minutes idle: a new session, whose failure waits for its address.
    assert.deepStrictEqual(late, []);
    // pid 2717 ended: its new line is not filled with the old address but held.
    // 2718 has been idle for 16 minutes: its held failure is released unfilled.
    assert.deepStrictEqual(
      reused!.map((e) => pick(e, ['process.pid', 'source.ip'])),
      [{ 'process.pid': 2718 }],
    );
  });

  it('leaves other programs alone', () => {
    const [, su] = decodeEach([
      'Mar 15 10:00:00 host su[77]: pam_unix(su:auth): authentication failure; logname=bob uid=1000 euid=0 tty=pts/0 ruser=bob rhost=192.0.2.1  user=root',
      'Mar 15 10:00:01 host su[77]: FAILED SU (to root) bob on pts/0',
    ]);
    assert.equal(su!.length, 1);
    assert.equal(su![0]!.source, undefined);
  });

  it('counts a connection that changed user as one failed attempt (fail2ban gh-2070)', () => {
    const [first, second, accepted, again] = decodeEach([
      'Mar  7 18:53:22 bar sshd[1558]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser=root rhost=192.0.2.114',
      'Mar  7 18:53:23 bar sshd[1558]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser=sudoer rhost=192.0.2.114',
      'Mar  7 18:53:24 bar sshd[1558]: Accepted password for known from 192.0.2.114 port 52100 ssh2',
      'Mar  7 18:53:25 bar sshd[1558]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser=sudoer rhost=192.0.2.114',
    ]);
    const attempts = (events: Event[]) =>
      events.filter((e) => e.event.outcome === 'failure' && e.labels?.auth_step === undefined);
    // The first user's PAM verdict is a step, as always.
    assert.equal(attempts(first!).length, 0);
    // A second user within the connection: the step stays, plus one attempt.
    assert.equal(second!.length, 2);
    assert.equal(second![0]!.labels?.auth_step, 'pam_module');
    assert.deepStrictEqual(
      pick(attempts(second!)[0]!, ['event.action', 'user.name', 'source.ip']),
      {
        'event.action': 'ssh_login_user_changed',
        'user.name': 'sudoer',
        'source.ip': '192.0.2.114',
      },
    );
    // The accepted login stays a success; beside it, the attempt.
    assert.equal(accepted![0]!.event.outcome, 'success');
    const changed = attempts(accepted!);
    assert.equal(changed.length, 1);
    assert.equal(changed[0]!.event.reason, 'logged in as known after failures for root, sudoer');
    assert.deepStrictEqual(changed[0]!.related?.user, ['root', 'sudoer', 'known']);
    // A user already seen is no change.
    assert.equal(attempts(again!).length, 0);
  });

  it('an accepted login for the user that failed is no change', () => {
    const [, accepted] = decodeEach([
      'Mar  7 18:53:20 bar sshd[1556]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser=rda rhost=192.0.2.113',
      'Mar  7 18:53:20 bar sshd[1556]: Accepted password for rda from 192.0.2.113 port 52100 ssh2',
    ]);
    assert.equal(accepted!.length, 1);
    assert.equal(accepted![0]!.event.outcome, 'success');
  });
});
