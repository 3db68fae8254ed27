import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMON, decode, pick } from './helpers.js';

const SUDO = [
  ...COMMON,
  'user.terminal',
  'process.working_directory',
  'process.command_line',
  'labels',
];

describe('sudo decoders', () => {
  it('a command run through sudo (wazuh sudo.ini)', () => {
    const e = decode(
      'Apr 27 15:22:23 niban sudo:     dcid : TTY=pts/4 ; PWD=/home/dcid ; USER=root ; COMMAND=/usr/bin/tail /var/log/snort/alert.fast',
    );
    assert.deepStrictEqual(pick(e, SUDO), {
      'vigil.decoder': 'sudo-command',
      'event.category': ['process'],
      'event.type': ['start'],
      'event.action': 'sudo_command',
      'event.outcome': 'success',
      'user.name': 'dcid',
      'user.target.name': 'root',
      'process.name': 'sudo',
      'user.terminal': 'pts/4',
      'process.working_directory': '/home/dcid',
      'process.command_line': '/usr/bin/tail /var/log/snort/alert.fast',
    });
    assert.deepStrictEqual(e.related, { user: ['dcid', 'root'] });
  });

  it('with TSID between USER and COMMAND', () => {
    const e = decode(
      'Dec 30 19:36:11 rheltest sudo: cplummer : TTY=pts/2 ; PWD=/home/cplummer1 ; USER=root ; TSID=0000UM ; COMMAND=/bin/bash',
    );
    assert.deepStrictEqual(pick(e, ['vigil.decoder', 'user.name', 'process.command_line']), {
      'vigil.decoder': 'sudo-command',
      'user.name': 'cplummer',
      'process.command_line': '/bin/bash',
    });
  });

  it('incorrect password attempts', () => {
    const e = decode(
      'Jun 25 16:15:45 precise32 sudo:     mike : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/root ; USER=root ; COMMAND=/bin/ls',
    );
    assert.deepStrictEqual(pick(e, SUDO), {
      'vigil.decoder': 'sudo-auth-failure',
      'event.category': ['authentication'],
      'event.type': ['start'],
      'event.action': 'sudo_auth_failure',
      'event.outcome': 'failure',
      'user.name': 'mike',
      'user.target.name': 'root',
      'process.name': 'sudo',
      'user.terminal': 'pts/0',
      'process.working_directory': '/root',
      'process.command_line': '/bin/ls',
      labels: { count: '3' },
    });
  });

  it('user NOT in sudoers', () => {
    const e = decode(
      'Apr 13 08:36:31 ix sudo:     ddp2 : user NOT in sudoers ; TTY=ttypZ ; PWD=/home/ddp2 ; USER=root ; COMMAND=/bin/ls',
    );
    assert.deepStrictEqual(
      pick(e, [
        'vigil.decoder',
        'event.type',
        'event.outcome',
        'event.reason',
        'user.name',
        'user.target.name',
      ]),
      {
        'vigil.decoder': 'sudo-denied',
        'event.type': ['start', 'denied'],
        'event.outcome': 'failure',
        'event.reason': 'user NOT in sudoers',
        'user.name': 'ddp2',
        'user.target.name': 'root',
      },
    );
  });

  it('pam auth failure inside sudo', () => {
    const e = decode(
      'Mar  2 10:00:00 h sudo: pam_unix(sudo:auth): authentication failure; logname=alice uid=1000 euid=0 tty=/dev/pts/1 ruser=alice rhost=  user=alice',
    );
    assert.deepStrictEqual(
      pick(e, ['vigil.decoder', 'event.outcome', 'user.name', 'source', 'labels']),
      {
        'vigil.decoder': 'pam-auth-failure',
        'event.outcome': 'failure',
        'user.name': 'alice',
        labels: { ruser: 'alice' },
      },
    );
  });
});

describe('su decoders', () => {
  const SU = [
    'vigil.decoder',
    'event.category',
    'event.action',
    'event.outcome',
    'user.name',
    'user.target.name',
    'user.terminal',
  ];

  it('Successful su / FAILED su', () => {
    assert.deepStrictEqual(
      pick(decode('Mar  2 10:00:00 h su[5]: Successful su for root by alice'), SU),
      {
        'vigil.decoder': 'su-successful',
        'event.category': ['authentication'],
        'event.action': 'su',
        'event.outcome': 'success',
        'user.name': 'alice',
        'user.target.name': 'root',
      },
    );
    assert.deepStrictEqual(
      pick(decode('Mar  2 10:00:00 h su[5]: FAILED su for root by mallory'), SU),
      {
        'vigil.decoder': 'su-failed',
        'event.category': ['authentication'],
        'event.action': 'su',
        'event.outcome': 'failure',
        'user.name': 'mallory',
        'user.target.name': 'root',
      },
    );
  });

  it('(to root) user on pts/0, BSD forms and BAD SU (wazuh su.ini)', () => {
    assert.deepStrictEqual(pick(decode('Mar  2 10:00:00 h su[5]: (to root) alice on pts/0'), SU), {
      'vigil.decoder': 'su-session',
      'event.category': ['authentication'],
      'event.action': 'su',
      'event.outcome': 'success',
      'user.name': 'alice',
      'user.target.name': 'root',
      'user.terminal': 'pts/0',
    });
    assert.deepStrictEqual(
      pick(decode('Apr 22 17:51:51 enigma su: dcid to root on /dev/ttyp1'), [
        'vigil.decoder',
        'user.name',
        'user.target.name',
      ]),
      {
        'vigil.decoder': 'su-session',
        'user.name': 'dcid',
        'user.target.name': 'root',
      },
    );
    assert.deepStrictEqual(
      pick(decode('Apr 27 15:22:23 niban su[234]: BAD SU ger to fwmaster on /dev/ttyp0'), SU),
      {
        'vigil.decoder': 'su-failed',
        'event.category': ['authentication'],
        'event.action': 'su',
        'event.outcome': 'failure',
        'user.name': 'ger',
        'user.target.name': 'fwmaster',
        'user.terminal': '/dev/ttyp0',
      },
    );
    assert.deepStrictEqual(
      pick(decode('Apr 27 15:22:23 niban su[2921936]: failed: ttyq4 changing from ldap to root'), [
        'vigil.decoder',
        'user.name',
        'user.target.name',
        'user.terminal',
      ]),
      {
        'vigil.decoder': 'su-failed',
        'user.name': 'ldap',
        'user.target.name': 'root',
        'user.terminal': 'ttyq4',
      },
    );
  });

  it('pam_unix(su:session) session opened', () => {
    const e = decode(
      'Mar  2 10:00:00 h su[5]: pam_unix(su:session): session opened for user root by alice(uid=1000)',
    );
    assert.deepStrictEqual(pick(e, ['vigil.decoder', 'user.name', 'process.name']), {
      'vigil.decoder': 'pam-session-opened',
      'user.name': 'root',
      'process.name': 'su',
    });
  });
});
