import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Alert, Event } from '../../src/event/types.js';
import { EventView, matches, type CompiledRule } from '../../src/rules/compile.js';
import { SigmaDetector } from '../../src/rules/detector.js';
import { compileDocuments } from '../../src/rules/loader.js';
import { parseRuleText } from '../../src/rules/rule.js';
import { builtinMapping, decodeLines, decodeOne } from './helpers.js';

function load(text: string): CompiledRule[] {
  const parsed = parseRuleText(text, 'rules.yml');
  assert.deepEqual(
    parsed.errors.map((e) => e.message),
    [],
  );
  const c = compileDocuments(parsed.documents, builtinMapping());
  assert.deepEqual(
    c.errors.map((e) => e.message),
    [],
  );
  return c.rules;
}

const SSH_RULES = `
title: Root login over SSH
id: ssh-root
level: high
tags: [attack.t1078]
logsource: {product: linux, service: sshd}
detection:
  sel:
    event.action: ssh_login
    event.outcome: success
    user.name: root
  condition: sel
---
title: Invalid user
id: ssh-invalid
level: low
logsource: {product: linux, service: sshd}
detection:
  failed: {event.outcome: failure}
  invalid: {event.reason: invalid user}
  condition: failed and invalid
`;

describe('SigmaDetector', () => {
  test('one alert per matching event with rule, severity, group and copies', () => {
    const det = new SigmaDetector(load(SSH_RULES));
    const event = decodeOne(
      'Mar 15 10:00:01 web1 sshd[1234]: Accepted password for root from 203.0.113.5 port 4242 ssh2',
    );
    const alerts: Alert[] = [];
    det.process(event, (a) => alerts.push(a));
    assert.deepEqual(alerts, [
      {
        '@timestamp': '2026-03-15T10:00:01.000Z',
        rule: {
          id: 'ssh-root',
          title: 'Root login over SSH',
          level: 'high',
          tags: ['attack.t1078'],
        },
        severity: 12,
        first_seen: '2026-03-15T10:00:01.000Z',
        last_seen: '2026-03-15T10:00:01.000Z',
        count: 1,
        message: 'Accepted password for root from 203.0.113.5 port 4242 ssh2',
        group: {
          'host.name': 'web1',
          'source.ip': '203.0.113.5',
          'user.name': 'root',
          'process.name': 'sshd',
        },
        host: { name: 'web1' },
        source: { ip: '203.0.113.5' },
        user: { name: 'root' },
      },
    ]);
  });

  test('severity by level', () => {
    const levels = ['informational', 'low', 'medium', 'high', 'critical'];
    const rules = load(
      levels
        .map(
          (l) =>
            `title: ${l}\nid: ${l}\nlevel: ${l}\nlogsource: {product: linux}\ndetection:\n  k: [x]\n  condition: k\n`,
        )
        .join('---\n'),
    );
    assert.deepEqual(
      rules.map((r) => r.severity),
      [3, 5, 8, 12, 15],
    );
  });

  test('explain says which rules matched and which selections held', () => {
    const det = new SigmaDetector(load(SSH_RULES));
    const event = decodeOne(
      'Mar 15 10:00:01 web1 sshd[1234]: Failed password for invalid user admin from 203.0.113.5 port 4242 ssh2',
    );
    assert.deepEqual(
      det
        .explain(event)
        .map((x) => ({ id: x.rule.id, matched: x.matched, selections: x.selections })),
      [
        { id: 'ssh-root', matched: false, selections: [] },
        { id: 'ssh-invalid', matched: true, selections: ['failed', 'invalid'] },
      ],
    );
    const sudo = decodeOne(
      'Mar 15 10:00:01 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/id',
    );
    assert.deepEqual(det.explain(sudo), []);
  });

  test('filters exclude events from the rules they name; explain reports them', () => {
    const rules = load(
      `${SSH_RULES}---
title: Trusted bastion
id: f-bastion
logsource: {product: linux}
filter:
  rules: [ssh-root]
  bastion: {source.ip|cidr: 10.0.0.0/8}
  condition: not bastion
`,
    );
    const det = new SigmaDetector(rules);
    const events = decodeLines([
      'Mar 15 10:00:01 web1 sshd[1]: Accepted password for root from 203.0.113.5 port 1 ssh2',
      'Mar 15 10:00:02 web1 sshd[2]: Accepted password for root from 10.1.2.3 port 2 ssh2',
    ]);
    assert.deepEqual(
      events.map((e) => det.match(e).map((r) => r.id)),
      [['ssh-root'], []],
    );
    const x = det.explain(events[1]!).find((r) => r.rule.id === 'ssh-root')!;
    assert.deepEqual(
      [x.matched, x.selections, x.filteredBy],
      [false, ['sel'], ['Trusted bastion']],
    );
  });

  test('a filter naming an unknown rule is an error', () => {
    const parsed = parseRuleText(
      'title: F\nid: f1\nfilter:\n  rules: [nope]\n  s: {host.name: a}\n  condition: not s\n',
      'f.yml',
    );
    const c = compileDocuments(parsed.documents, builtinMapping());
    assert.deepEqual(
      c.errors.map((e) => e.message),
      ['f.yml: rule f1 "F": filter.rules[0]: rule nope is not loaded'],
    );
  });

  test('auditd: fields read every record of the group; process_creation sees the same event', () => {
    const rules = load(`
title: iptables nat via auditd
id: a1
logsource: {product: linux, service: auditd}
detection:
  sel:
    type: EXECVE
    a0|endswith: iptables
    a2: nat
  condition: sel
---
title: iptables via process_creation
id: p1
logsource: {product: linux, category: process_creation}
detection:
  sel:
    Image|endswith: /iptables
    CommandLine|contains: ' -t nat'
  condition: sel
`);
    const det = new SigmaDetector(rules);
    const events = decodeLines([
      'type=SYSCALL msg=audit(1773568801.123:4567): arch=c000003e syscall=59 success=yes exit=0 a0=55d0 a1=55d1 a2=55d2 items=2 ppid=1 pid=1234 auid=1000 uid=0 comm="iptables" exe="/usr/sbin/iptables" key="exec"',
      'type=EXECVE msg=audit(1773568801.123:4567): argc=4 a0="iptables" a1="-t" a2="nat" a3="-L"',
      'type=EOE msg=audit(1773568801.123:4567):',
    ]);
    assert.equal(events.length, 1);
    assert.deepEqual(
      det.match(events[0]!).map((r) => r.id),
      ['a1', 'p1'],
    );
    assert.equal(rules[0]!.requirement?.path, 'auditd.records[].type');
  });
});

