import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMON, decode, pick } from './helpers.js';

// Lines from fail2ban's test logs (../shared/corpora/fail2ban-logs): vsftpd,
// wuftpd, pure-ftpd, xinetd-fail, pam-generic.
const cases: Array<[string, Record<string, unknown>]> = [
  [
    'Mar 15 10:00:01 web1 vsftpd[555]: [bob] OK LOGIN: Client "203.0.113.9"',
    {
      'vigil.decoder': 'vsftpd-login-ok',
      'event.category': ['authentication'],
      'event.type': ['start'],
      'event.action': 'ftp_login',
      'event.outcome': 'success',
      'user.name': 'bob',
      'source.ip': '203.0.113.9',
      'process.name': 'vsftpd',
      'process.pid': 555,
    },
  ],
  [
    'Mar 15 10:00:01 web1 vsftpd[15019]: [pid 15019] [guest] FAIL LOGIN: Client "::ffff:192.0.2.1", "User is not in the allow user list."',
    {
      'vigil.decoder': 'vsftpd-login-failed',
      'event.category': ['authentication'],
      'event.type': ['start'],
      'event.action': 'ftp_login',
      'event.outcome': 'failure',
      'event.reason': 'User is not in the allow user list.',
      'user.name': 'guest',
      'source.ip': '192.0.2.1',
      'process.name': 'vsftpd',
      'process.pid': 15019,
    },
  ],
  [
    // PAM's message under vsftpd's own name, without the module prefix (fail2ban gh-3954).
    '2025-03-04T01:06:37.123456 ip-172-31-3-150.ap-southeast-2.compute.internal vsftpd[1659]: authentication failure; logname= uid=0 euid=0 tty= ruser= rhost=192.0.2.223 user=tester',
    {
      'vigil.decoder': 'vsftpd-pam-auth-failure',
      'event.category': ['authentication'],
      'event.type': ['start'],
      'event.action': 'pam_auth_failure',
      'event.outcome': 'failure',
      'user.name': 'tester',
      'source.ip': '192.0.2.223',
      'process.name': 'vsftpd',
      'process.pid': 1659,
    },
  ],
  [
    'Oct  6 09:59:26 myserver wu-ftpd[18760]: failed login from hj-145-173-a8.bta.net.cn [202.108.145.173]',
    {
      'vigil.decoder': 'wuftpd-login-failed',
      'event.category': ['authentication'],
      'event.type': ['start'],
      'event.action': 'ftp_login',
      'event.outcome': 'failure',
      'source.ip': '202.108.145.173',
      'source.domain': 'hj-145-173-a8.bta.net.cn',
      'process.name': 'wu-ftpd',
      'process.pid': 18760,
    },
  ],
  [
    'Jan 31 16:54:07 desktop pure-ftpd: (?@24.79.92.194) [WARNING] Authentication failed for user [Administrator]',
    {
      'vigil.decoder': 'pure-ftpd-auth-failed',
      'event.category': ['authentication'],
      'event.type': ['start'],
      'event.action': 'ftp_login',
      'event.outcome': 'failure',
      'user.name': 'Administrator',
      'source.ip': '24.79.92.194',
      'process.name': 'pure-ftpd',
    },
  ],
  [
    'May 15 17:38:49 boo xinetd[16256]: FAIL: telnet address from=198.51.100.169',
    {
      'vigil.decoder': 'xinetd-fail',
      'event.category': ['network'],
      'event.type': ['connection', 'denied'],
      'event.action': 'xinetd_connection_refused',
      'event.outcome': 'failure',
      'event.reason': 'address',
      'source.ip': '198.51.100.169',
      'process.name': 'xinetd',
      'process.pid': 16256,
    },
  ],
  [
    // Old Linux-PAM: the module in parentheses at the start of the message.
    'May 15 18:02:12 localhost proftpd: (pam_unix) authentication failure; logname= uid=0 euid=0 tty= ruser= rhost=66.232.129.62  user=mark',
    {
      'vigil.decoder': 'pam-auth-failure',
      'event.category': ['authentication'],
      'event.type': ['start'],
      'event.action': 'pam_auth_failure',
      'event.outcome': 'failure',
      'user.name': 'mark',
      'source.ip': '66.232.129.62',
      'process.name': 'proftpd',
    },
  ],
  [
    'Jul 19 18:11:26 srv2 vsftpd: pam_unix: authentication failure; logname= uid=0 euid=0 tty=ftp ruser=an8767 rhost=www.google.com',
    {
      'vigil.decoder': 'pam-auth-failure',
      'event.category': ['authentication'],
      'event.type': ['start'],
      'event.action': 'pam_auth_failure',
      'event.outcome': 'failure',
      'source.domain': 'www.google.com',
      'process.name': 'vsftpd',
    },
  ],
  [
    // ruser is the client's: a value containing ` rhost=` does not move the address.
    'Jul 19 18:11:50 srv2 daemon: pam_unix(auth): authentication failure; logname= uid=0 euid=0 tty=xxx ruser=test rhost=192.0.2.151 rhost=192.0.2.1',
    {
      'vigil.decoder': 'pam-auth-failure',
      'event.category': ['authentication'],
      'event.type': ['start'],
      'event.action': 'pam_auth_failure',
      'event.outcome': 'failure',
      'source.ip': '192.0.2.1',
      'process.name': 'daemon',
    },
  ],
];

describe('FTP servers, xinetd, PAM module lines', () => {
  for (const [line, expected] of cases) {
    it(line.slice(line.indexOf(': ') + 2, line.indexOf(': ') + 60), () => {
      assert.deepStrictEqual(pick(decode(line), COMMON), expected);
    });
  }

  it("vsftpd's own log file: ctime local time and pid", () => {
    const e = decode(
      'Fri Jan 19 12:20:33 2007 [pid 27202] [anonymous] FAIL LOGIN: Client "64.106.46.98"',
    );
    assert.deepStrictEqual(pick(e, ['@timestamp', ...COMMON]), {
      '@timestamp': '2007-01-19T12:20:33.000Z',
      'vigil.decoder': 'vsftpd-login-failed',
      'event.category': ['authentication'],
      'event.type': ['start'],
      'event.action': 'ftp_login',
      'event.outcome': 'failure',
      'user.name': 'anonymous',
      'source.ip': '64.106.46.98',
      'process.name': 'vsftpd',
      'process.pid': 27202,
    });
  });

  it('a bracketed program without host or pid; the Solaris message id is dropped', () => {
    const e = decode(
      'Mar  3 00:17:22 [sshd]: [ID 800047 auth.info] User root from 211.188.220.49 not allowed because not listed in AllowUsers',
    );
    assert.deepStrictEqual(pick(e, ['process.name', 'host.name', 'message', 'source.ip']), {
      'process.name': 'sshd',
      'host.name': 'testhost',
      message: 'User root from 211.188.220.49 not allowed because not listed in AllowUsers',
      'source.ip': '211.188.220.49',
    });
  });
});
