import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decode, pick } from './helpers.js';

const F = [
  'vigil.decoder',
  'event.category',
  'event.type',
  'event.action',
  'event.outcome',
  'user.name',
  'user.target.name',
  'user.target.id',
  'group.name',
  'group.id',
  'user.terminal',
  'source.ip',
  'process.command_line',
  'labels',
];

describe('account management, login, cron, logind', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    [
      'Mar  2 10:00:00 h useradd[100]: new user: name=eve, UID=1001, GID=1001, home=/home/eve, shell=/bin/bash, from=/dev/pts/0',
      {
        'vigil.decoder': 'useradd-new-user',
        'event.category': ['iam'],
        'event.type': ['user', 'creation'],
        'event.action': 'user_created',
        'event.outcome': 'success',
        'user.target.name': 'eve',
        'user.target.id': '1001',
        'group.id': '1001',
      },
    ],
    [
      'Mar  2 10:00:00 h groupadd[101]: group added to /etc/group: name=ops, GID=1002',
      {
        'vigil.decoder': 'groupadd-new-group',
        'event.category': ['iam'],
        'event.type': ['group', 'creation'],
        'event.action': 'group_created',
        'event.outcome': 'success',
        'group.name': 'ops',
        'group.id': '1002',
      },
    ],
    [
      "Mar  2 10:00:00 h userdel[102]: delete user 'eve'",
      {
        'vigil.decoder': 'userdel-delete-user',
        'event.category': ['iam'],
        'event.type': ['user', 'deletion'],
        'event.action': 'user_deleted',
        'event.outcome': 'success',
        'user.target.name': 'eve',
      },
    ],
    [
      "Mar  2 10:00:00 h groupdel[103]: group 'ops' removed from /etc/group",
      {
        'vigil.decoder': 'groupdel-group-removed',
        'event.category': ['iam'],
        'event.type': ['group', 'deletion'],
        'event.action': 'group_deleted',
        'event.outcome': 'success',
        'group.name': 'ops',
      },
    ],
    [
      "Mar  2 10:00:00 h usermod[104]: add 'eve' to group 'sudo'",
      {
        'vigil.decoder': 'usermod-add-to-group',
        'event.category': ['iam'],
        'event.type': ['group', 'change'],
        'event.action': 'group_member_added',
        'event.outcome': 'success',
        'user.target.name': 'eve',
        'group.name': 'sudo',
      },
    ],
    [
      "Mar  2 10:00:00 h passwd[105]: password for 'eve' changed by 'root'",
      {
        'vigil.decoder': 'passwd-changed',
        'event.category': ['iam'],
        'event.type': ['user', 'change'],
        'event.action': 'password_changed',
        'event.outcome': 'success',
        'user.name': 'root',
        'user.target.name': 'eve',
      },
    ],
    [
      'Mar  2 10:00:00 h chpasswd[106]: pam_unix(chpasswd:chauthtok): password changed for eve',
      {
        'vigil.decoder': 'pam-password-changed',
        'event.category': ['iam'],
        'event.type': ['user', 'change'],
        'event.action': 'password_changed',
        'event.outcome': 'success',
        'user.target.name': 'eve',
      },
    ],
    [
      'Mar  2 10:00:00 h login[107]: FAILED LOGIN 1 FROM 192.0.2.1 FOR root, Authentication failure',
      {
        'vigil.decoder': 'login-failed',
        'event.category': ['authentication'],
        'event.type': ['start'],
        'event.action': 'login',
        'event.outcome': 'failure',
        'user.name': 'root',
        'source.ip': '192.0.2.1',
      },
    ],
    [
      "Mar  2 10:00:00 h login[107]: FAILED LOGIN (1) on '/dev/tty1' FOR 'UNKNOWN', User not known to the underlying authentication module",
      {
        'vigil.decoder': 'login-failed',
        'event.category': ['authentication'],
        'event.type': ['start'],
        'event.action': 'login',
        'event.outcome': 'failure',
        'user.name': 'UNKNOWN',
        'user.terminal': '/dev/tty1',
      },
    ],
    // loghub Linux/Linux_2k.log
    [
      'Jul  7 08:06:15 combo login[2421]: ROOT LOGIN ON tty2',
      {
        'vigil.decoder': 'login-root',
        'event.category': ['authentication', 'session'],
        'event.type': ['start'],
        'event.action': 'login',
        'event.outcome': 'success',
        'user.name': 'root',
        'user.terminal': 'tty2',
      },
    ],
    [
      'Mar  2 10:00:00 h login[108]: LOGIN ON pts/1 BY alice FROM 198.51.100.2',
      {
        'vigil.decoder': 'login-success',
        'event.category': ['authentication', 'session'],
        'event.type': ['start'],
        'event.action': 'login',
        'event.outcome': 'success',
        'user.name': 'alice',
        'user.terminal': 'pts/1',
        'source.ip': '198.51.100.2',
      },
    ],
    [
      'Mar  2 10:17:01 h CRON[109]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)',
      {
        'vigil.decoder': 'cron-command',
        'event.category': ['process'],
        'event.type': ['start'],
        'event.action': 'cron_command',
        'user.name': 'root',
        'process.command_line': '   cd / && run-parts --report /etc/cron.hourly',
      },
    ],
    [
      'Mar  2 10:00:00 h systemd-logind[600]: New session 42 of user alice.',
      {
        'vigil.decoder': 'logind-new-session',
        'event.category': ['session'],
        'event.type': ['start'],
        'event.action': 'session_started',
        'user.name': 'alice',
        labels: { session_id: '42' },
      },
    ],
    [
      'Mar  2 10:00:00 h systemd-logind[600]: Removed session 42.',
      {
        'vigil.decoder': 'logind-removed-session',
        'event.category': ['session'],
        'event.type': ['end'],
        'event.action': 'session_ended',
        labels: { session_id: '42' },
      },
    ],
    // loghub Linux/Linux_2k.log
    [
      'Jul 24 02:38:23 combo ftpd[16781]: ANONYMOUS FTP LOGIN FROM 84.102.20.2,  (anonymous)',
      {
        'vigil.decoder': 'ftpd-anonymous-login',
        'event.category': ['authentication'],
        'event.type': ['start'],
        'event.action': 'ftp_login',
        'event.outcome': 'success',
        'user.name': 'anonymous',
        'source.ip': '84.102.20.2',
      },
    ],
    [
      'Jul 26 05:47:42 combo ftpd[28699]: connection from 172.181.208.156 () at Tue Jul 26 05:47:42 2005 ',
      {
        'vigil.decoder': 'ftpd-connection',
        'event.category': ['network'],
        'event.type': ['connection', 'start'],
        'event.action': 'ftp_connection',
        'source.ip': '172.181.208.156',
      },
    ],
  ];
  for (const [line, expected] of cases) {
    it(line.slice(16, 80), () => assert.deepStrictEqual(pick(decode(line), F), expected));
  }
});
