import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMON, decode, pick } from './helpers.js';

describe('pam decoders', () => {
  it('auth failure inside sshd (pam_unix(sshd:auth) prefix) is a step', () => {
    // loghub OpenSSH/OpenSSH_2k.log
    const e = decode(
      'Dec 10 06:55:46 LabSZ sshd[24200]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=173.234.31.186 ',
    );
    assert.deepStrictEqual(pick(e, [...COMMON, 'user.terminal', 'labels.auth_step']), {
      'vigil.decoder': 'sshd-pam-module-failure',
      'event.category': ['authentication'],
      'event.type': ['info'],
      'event.action': 'pam_auth_failure',
      'event.outcome': 'failure',
      'source.ip': '173.234.31.186',
      'process.name': 'sshd',
      'process.pid': 24200,
      'user.terminal': 'ssh',
      'labels.auth_step': 'pam_module',
    });
  });

  it('old-style sshd(pam_unix) program with a host name rhost and user', () => {
    // loghub Linux/Linux_2k.log
    const e = decode(
      'Jun 15 02:04:59 combo sshd(pam_unix)[20882]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=220-135-151-1.hinet-ip.hinet.net  user=root',
    );
    assert.deepStrictEqual(pick(e, [...COMMON, 'source.address', 'related']), {
      'vigil.decoder': 'pam-auth-failure',
      'event.category': ['authentication'],
      'event.type': ['start'],
      'event.action': 'pam_auth_failure',
      'event.outcome': 'failure',
      'user.name': 'root',
      'source.domain': '220-135-151-1.hinet-ip.hinet.net',
      'source.address': '220-135-151-1.hinet-ip.hinet.net',
      'process.name': 'sshd(pam_unix)',
      'process.pid': 20882,
      related: { user: ['root'], hosts: ['220-135-151-1.hinet-ip.hinet.net'] },
    });
  });

  it('N more authentication failures (wazuh pam.ini)', () => {
    const e = decode(
      'Nov 11 22:46:29 localhost sshd(pam_unix)[15794]: 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=10.0.3.1  user=root',
    );
    assert.deepStrictEqual(pick(e, ['vigil.decoder', 'user.name', 'source.ip', 'labels']), {
      'vigil.decoder': 'pam-auth-failure',
      'user.name': 'root',
      'source.ip': '10.0.3.1',
      labels: { count: '2' },
    });
  });

  it('check pass; user unknown', () => {
    const e = decode('Jun 14 15:16:02 combo sshd(pam_unix)[19937]: check pass; user unknown');
    assert.deepStrictEqual(pick(e, COMMON), {
      'vigil.decoder': 'pam-user-unknown',
      'event.category': ['authentication'],
      'event.type': ['start'],
      'event.action': 'pam_user_unknown',
      'event.outcome': 'failure',
      'event.reason': 'user unknown',
      'process.name': 'sshd(pam_unix)',
      'process.pid': 19937,
    });
  });

  it('session opened (by LOGIN(uid=0), and the newer user(uid=N) form) and closed', () => {
    const a = decode(
      'Jun 15 04:06:18 combo su(pam_unix)[21416]: session opened for user cyrus by (uid=0)',
    );
    assert.deepStrictEqual(pick(a, ['vigil.decoder', 'event.action', 'user.name']), {
      'vigil.decoder': 'pam-session-opened',
      'event.action': 'session_opened',
      'user.name': 'cyrus',
    });
    const b = decode(
      'Jul  1 09:01:05 combo login(pam_unix)[2411]: session opened for user root by LOGIN(uid=0)',
    );
    assert.equal(b.user?.name, 'root');
    const c = decode(
      'Mar  2 10:00:00 h sudo: pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)',
    );
    assert.deepStrictEqual(pick(c, ['vigil.decoder', 'user.name', 'user.id', 'process.name']), {
      'vigil.decoder': 'pam-session-opened',
      'user.name': 'root',
      'user.id': '0',
      'process.name': 'sudo',
    });
    const d = decode('Jun 15 04:06:19 combo su(pam_unix)[21416]: session closed for user cyrus');
    assert.deepStrictEqual(pick(d, ['vigil.decoder', 'event.type', 'event.action', 'user.name']), {
      'vigil.decoder': 'pam-session-closed',
      'event.type': ['end'],
      'event.action': 'session_closed',
      'user.name': 'cyrus',
    });
  });

  it('password changed (passwd:chauthtok)', () => {
    const e = decode(
      'Mar  2 10:00:00 h passwd[77]: pam_unix(passwd:chauthtok): password changed for bob',
    );
    assert.deepStrictEqual(
      pick(e, ['vigil.decoder', 'event.category', 'event.type', 'user.target.name', 'related']),
      {
        'vigil.decoder': 'pam-password-changed',
        'event.category': ['iam'],
        'event.type': ['user', 'change'],
        'user.target.name': 'bob',
        related: { user: ['bob'] },
      },
    );
  });
});
