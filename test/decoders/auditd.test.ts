import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decode, decodeAll, makeStage, pick } from './helpers.js';

const SERIAL = '1700000000.123:4567';
const EXEC_GROUP = [
  `type=SYSCALL msg=audit(${SERIAL}): arch=c000003e syscall=59 success=yes exit=0 a0=55d1 a1=55d2 a2=55d3 a3=0 items=2 ppid=1000 pid=1234 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm="cat" exe="/usr/bin/cat" key="exec"`,
  `type=EXECVE msg=audit(${SERIAL}): argc=2 a0="cat" a1=2F6574632F736861646F77`,
  `type=CWD msg=audit(${SERIAL}): cwd="/root"`,
  `type=PATH msg=audit(${SERIAL}): item=0 name="/usr/bin/cat" inode=1 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL`,
  `type=PROCTITLE msg=audit(${SERIAL}): proctitle=636174002F6574632F736861646F77`,
];
const F = [
  '@timestamp',
  'vigil.decoder',
  'vigil.error',
  'vigil.offset',
  'event.category',
  'event.type',
  'event.action',
  'event.outcome',
  'process',
  'user',
  'file',
  'source',
  'auditd.sequence',
  'auditd.result',
];

describe('auditd', () => {
  it('groups the records of one serial into one event at EOE', () => {
    const { stage } = makeStage();
    const held = EXEC_GROUP.flatMap((text, i) =>
      stage.decode({ source: 'audit', text, received: new Date(), offset: (i + 1) * 100 }),
    );
    assert.deepStrictEqual(held, [], 'nothing is emitted before the group is complete');
    const events = decodeAll(stage, [
      { source: 'audit', text: `type=EOE msg=audit(${SERIAL}): `, offset: 600 },
    ]);
    assert.equal(events.length, 1);
    const e = events[0]!;
    assert.deepStrictEqual(pick(e, F), {
      '@timestamp': '2023-11-14T22:13:20.123Z',
      'vigil.decoder': 'auditd',
      'vigil.offset': 600,
      'event.category': ['process'],
      'event.type': ['start'],
      'event.action': 'execve',
      'event.outcome': 'success',
      process: {
        pid: 1234,
        ppid: 1000,
        executable: '/usr/bin/cat',
        name: 'cat',
        working_directory: '/root',
        command_line: 'cat /etc/shadow',
      },
      user: { id: '0' },
      file: { path: '/usr/bin/cat' },
      'auditd.sequence': 4567,
      'auditd.result': 'success',
    });
    assert.deepStrictEqual(
      e.auditd?.records?.map((r) => r.type),
      ['SYSCALL', 'EXECVE', 'CWD', 'PATH', 'PROCTITLE', 'EOE'],
    );
    assert.equal(
      e.auditd?.records?.[4]?.data.proctitle,
      'cat /etc/shadow',
      'proctitle hex decoded, NUL → space',
    );
    assert.equal(e.auditd?.data?.key, 'exec');
    assert.equal(e.event.original, [...EXEC_GROUP, `type=EOE msg=audit(${SERIAL}): `].join('\n'));
  });

  it('releases a group when another serial arrives on the same source, and on flush', () => {
    const { stage } = makeStage();
    const a = stage.decode({
      source: 's1',
      text: 'type=USER_AUTH msg=audit(1700000001.000:1): pid=1 uid=0 msg=\'op=PAM:authentication acct="bob" exe="/usr/sbin/sshd" hostname=? addr=198.51.100.1 terminal=ssh res=failed\'',
      received: new Date(),
    });
    const other = stage.decode({
      source: 's2',
      text: 'type=USER_ACCT msg=audit(1700000001.500:9): pid=2 uid=0 msg=\'op=PAM:accounting acct="carol" exe="/usr/sbin/cron" hostname=? addr=? terminal=cron res=success\'',
      received: new Date(),
    });
    assert.deepStrictEqual([a, other], [[], []]);
    const b = stage.decode({
      source: 's1',
      text: 'type=USER_LOGIN msg=audit(1700000002.000:2): pid=1 uid=0 msg=\'op=login acct="bob" exe="/usr/sbin/sshd" hostname=? addr=198.51.100.1 terminal=sshd res=failed\'',
      received: new Date(),
    });
    assert.equal(b.length, 1);
    assert.deepStrictEqual(
      pick(b[0]!, [
        'event.action',
        'event.category',
        'event.outcome',
        'user.name',
        'source.ip',
        'auditd.sequence',
      ]),
      {
        'event.action': 'user_auth',
        'event.category': ['authentication'],
        'event.outcome': 'failure',
        'user.name': 'bob',
        'source.ip': '198.51.100.1',
        'auditd.sequence': 1,
      },
    );
    const rest = stage.flush();
    assert.deepStrictEqual(
      rest.map((e) => [e.vigil.source, e.auditd?.sequence, e.event.action]).sort(),
      [
        ['s1', 2, 'user_login'],
        ['s2', 9, 'user_acct'],
      ],
    );
    assert.deepStrictEqual(rest.find((e) => e.auditd?.sequence === 2)?.event.category, [
      'authentication',
      'session',
    ]);
  });

  it('a non-audit record on the source releases the held group first (order kept)', () => {
    const { stage } = makeStage();
    const events = decodeAll(stage, [
      {
        text: 'type=DAEMON_START msg=audit(1450875964.131:8728): auditd start, ver=2.4 format=raw kernel=3.16.0-4-amd64 auid=4294967295 pid=1437 res=failed',
      },
      { text: 'Mar  2 10:00:00 h cron[1]: something' },
    ]);
    assert.deepStrictEqual(
      events.map((e) => e.vigil.decoder),
      ['auditd', 'syslog'],
    );
    assert.deepStrictEqual(
      pick(events[0]!, ['event.category', 'event.type', 'event.outcome', 'process.pid']),
      {
        'event.category': ['process'],
        'event.type': ['start'],
        'event.outcome': 'failure',
        'process.pid': 1437,
      },
    );
  });

  it('maps ADD_USER to iam with the target account, and reads enriched names', () => {
    const e = decode(
      'type=ADD_USER msg=audit(1700000200.000:200): pid=5 uid=0 auid=1000 ses=2 msg=\'op=add-user acct="eve" exe="/usr/sbin/useradd" hostname=h addr=? terminal=pts/0 res=success\'\x1dUID="root" AUID="alice"',
    );
    assert.deepStrictEqual(
      pick(e, ['event.category', 'event.type', 'event.outcome', 'user', 'related']),
      {
        'event.category': ['iam'],
        'event.type': ['user', 'creation'],
        'event.outcome': 'success',
        user: { name: 'alice', id: '0', target: { name: 'eve' }, terminal: 'pts/0' },
        related: { user: ['alice', 'eve'] },
      },
    );
  });

  it('decodes hex-encoded unquoted values (name with a space)', () => {
    const e = decode(
      'type=PATH msg=audit(1700000300.000:300): item=0 name=2F746D702F6120622E7368 inode=5 nametype=CREATE',
    );
    assert.deepStrictEqual(pick(e, ['file.path', 'auditd.records']), {
      'file.path': '/tmp/a b.sh',
      'auditd.records': [
        { type: 'PATH', data: { item: '0', name: '/tmp/a b.sh', inode: '5', nametype: 'CREATE' } },
      ],
    });
  });

  it('accepts audit records inside syslog (kernel type=1400)', () => {
    const e = decode(
      'Mar  2 10:00:00 h kernel: [ 12.5] audit: type=1400 audit(1700000300.000:301): apparmor="DENIED" operation="open" profile="/usr/sbin/cupsd" name="/etc/shadow" pid=99 comm="cupsd"',
    );
    assert.deepStrictEqual(
      pick(e, [
        'vigil.decoder',
        'event.action',
        'event.type',
        'process.pid',
        'process.name',
        'file.path',
        'auditd.sequence',
        'host.name',
      ]),
      {
        'vigil.decoder': 'auditd',
        'event.action': 'avc',
        'event.type': ['access', 'denied'],
        'process.pid': 99,
        'process.name': 'cupsd',
        'file.path': '/etc/shadow',
        'auditd.sequence': 301,
        'host.name': 'h',
      },
    );
  });

  it('accepts a leading space and node= prefix', () => {
    const e = decode(
      ' node=web1 type=USER_CMD msg=audit(1700000400.000:400): pid=7 uid=1000 auid=1000 msg=\'cwd="/home/a" cmd=6C73202D6C61 exe="/usr/bin/sudo" terminal=pts/1 res=success\'',
    );
    assert.deepStrictEqual(
      pick(e, ['host.name', 'event.category', 'process.command_line', 'process.executable']),
      {
        'host.name': 'web1',
        'event.category': ['process'],
        'process.command_line': 'ls -la',
        'process.executable': '/usr/bin/sudo',
      },
    );
  });

  it('an unparseable audit line becomes an error event', () => {
    const e = decode('type=SYSCALL msg=audit(abc:def): arch=c000003e');
    assert.deepStrictEqual(pick(e, ['vigil.decoder', 'vigil.error', 'message', 'event.original']), {
      'vigil.decoder': 'auditd',
      'vigil.error': 'audit record with a malformed audit(time:serial)',
      message: 'type=SYSCALL msg=audit(abc:def): arch=c000003e',
      'event.original': 'type=SYSCALL msg=audit(abc:def): arch=c000003e',
    });
  });
});