describe('index', () => {
  const RULES = `
title: by action
id: i1
logsource: {product: linux, service: sshd}
detection:
  sel: {event.action: [ssh_login, ssh_invalid_user], user.name: root}
  condition: sel
---
title: by outcome and keyword
id: i2
logsource: {product: linux}
detection:
  sel: {event.outcome: failure}
  kw: [invalid]
  condition: sel and kw
---
title: or of indexed selections (filed under both)
id: i3
logsource: {product: linux}
detection:
  a: {event.outcome: success}
  b: {process.name: sudo}
  condition: a or b
---
title: not is not indexed
id: i4
logsource: {product: linux, service: sudo}
detection:
  a: {user.target.name: root}
  condition: not a
---
title: all of them
id: i5
logsource: {product: linux, service: auth}
detection:
  a: {process.name: sshd}
  b: {user.name|startswith: adm}
  condition: all of them
---
title: auditd type
id: i6
logsource: {product: linux, service: auditd}
detection:
  sel: {type: SYSCALL, exe|endswith: /rm}
  condition: sel
---
title: number
id: i7
logsource: {product: linux}
detection:
  sel: {source.port: 4242}
  condition: sel
`;
  const LINES = [
    'Mar 15 10:00:01 web1 sshd[1234]: Failed password for invalid user admin from 203.0.113.5 port 4242 ssh2',
    'Mar 15 10:00:02 web1 sshd[1240]: Accepted password for root from 203.0.113.5 port 4243 ssh2',
    'Mar 15 10:00:03 web1 sshd[1234]: Invalid user root from 203.0.113.6 port 22',
    'Mar 15 10:00:04 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/id',
    'Mar 15 10:00:05 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=bob ; COMMAND=/bin/id',
    'Mar 15 10:00:06 web1 sshd[1234]: Failed password for admin from 203.0.113.7 port 4242 ssh2',
    'Mar 15 10:00:07 web1 kernel: [1.0] usb 1-1: new device',
    'type=SYSCALL msg=audit(1773568801.000:100): arch=c000003e syscall=59 success=yes exit=0 items=2 ppid=1 pid=2001 auid=1000 uid=0 comm="rm" exe="/usr/bin/rm" key="exec"',
    'type=EOE msg=audit(1773568801.000:100):',
  ];

  test('indexed and unindexed detectors give the same results as brute force', () => {
    const rules = load(RULES);
    assert.deepEqual(
      rules.map((r) =>
        r.requirement
          ? `${r.id} ${r.requirement.path}=${r.requirement.values.join('|')}`
          : `${r.id} -`,
      ),
      [
        'i1 user.name=root',
        'i2 event.outcome=failure',
        'i3 -',
        'i4 -',
        'i5 process.name=sshd',
        'i6 auditd.records[].type=syscall',
        'i7 source.port=4242',
      ],
    );
    const events: Event[] = decodeLines(LINES);
    const brute = events.map((e) =>
      rules.filter((r) => r.entry.applies(e) && matches(r, new EventView(e))).map((r) => r.id),
    );
    const indexed = new SigmaDetector(rules);
    const plain = new SigmaDetector(rules, { index: false });
    assert.deepEqual(
      events.map((e) => indexed.match(e).map((r) => r.id)),
      brute,
    );
    assert.deepEqual(
      events.map((e) => plain.match(e).map((r) => r.id)),
      brute,
    );
    assert.deepEqual(brute, [
      ['i2', 'i5', 'i7'],
      ['i1', 'i3'],
      ['i1', 'i2'],
      ['i3'],
      ['i3', 'i4'],
      ['i5', 'i7'],
      [],
      ['i3', 'i6'],
    ]);
  });

  test('the index skips rules that cannot match', () => {
    const rules = load(RULES);
    const det = new SigmaDetector(rules);
    const e = decodeOne('Mar 15 10:00:07 web1 kernel: [1.0] usb 1-1: new device');
    // i3 (`a or b`) is filed under event.outcome=success and process.name=sudo
    assert.deepEqual(
      det.candidates(e).map((r) => r.id),
      [],
    );
  });

  test('the index finds values of any length, and ones whose lower case is longer', () => {
    const rules = load(`
title: dotted capital I
id: u1
logsource: {product: linux}
detection:
  sel: {user.name: İlker}
  condition: sel
---
title: long value
id: u2
logsource: {product: linux}
detection:
  sel: {user.name: ${'a'.repeat(70)}}
  condition: sel
`);
    const det = new SigmaDetector(rules);
    const line = (user: string) =>
      `Mar 15 10:00:01 web1 sshd[1234]: Failed password for ${user} from 203.0.113.5 port 4242 ssh2`;
    const cases: [string, string[]][] = [
      ['İlker', ['u1']],
      ['İLKER', ['u1']],
      ['ilker', []],
      ['a'.repeat(70), ['u2']],
      ['A'.repeat(70), ['u2']],
      ['a'.repeat(69), []],
      ['a'.repeat(71), []],
    ];
    for (const [user, ids] of cases) {
      const e = decodeOne(line(user));
      assert.equal(e.user?.name, user);
      const brute = rules.filter((r) => matches(r, new EventView(e))).map((r) => r.id);
      assert.deepEqual(brute, ids, `brute force, ${user}`);
      assert.deepEqual(
        det.match(e).map((r) => r.id),
        ids,
        user,
      );
    }
  });

  test('alternatives are filed under their narrowest field: not a categorization field, a long literal over a short one', () => {
    const rules = load(`
title: daemon exit
id: n1
logsource: {product: linux}
detection:
  exit:
    - process.name: sshd
      message: 'Received signal 15; terminating.'
    - process.name: auditd
      message|startswith: 'The audit daemon is exiting'
  condition: exit
---
title: su or sudo
id: n2
logsource: {product: linux}
detection:
  su:
    event.outcome: success
    event.action: su
  sudo:
    event.outcome: success
    event.action: sudo_command
  condition: su or sudo
`);
    const det = new SigmaDetector(rules);
    const ids = (line: string) => det.candidates(decodeOne(line)).map((r) => r.id);
    // An sshd line other than the exit, and an accepted login, are tested against neither.
    assert.deepEqual(
      ids(
        'Mar 15 10:00:02 web1 sshd[1240]: Accepted password for root from 203.0.113.5 port 4243 ssh2',
      ),
      [],
    );
    assert.deepEqual(ids('Mar 15 10:00:02 web1 sshd[1]: Received signal 15; terminating.'), ['n1']);
    assert.deepEqual(ids('Mar 15 10:00:02 web1 auditd[7]: The audit daemon is exiting.'), ['n1']);
    assert.deepEqual(
      ids(
        'Mar 15 10:00:04 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/id',
      ),
      ['n2'],
    );
  });
});
