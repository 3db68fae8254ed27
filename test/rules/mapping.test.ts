import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Mapping, readPath } from '../../src/rules/mapping.js';
import { builtinMapping, decodeOne, ev } from './helpers.js';

describe('Mapping', () => {
  const m = builtinMapping();
  test('picks the entry naming the rule logsource, with the fewest extra keys', () => {
    assert.equal(m.find({ product: 'linux', custom: {} })?.id, 'linux');
    assert.equal(m.find({ product: 'linux', service: 'sshd', custom: {} })?.id, 'linux-sshd');
    assert.equal(
      m.find({ product: 'Linux', category: 'process_creation', custom: {} })?.id,
      'linux-process-creation',
    );
    assert.equal(
      m.find({ category: 'process_creation', custom: {} })?.id,
      'linux-process-creation',
    );
    assert.equal(m.find({ product: 'linux', service: 'nosuch', custom: {} }), undefined);
    assert.equal(m.find({ product: 'windows', custom: {} }), undefined);
  });

  test('field names per logsource', () => {
    const pc = m.find({ product: 'linux', category: 'process_creation', custom: {} })!;
    assert.deepEqual(pc.resolveField('Image'), { path: 'process.executable', unmapped: false });
    assert.deepEqual(pc.resolveField('CommandLine'), {
      path: 'process.command_line',
      unmapped: false,
    });
    assert.deepEqual(pc.resolveField('user.name'), { path: 'user.name', unmapped: false });
    assert.deepEqual(pc.resolveField('OriginalFileName'), {
      path: 'OriginalFileName',
      unmapped: true,
    });
    const au = m.find({ product: 'linux', service: 'auditd', custom: {} })!;
    assert.deepEqual(au.resolveField('type'), { path: 'auditd.records[].type', unmapped: false });
    assert.deepEqual(au.resolveField('a0'), { path: 'auditd.records[].data.a0', unmapped: false });
  });

  test('logsource predicates over decoded events', () => {
    const ids = (line: string): string[] => {
      const e = decodeOne(line);
      return m.entries.filter((x) => x.applies(e)).map((x) => x.id);
    };
    assert.deepEqual(
      ids('Mar 15 10:00:01 web1 sshd[1]: Accepted password for bob from 192.0.2.1 port 2 ssh2'),
      ['linux', 'linux-syslog', 'linux-auth', 'linux-sshd'],
    );
    assert.deepEqual(
      ids('Mar 15 10:00:04 web1 CRON[2212]: (root) CMD (run-parts /etc/cron.hourly)'),
      ['linux', 'linux-syslog', 'linux-cron', 'linux-process-creation'],
    );
    assert.deepEqual(
      ids(
        'type=SYSCALL msg=audit(1773568801.000:100): arch=c000003e syscall=59 success=yes exit=0 pid=2 comm="rm" exe="/usr/bin/rm"',
      ),
      ['linux', 'linux-auditd', 'linux-process-creation'],
    );
  });

  test('readPath flattens [] segments', () => {
    const e = ev({
      auditd: {
        records: [
          { type: 'SYSCALL', data: { a0: 'x' } },
          { type: 'EXECVE', data: { a0: 'ls' } },
        ],
      },
    });
    assert.deepEqual(readPath(e, 'auditd.records[].type'), ['SYSCALL', 'EXECVE']);
    assert.deepEqual(readPath(e, 'auditd.records[].data.a0'), ['x', 'ls']);
    assert.deepEqual(readPath(e, 'auditd.records[].data.a9'), []);
  });

  test('user files add and replace entries; a bad file names file and key', () => {
    const user = Mapping.fromFiles([
      {
        file: 'builtin.yml',
        text: 'logsources:\n  - id: a\n    logsource: {product: linux}\n    events: {process.name: x}\n',
      },
      {
        file: 'user.yml',
        text: 'fields: {Foo: labels.foo}\nlogsources:\n  - id: a\n    logsource: {product: linux}\n    events: {process.name: y}\n  - id: b\n    logsource: {product: linux, service: myapp}\n    events: {process.name: myapp}\n',
      },
    ]);
    assert.deepEqual(
      user.entries.map((e) => e.id),
      ['a', 'b'],
    );
    assert.equal(user.entries[0]!.applies(ev({ process: { name: 'y' } })), true);
    assert.equal(user.entries[0]!.applies(ev({ process: { name: 'x' } })), false);
    assert.equal(user.entries[1]!.resolveField('Foo').path, 'labels.foo');
    assert.throws(
      () =>
        Mapping.fromFiles([
          {
            file: 'bad.yml',
            text: 'logsources:\n  - id: a\n    logsource: {product: linux}\n    bogus: 1\n',
          },
        ]),
      { name: 'RuleError', message: 'bad.yml: logsources.0: Unrecognized key: "bogus"' },
    );
  });
});
