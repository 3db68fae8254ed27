import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMON, decode, pick } from './helpers.js';

// Lines from loghub OpenSSH/OpenSSH_2k.log (LabSZ) and OpenSSH's own messages.
const cases: Array<[string, Record<string, unknown>]> = [
  [
    'Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2',
    {
      'vigil.decoder': 'sshd-failed',
      'event.category': ['authentication'],
      'event.type': ['start'],
      'event.action': 'ssh_login',
      'event.outcome': 'failure',
      'event.reason': 'invalid user',
      'user.name': 'webmaster',
      'source.ip': '173.234.31.186',
      'source.port': 38926,
      'process.name': 'sshd',
      'process.pid': 24200,
    },
  ],
  [
    'Dec 10 07:07:38 LabSZ sshd[24206]: Failed password for root from 112.95.230.3 port 45378 ssh2',
    {
      'vigil.decoder': 'sshd-failed',
      'event.category': ['authentication'],
      'event.type': ['start'],
      'event.action': 'ssh_login',
      'event.outcome': 'failure',
      'user.name': 'root',
      'source.ip': '112.95.230.3',
      'source.port': 45378,
      'process.name': 'sshd',
      'process.pid': 24206,
    },
  ],
  [
    'Mar  1 10:00:00 h sshd[1]: Failed publickey for git from 2001:db8::5 port 22 ssh2: RSA SHA256:abc',
    {
      'vigil.decoder': 'sshd-failed',
      'event.category': ['authentication'],
      'event.type': ['start'],
      'event.action': 'ssh_login',
      'event.outcome': 'failure',
      'user.name': 'git',
      'source.ip': '2001:db8::5',
      'source.port': 22,
      'process.name': 'sshd',
      'process.pid': 1,
    },
  ],
  [
    'Dec 10 09:32:20 LabSZ sshd[24680]: Accepted password for fztu from 119.137.62.142 port 49116 ssh2',
    {
      'vigil.decoder': 'sshd-accepted',
      'event.category': ['authentication', 'session'],
      'event.type': ['start'],
      'event.action': 'ssh_login',
      'event.outcome': 'success',
      'user.name': 'fztu',
      'source.ip': '119.137.62.142',
      'source.port': 49116,
      'process.name': 'sshd',
      'process.pid': 24680,
    },
  ],
  [
    'Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186',
    {
      'vigil.decoder': 'sshd-invalid-user',
      'event.category': ['authentication'],
      'event.type': ['start'],
      'event.action': 'ssh_invalid_user',
      'event.outcome': 'failure',
      'event.reason': 'invalid user',
      'user.name': 'webmaster',
      'source.ip': '173.234.31.186',
      'process.name': 'sshd',
      'process.pid': 24200,
    },
  ],
  [
    'Dec 10 06:55:46 LabSZ sshd[24200]: input_userauth_request: invalid user webmaster [preauth]',
    {
      'vigil.decoder': 'sshd-invalid-user-preauth',
      'event.category': ['authentication'],
      'event.type': ['start'],
      'event.action': 'ssh_invalid_user',
      'event.outcome': 'failure',
      'event.reason': 'invalid user',
      'user.name': 'webmaster',
      'process.name': 'sshd',
      'process.pid': 24200,
    },
  ],
  [
    'Dec 10 06:55:48 LabSZ sshd[24200]: Received disconnect from 173.234.31.186: 11: Bye Bye [preauth]',
    {
      'vigil.decoder': 'sshd-received-disconnect',
      'event.category': ['network'],
      'event.type': ['end', 'connection'],
      'event.action': 'ssh_disconnect',
      'event.reason': 'Bye Bye',
      'source.ip': '173.234.31.186',
      'process.name': 'sshd',
      'process.pid': 24200,
    },
  ],
  [
    'Mar  1 10:00:00 h sshd[9]: Received disconnect from 203.0.113.9 port 40110:11: Bye Bye [preauth]',
    {
      'vigil.decoder': 'sshd-received-disconnect',
      'event.category': ['network'],
      'event.type': ['end', 'connection'],
      'event.action': 'ssh_disconnect',
      'event.reason': 'Bye Bye',
      'source.ip': '203.0.113.9',
      'source.port': 40110,
      'process.name': 'sshd',
      'process.pid': 9,
    },
  ],
  [
    'Mar  1 10:00:00 h sshd[9]: Disconnected from invalid user admin 203.0.113.9 port 40110 [preauth]',
    {
      'vigil.decoder': 'sshd-disconnected',
      'event.category': ['network'],
      'event.type': ['end', 'connection'],
      'event.action': 'ssh_disconnect',
      'source.ip': '203.0.113.9',
      'source.port': 40110,
      'process.name': 'sshd',
      'process.pid': 9,
    },
  ],
  [
    'Mar  1 10:00:00 h sshd[9]: Connection closed by invalid user oracle 203.0.113.9 port 40110 [preauth]',
    {
      'vigil.decoder': 'sshd-connection-closed',
      'event.category': ['network'],
      'event.type': ['end', 'connection'],
      'event.action': 'ssh_connection_closed',
      'user.name': 'oracle',
      'source.ip': '203.0.113.9',
      'source.port': 40110,
      'process.name': 'sshd',
      'process.pid': 9,
    },
  ],
  [
    'Mar  1 10:00:00 h sshd[9]: error: maximum authentication attempts exceeded for invalid user pi from 203.0.113.9 port 4 ssh2 [preauth]',
    {
      'vigil.decoder': 'sshd-max-auth-attempts',
      'event.category': ['authentication'],
      'event.type': ['start'],
      'event.action': 'ssh_max_auth_attempts',
      'event.outcome': 'failure',
      'user.name': 'pi',
      'source.ip': '203.0.113.9',
      'source.port': 4,
      'process.name': 'sshd',
      'process.pid': 9,
    },
  ],
  [
    'Dec 10 07:51:15 LabSZ sshd[24345]: Disconnecting: Too many authentication failures for root [preauth]',
    {
      'vigil.decoder': 'sshd-too-many-auth-failures',
      'event.category': ['authentication'],
      'event.type': ['start'],
      'event.action': 'ssh_max_auth_attempts',
      'event.outcome': 'failure',
      'user.name': 'root',
      'process.name': 'sshd',
      'process.pid': 24345,
    },
  ],
  [
    'Dec 10 07:07:45 LabSZ sshd[24208]: Did not receive identification string from 112.95.230.3',
    {
      'vigil.decoder': 'sshd-no-identification',
      'event.category': ['network'],
      'event.type': ['connection'],
      'event.action': 'ssh_no_identification',
      'event.outcome': 'failure',
      'source.ip': '112.95.230.3',
      'process.name': 'sshd',
      'process.pid': 24208,
    },
  ],
  [
    'Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!',
    {
      'vigil.decoder': 'sshd-reverse-mapping-failed',
      'event.category': ['network'],
      'event.type': ['info'],
      'event.action': 'ssh_reverse_mapping_failed',
      'source.ip': '173.234.31.186',
      'source.domain': 'ns.marryaldkfaczcz.com',
      'process.name': 'sshd',
      'process.pid': 24200,
    },
  ],
  [
    'Mar  1 10:00:00 h sshd[9]: Address 198.51.100.4 maps to bad.example, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!',
    {
      'vigil.decoder': 'sshd-address-mismatch',
      'event.category': ['network'],
      'event.type': ['info'],
      'event.action': 'ssh_address_mismatch',
      'source.ip': '198.51.100.4',
      'source.domain': 'bad.example',
      'process.name': 'sshd',
      'process.pid': 9,
    },
  ],
  [
    'Dec 10 07:51:15 LabSZ sshd[24345]: PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=112.95.230.3  user=root',
    {
      'vigil.decoder': 'sshd-pam-more-failures',
      'event.category': ['authentication'],
      'event.type': ['start'],
      'event.action': 'pam_auth_failure',
      'event.outcome': 'failure',
      'user.name': 'root',
      'source.ip': '112.95.230.3',
      'process.name': 'sshd',
      'process.pid': 24345,
    },
  ],
  [
    'Dec 10 09:32:20 LabSZ sshd[24680]: pam_unix(sshd:session): session opened for user fztu by (uid=0)',
    {
      'vigil.decoder': 'pam-session-opened',
      'event.category': ['session'],
      'event.type': ['start'],
      'event.action': 'session_opened',
      'event.outcome': 'success',
      'user.name': 'fztu',
      'process.name': 'sshd',
      'process.pid': 24680,
    },
  ],
];

describe('sshd decoders', () => {
  for (const [line, expected] of cases) {
    it(line.slice(line.indexOf(': ') + 2, line.indexOf(': ') + 60), () => {
      assert.deepStrictEqual(pick(decode(line), COMMON), expected);
    });
  }

  it('fills related.ip and related.user', () => {
    const e = decode(
      'Dec 10 09:32:20 LabSZ sshd[24680]: Accepted password for fztu from 119.137.62.142 port 49116 ssh2',
    );
    assert.deepStrictEqual(e.related, { ip: ['119.137.62.142'], user: ['fztu'] });
    assert.deepStrictEqual(e.labels, { auth_method: 'password' });
  });

  it('leaves an sshd message no decoder knows as a valid syslog event', () => {
    const e = decode(
      'Dec 10 11:03:44 LabSZ sshd[25455]: fatal: Write failed: Connection reset by peer [preauth]',
    );
    assert.deepStrictEqual(pick(e, ['vigil.decoder', 'vigil.error', 'process.name', 'message']), {
      'vigil.decoder': 'syslog',
      'process.name': 'sshd',
      message: 'fatal: Write failed: Connection reset by peer [preauth]',
    });
  });
});
