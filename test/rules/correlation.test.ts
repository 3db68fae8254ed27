import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Alert } from '../../src/event/types.js';
import { alertToEvent } from '../../src/rules/correlation-alert.js';
import type { CompiledCorrelation } from '../../src/rules/correlation.js';
import { SigmaDetector, type SigmaDetectorOptions } from '../../src/rules/detector.js';
import { compileDocuments } from '../../src/rules/loader.js';
import { parseRuleText } from '../../src/rules/rule.js';
import type { CompiledRule } from '../../src/rules/compile.js';
import { builtinMapping, decodeLines } from './helpers.js';

/*
 * The correlation engine on real decoded sshd/sudo/syslog lines (UTC).
 * Window edges, out-of-order events, every correlation type, chains,
 * generate, absence, suppress, bounded state and alert chaining.
 */

const BASE = `
title: SSH failed password
id: ssh-fail
name: ssh_fail
level: low
logsource: {product: linux, service: sshd}
detection:
  sel: {event.action: ssh_login, event.outcome: failure}
  condition: sel
---
title: SSH login
id: ssh-ok
name: ssh_ok
level: low
logsource: {product: linux, service: sshd}
detection:
  sel: {event.action: ssh_login, event.outcome: success}
  condition: sel
---
title: Sudo to root
id: sudo-root
name: sudo_root
level: low
logsource: {product: linux, service: sudo}
detection:
  sel: {event.action: sudo_command, user.target.name: root}
  condition: sel
---
title: Sudo auth failure
id: sudo-fail
name: sudo_fail
level: low
logsource: {product: linux, service: sudo}
detection:
  sel: {event.action: sudo_auth_failure}
  condition: sel
`;

interface Loaded {
  rules: CompiledRule[];
  correlations: CompiledCorrelation[];
}

function load(text: string): Loaded {
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
  assert.deepEqual(c.inactive, []);
  return c;
}

function detector(correlation: string, opts: SigmaDetectorOptions = {}): SigmaDetector {
  const l = load(`${BASE}---\n${correlation}`);
  return new SigmaDetector(l.rules, { ...opts, correlations: l.correlations });
}

/** Runs lines through the detector; `flush` at the end unless told not to. */
function run(det: SigmaDetector, lines: readonly string[], flush = true): Alert[] {
  const alerts: Alert[] = [];
  for (const e of decodeLines(lines)) det.process(e, (a) => alerts.push(a));
  if (flush) det.flush((a) => alerts.push(a));
  return alerts;
}

const fail = (time: string, ip: string, user = 'root', host = 'web1'): string =>
  `Mar 15 ${time} ${host} sshd[1]: Failed password for ${user} from ${ip} port 22 ssh2`;
const ok = (time: string, ip: string, user = 'root', host = 'web1'): string =>
  `Mar 15 ${time} ${host} sshd[1]: Accepted password for ${user} from ${ip} port 22 ssh2`;
const sudo = (time: string, user: string, target = 'root', host = 'web1'): string =>
  `Mar 15 ${time} ${host} sudo:    ${user} : TTY=pts/0 ; PWD=/home/${user} ; USER=${target} ; COMMAND=/bin/id`;
const sudoFail = (time: string, user: string, n: number, host = 'web1'): string =>
  `Mar 15 ${time} ${host} sudo:    ${user} : ${n} incorrect password attempt${n > 1 ? 's' : ''} ; TTY=pts/0 ; PWD=/home/${user} ; USER=root ; COMMAND=/bin/id`;
const mark = (time: string, host: string): string => `Mar 15 ${time} ${host} -- MARK --`;
const other = (time: string, host = 'web9'): string =>
  `Mar 15 ${time} ${host} kernel: [1.0] usb 1-1: new device`;

const brief = (a: Alert): string =>
  `${a.rule.id} ${a.count} ${JSON.stringify(a.group ?? {})} ${a.first_seen.slice(11, 19)}-${a.last_seen.slice(11, 19)}`;

const brute = (cond: string, extra = ''): string => `
title: SSH brute force
id: brute-ip
level: high
tags: [attack.t1110]
correlation:
  type: event_count
  rules: [ssh_fail]
  group-by: [source.ip]
  timespan: 1m
  condition: {${cond}}
${extra}`;

describe('event_count', () => {
  test('exactly N events within the timespan (edges inclusive) fire, with the full alert', () => {
    const det = detector(brute('gte: 3'));
    const alerts = run(det, [
      fail('10:00:00', '203.0.113.5'),
      fail('10:00:30', '203.0.113.5'),
      fail('10:01:00', '203.0.113.5'),
    ]);
    assert.deepEqual(alerts, [
      {
        '@timestamp': '2026-03-15T10:01:00.000Z',
        rule: { id: 'brute-ip', title: 'SSH brute force', level: 'high', tags: ['attack.t1110'] },
        severity: 12,
        message: 'event_count 3 (gte 3) for source.ip=203.0.113.5 within 1m',
        first_seen: '2026-03-15T10:00:00.000Z',
        last_seen: '2026-03-15T10:01:00.000Z',
        count: 3,
        events: [
          '2026-03-15T10:00:00.000Z',
          '2026-03-15T10:00:30.000Z',
          '2026-03-15T10:01:00.000Z',
        ],
        group: { 'source.ip': '203.0.113.5' },
        source: { ip: '203.0.113.5' },
      },
    ]);
  });

  test('gt N needs N+1; gte N fires on the Nth', () => {
    const lines = [
      fail('10:00:00', '203.0.113.5'),
      fail('10:00:01', '203.0.113.5'),
      fail('10:00:02', '203.0.113.5'),
    ];
    assert.deepEqual(run(detector(brute('gt: 3')), lines), []);
    assert.deepEqual(run(detector(brute('gt: 2')), lines).map(brief), [
      'brute-ip 3 {"source.ip":"203.0.113.5"} 10:00:00-10:00:02',
    ]);
  });

  test('one event just outside the window does not count', () => {
    const det = detector(brute('gte: 3'));
    const alerts = run(det, [
      '2026-03-15T10:00:00.000Z web1 sshd[1]: Failed password for root from 203.0.113.5 port 22 ssh2',
      '2026-03-15T10:00:30.000Z web1 sshd[1]: Failed password for root from 203.0.113.5 port 22 ssh2',
      '2026-03-15T10:01:00.001Z web1 sshd[1]: Failed password for root from 203.0.113.5 port 22 ssh2',
    ]);
    assert.deepEqual(alerts, []);
    // the first fell out; two are still in the window
    assert.equal(det.memory()[0]!.entries, 2);
  });

  test('out-of-order events count when within the timespan of the newest, else are late', () => {
    const det = detector(brute('gte: 3'));
    const alerts = run(det, [
      fail('10:00:10', '203.0.113.5'),
      fail('10:00:05', '203.0.113.5'), // older, but within 1m of the newest
      fail('10:02:00', '198.51.100.7'),
      fail('10:02:00', '203.0.113.5'), // window now starts at 10:01:00
      fail('10:00:59', '203.0.113.5'), // late: before the window start → ignored
      fail('10:01:30', '203.0.113.5'), // in the window
      fail('10:01:00', '203.0.113.5'), // exactly at the window start → counts
    ]);
    assert.deepEqual(alerts.map(brief), [
      'brute-ip 3 {"source.ip":"203.0.113.5"} 10:01:00-10:02:00',
    ]);
    assert.equal(det.memory()[0]!.late, 1);
  });

  test('out-of-order within the window: first_seen is the oldest event', () => {
    const alerts = run(detector(brute('gte: 3')), [
      fail('10:00:10', '203.0.113.5'),
      fail('10:00:05', '203.0.113.5'),
      fail('10:00:20', '203.0.113.5'),
    ]);
    assert.deepEqual(alerts.map(brief), [
      'brute-ip 3 {"source.ip":"203.0.113.5"} 10:00:05-10:00:20',
    ]);
    assert.deepEqual(alerts[0]!.events, [
      '2026-03-15T10:00:05.000Z',
      '2026-03-15T10:00:10.000Z',
      '2026-03-15T10:00:20.000Z',
    ]);
  });

  test('group-by keeps two source IPs apart', () => {
    const alerts = run(detector(brute('gte: 3')), [
      fail('10:00:00', '203.0.113.5'),
      fail('10:00:01', '198.51.100.7'),
      fail('10:00:02', '203.0.113.5'),
      fail('10:00:03', '198.51.100.7'),
      fail('10:00:04', '203.0.113.5'),
      fail('10:00:05', '192.0.2.1'),
      fail('10:00:06', '198.51.100.7'),
    ]);
    assert.deepEqual(alerts.map(brief), [
      'brute-ip 3 {"source.ip":"203.0.113.5"} 10:00:00-10:00:04',
      'brute-ip 3 {"source.ip":"198.51.100.7"} 10:00:01-10:00:06',
    ]);
  });

  test('after firing, the window starts afresh for the group', () => {
    const lines = ['00', '01', '02', '03', '04', '05', '06'].map((s) =>
      fail(`10:00:${s}`, '203.0.113.5'),
    );
    assert.deepEqual(run(detector(brute('gte: 3')), lines).map(brief), [
      'brute-ip 3 {"source.ip":"203.0.113.5"} 10:00:00-10:00:02',
      'brute-ip 3 {"source.ip":"203.0.113.5"} 10:00:03-10:00:05',
    ]);
  });

  test('a range (gt and lte) is judged when the window closes', () => {
    const det = detector(brute('gt: 2, lte: 4'));
    const lines = [
      // A: 3 events → in range; B: 5 → above; C: 2 → below
      ...['00', '10', '20'].map((s) => fail(`10:00:${s}`, '192.0.2.1')),
      ...['01', '11', '21', '31', '41'].map((s) => fail(`10:00:${s}`, '192.0.2.2')),
      ...['02', '12'].map((s) => fail(`10:00:${s}`, '192.0.2.3')),
      // D opens at 10:00:50 and is still open at the end
      ...['50', '51', '52', '53'].map((s) => fail(`10:00:${s}`, '192.0.2.4')),
      other('10:01:01'), // closes A (10:00:00 + 1m), B and C
    ];
    const alerts = run(det, lines, false);
    assert.deepEqual(alerts.map(brief), ['brute-ip 3 {"source.ip":"192.0.2.1"} 10:00:00-10:00:20']);
    assert.equal(
      alerts[0]!.message,
      'event_count 3 (gt 2 and lte 4) for source.ip=192.0.2.1 within 1m',
    );
    const flushed: Alert[] = [];
    det.flush((a) => flushed.push(a));
    assert.deepEqual(flushed.map(brief), [
      'brute-ip 4 {"source.ip":"192.0.2.4"} 10:00:50-10:00:53',
    ]);
  });

  test('eq and neq are judged at window close; an event after the window opens a new one', () => {
    const det = detector(brute('eq: 2'));
    const alerts = run(det, [
      fail('10:00:00', '192.0.2.1'),
      fail('10:00:59', '192.0.2.1'),
      fail('10:01:01', '192.0.2.1'), // past 10:00:00 + 1m: closes the first window (2 → fires)
      fail('10:01:02', '192.0.2.1'),
      fail('10:01:03', '192.0.2.1'),
    ]);
    assert.deepEqual(alerts.map(brief), ['brute-ip 2 {"source.ip":"192.0.2.1"} 10:00:00-10:00:59']);
  });
});

describe('value_count', () => {
  test('password spraying: one IP, many users', () => {
    const det = detector(`
title: Password spraying
id: spray
level: high
correlation:
  type: value_count
  rules: [ssh_fail]
  group-by: [source.ip]
  timespan: 5m
  condition: {field: user.name, gte: 4}
`);
    const alerts = run(det, [
      fail('10:00:00', '203.0.113.5', 'alice'),
      fail('10:00:01', '203.0.113.5', 'alice'),
      fail('10:00:02', '198.51.100.7', 'root'),
      fail('10:00:03', '198.51.100.7', 'root'),
      fail('10:00:04', '198.51.100.7', 'root'),
      fail('10:00:05', '198.51.100.7', 'root'),
      fail('10:00:06', '203.0.113.5', 'bob'),
      fail('10:00:07', '203.0.113.5', 'carol'),
      fail('10:00:08', '203.0.113.5', 'bob'),
      fail('10:00:09', '203.0.113.5', 'dave'),
    ]);
    assert.deepEqual(alerts.map(brief), ['spray 4 {"source.ip":"203.0.113.5"} 10:00:01-10:00:09']);
    assert.equal(alerts[0]!.message, 'value_count 4 (gte 4) for source.ip=203.0.113.5 within 5m');
  });

  test('a value seen only before the window does not count', () => {
    const det = detector(`
title: Spray
id: spray
correlation:
  type: value_count
  rules: [ssh_fail]
  group-by: [source.ip]
  timespan: 1m
  condition: {field: User, gte: 3}
`);
    const alerts = run(det, [
      fail('10:00:00', '203.0.113.5', 'alice'),
      fail('10:00:30', '203.0.113.5', 'bob'),
      fail('10:01:01', '203.0.113.5', 'carol'), // alice is out of the window
      fail('10:01:02', '203.0.113.5', 'alice'), // back in
    ]);
    assert.deepEqual(alerts.map(brief), ['spray 3 {"source.ip":"203.0.113.5"} 10:00:30-10:01:02']);
  });
});

describe('temporal', () => {
  const temporal = (type: string, extra = ''): string => `
title: Failures then login
id: fail-login
level: high
correlation:
  type: ${type}
  rules: [ssh_fail, ssh_ok]
  group-by: [source.ip]
  timespan: 5m
${extra}`;

  test('temporal: every referenced rule seen within the timespan per group, in any order', () => {
    const alerts = run(detector(temporal('temporal')), [
      ok('10:00:00', '203.0.113.5'),
      fail('10:01:00', '198.51.100.7'),
      fail('10:02:00', '203.0.113.5'),
      ok('10:08:00', '198.51.100.7'), // 7 minutes later: too late
    ]);
    assert.deepEqual(alerts.map(brief), [
      'fail-login 2 {"source.ip":"203.0.113.5"} 10:00:00-10:02:00',
    ]);
  });

  test('temporal_ordered: the order of the rules list matters', () => {
    const alerts = run(detector(temporal('temporal_ordered')), [
      ok('10:00:00', '203.0.113.5'),
      fail('10:01:00', '203.0.113.5'), // wrong order so far
      fail('10:01:00', '198.51.100.7'),
      ok('10:02:00', '198.51.100.7'), // in order → fires
      ok('10:03:00', '203.0.113.5'), // failure at 10:01 then login → fires
    ]);
    assert.deepEqual(alerts.map(brief), [
      'fail-login 2 {"source.ip":"198.51.100.7"} 10:01:00-10:02:00',
      'fail-login 2 {"source.ip":"203.0.113.5"} 10:01:00-10:03:00',
    ]);
  });

  test('temporal_ordered: the whole sequence must fit the timespan', () => {
    const alerts = run(detector(temporal('temporal_ordered')), [
      fail('10:00:00', '203.0.113.5'),
      ok('10:05:01', '203.0.113.5'),
      fail('10:06:00', '203.0.113.5'),
      ok('10:11:00', '203.0.113.5'), // exactly 5m after the failure → inside
    ]);
    assert.deepEqual(alerts.map(brief), [
      'fail-login 2 {"source.ip":"203.0.113.5"} 10:06:00-10:11:00',
    ]);
  });

  test('a temporal condition counts the distinct rules seen', () => {
    const det = detector(`
title: Two of three
id: two-of-three
correlation:
  type: temporal
  rules: [ssh_fail, ssh_ok, sudo_root]
  group-by: [host.name]
  timespan: 5m
  condition: {gte: 2}
`);
    const alerts = run(det, [
      fail('10:00:00', '203.0.113.5', 'root', 'web1'),
      sudo('10:00:10', 'alice', 'root', 'web2'),
      sudo('10:00:20', 'alice', 'root', 'web1'),
    ]);
    assert.deepEqual(alerts.map(brief), ['two-of-three 2 {"host.name":"web1"} 10:00:00-10:00:20']);
  });

  test('aliases: one group-by name read from different fields per rule', () => {
    // someone logs in over SSH as an account, and someone sudoes to that same account
    const det = detector(`
title: Login then sudo to the same account
id: login-sudo
correlation:
  type: temporal_ordered
  rules: [ssh_ok, sudo_root_or_any]
  group-by: [account]
  timespan: 10m
  aliases:
    account:
      ssh_ok: user.name
      sudo_root_or_any: user.target.name
---
title: Any sudo
id: sudo-any
name: sudo_root_or_any
logsource: {product: linux, service: sudo}
detection:
  sel: {event.action: sudo_command}
  condition: sel
`);
    const alerts = run(det, [
      ok('10:00:00', '203.0.113.5', 'deploy'),
      sudo('10:01:00', 'alice', 'backup'),
      sudo('10:02:00', 'alice', 'deploy'),
    ]);
    assert.deepEqual(alerts.map(brief), ['login-sudo 2 {"account":"deploy"} 10:00:00-10:02:00']);
  });
});

describe('value_sum, value_avg, value_percentile', () => {
  const valueRule = (type: string, cond: string): string => `
title: Sudo password attempts
id: sudo-attempts
correlation:
  type: ${type}
  rules: [sudo_fail]
  group-by: [user.name]
  timespan: 10m
  condition: {field: labels.count, ${cond}}
`;
  const lines = [
    sudoFail('10:00:00', 'alice', 1),
    sudoFail('10:01:00', 'bob', 3),
    sudoFail('10:02:00', 'alice', 3),
    sudoFail('10:03:00', 'alice', 2),
    sudoFail('10:04:00', 'bob', 1),
  ];

  test('value_sum fires when the sum first reaches the bound', () => {
    const alerts = run(detector(valueRule('value_sum', 'gte: 5')), lines);
    assert.deepEqual(alerts.map(brief), [
      'sudo-attempts 6 {"user.name":"alice"} 10:00:00-10:03:00',
    ]);
  });

  test('value_avg is judged on the whole window', () => {
    const alerts = run(detector(valueRule('value_avg', 'gte: 2')), lines);
    assert.deepEqual(alerts.map(brief), [
      'sudo-attempts 2 {"user.name":"alice"} 10:00:00-10:03:00',
      'sudo-attempts 2 {"user.name":"bob"} 10:01:00-10:04:00',
    ]);
    const alerts2 = run(detector(valueRule('value_avg', 'gt: 2')), lines);
    assert.deepEqual(alerts2, []);
  });

  test('value_percentile (nearest rank) and value_median', () => {
    // alice: 1, 3, 2 → p50 = 2, p90 = 3; bob: 3, 1 → p50 = 1, p90 = 3
    assert.deepEqual(
      run(detector(valueRule('value_percentile', 'percentile: 90, gte: 3')), lines).map(brief),
      [
        'sudo-attempts 3 {"user.name":"alice"} 10:00:00-10:03:00',
        'sudo-attempts 3 {"user.name":"bob"} 10:01:00-10:04:00',
      ],
    );
    assert.deepEqual(run(detector(valueRule('value_median', 'gte: 2')), lines).map(brief), [
      'sudo-attempts 2 {"user.name":"alice"} 10:00:00-10:03:00',
    ]);
  });
});

describe('chains and generate', () => {
  const CHAIN = `
title: Many failures then a login
id: fail-then-login
level: critical
correlation:
  type: temporal_ordered
  rules: [many_failed, ssh_ok]
  group-by: [source.ip]
  timespan: 10m
---
title: Many failures
id: many-failed
name: many_failed
correlation:
  type: event_count
  rules: [ssh_fail]
  group-by: [source.ip]
  timespan: 1m
  condition: {gte: 3}
`;

  test('a correlation over a correlation (defined in either order)', () => {
    const alerts = run(detector(CHAIN), [
      ok('10:00:00', '203.0.113.5'), // a login before the failures: no
      fail('10:00:01', '203.0.113.5'),
      fail('10:00:02', '203.0.113.5'),
      fail('10:00:03', '203.0.113.5'),
      fail('10:00:04', '198.51.100.7'),
      ok('10:05:00', '198.51.100.7'), // no run of failures from this one
      ok('10:05:00', '203.0.113.5'),
    ]);
    // many-failed is referenced without generate: only the outer alert is raised
    assert.deepEqual(alerts.map(brief), [
      'fail-then-login 2 {"source.ip":"203.0.113.5"} 10:00:03-10:05:00',
    ]);
    assert.equal(alerts[0]!.rule.level, 'critical');
    assert.deepEqual(alerts[0]!.events, ['2026-03-15T10:00:03.000Z', '2026-03-15T10:05:00.000Z']);
  });

  test('generate: true lets the referenced rules alert on their own too', () => {
    const lines = [fail('10:00:01', '203.0.113.5'), fail('10:00:02', '203.0.113.5')];
    const silent = run(detector(brute('gte: 2')), lines);
    assert.deepEqual(
      silent.map((a) => a.rule.id),
      ['brute-ip'],
    );
    const loud = run(detector(brute('gte: 2', 'generate: true')), lines);
    assert.deepEqual(
      loud.map((a) => a.rule.id),
      ['ssh-fail', 'ssh-fail', 'brute-ip'],
    );
    // the correlation section's own `generate` works the same
    const loud2 = run(
      detector(brute('gte: 2').replace('  timespan: 1m', '  timespan: 1m\n  generate: true')),
      lines,
    );
    assert.deepEqual(
      loud2.map((a) => a.rule.id),
      ['ssh-fail', 'ssh-fail', 'brute-ip'],
    );
    // rules no correlation references alert as before
    const other = run(detector(brute('gte: 2')), [ok('10:00:00', '203.0.113.5')]);
    assert.deepEqual(
      other.map((a) => a.rule.id),
      ['ssh-ok'],
    );
  });
});

describe('absence (vigil extension)', () => {
  const ABSENCE = `
title: Syslog MARK missing
id: mark-missing
level: medium
correlation:
  type: absence
  rules: [syslog_mark]
  group-by: [host.name]
  timespan: 20m
---
title: Syslog MARK
id: syslog-mark
name: syslog_mark
logsource: {product: linux}
detection:
  sel: {message: '-- MARK --'}
  condition: sel
`;

  test('fires once when event time passes the timespan without the event; re-arms', () => {
    const det = detector(ABSENCE);
    const alerts = run(det, [
      mark('10:00:00', 'web1'),
      mark('10:00:00', 'web2'),
      mark('10:20:00', 'web1'), // exactly 20m: in time
      other('10:20:00'),
      other('10:20:01'), // web2 is overdue
      other('10:30:00'),
      other('10:39:00'), // no second alert for web2
      other('10:40:01'), // web1 (last 10:20:00) is overdue
      mark('10:45:00', 'web2'), // web2 is back: re-armed
      other('11:05:00'),
      other('11:05:01'), // web2 silent again
    ]);
    assert.deepEqual(
      alerts.map((a) => [
        a['@timestamp'].slice(11, 19),
        a.group,
        a.first_seen.slice(11, 19),
        a.count,
      ]),
      [
        ['10:20:01', { 'host.name': 'web2' }, '10:00:00', 0],
        ['10:40:01', { 'host.name': 'web1' }, '10:20:00', 0],
        ['11:05:01', { 'host.name': 'web2' }, '10:45:00', 0],
      ],
    );
    assert.equal(
      alerts[0]!.message,
      'absence: no "Syslog MARK" for host.name=web2 since 2026-03-15T10:00:00.000Z (timespan 20m)',
    );
    assert.deepEqual(det.memory()[0]!.groups, 0);
  });

  test('out-of-order arrivals are judged in deadline order; flush judges what is left', () => {
    const det = detector(ABSENCE);
    const alerts = run(
      det,
      [mark('10:05:00', 'web1'), mark('10:00:00', 'web2'), other('10:20:30')],
      false,
    );
    assert.deepEqual(
      alerts.map((a) => a.group),
      [{ 'host.name': 'web2' }],
    );
    const flushed: Alert[] = [];
    det.flush((a) => flushed.push(a)); // web1 is due at 10:25: not yet, and flush does not invent time
    assert.equal(flushed.length, 0);
    const ticked: Alert[] = [];
    det.tick(Date.parse('2026-03-15T10:25:01Z'), (a) => ticked.push(a)); // live: a wall-clock tick
    assert.deepEqual(
      ticked.map((a) => a.group),
      [{ 'host.name': 'web1' }],
    );
  });
});

describe('suppress (vigil extension)', () => {
  test('one correlation alert per group per suppress window after the first', () => {
    const det = detector(brute('gte: 2', 'vigil: {suppress: 10m}'));
    const alerts = run(det, [
      fail('10:00:00', '203.0.113.5'),
      fail('10:00:01', '203.0.113.5'), // fires
      fail('10:00:02', '203.0.113.5'),
      fail('10:00:03', '203.0.113.5'), // fires, suppressed
      fail('10:00:04', '198.51.100.7'),
      fail('10:00:05', '198.51.100.7'), // another group: fires
      fail('10:10:00', '203.0.113.5'),
      fail('10:10:01', '203.0.113.5'), // 10m after the first: fires
    ]);
    assert.deepEqual(alerts.map(brief), [
      'brute-ip 2 {"source.ip":"203.0.113.5"} 10:00:00-10:00:01',
      'brute-ip 2 {"source.ip":"198.51.100.7"} 10:00:04-10:00:05',
      'brute-ip 2 {"source.ip":"203.0.113.5"} 10:10:00-10:10:01',
    ]);
    assert.equal(det.memory()[0]!.suppressed, 1);
    assert.equal(det.memory()[0]!.fired, 4);
  });

  test('correlation.suppress in the section does the same', () => {
    const det = detector(
      brute('gte: 2').replace('  timespan: 1m', '  timespan: 1m\n  suppress: 10m'),
    );
    const alerts = run(
      det,
      ['00', '01', '02', '03'].map((s) => fail(`10:00:${s}`, '203.0.113.5')),
    );
    assert.equal(alerts.length, 1);
  });

  test('a single rule with vigil.suppress and vigil.group-by', () => {
    const l = load(`
title: Root login
id: root-login
logsource: {product: linux, service: sshd}
vigil: {suppress: 5m, group-by: [source.ip]}
detection:
  sel: {event.action: ssh_login, event.outcome: success, user.name: root}
  condition: sel
`);
    const det = new SigmaDetector(l.rules);
    const alerts = run(det, [
      ok('10:00:00', '203.0.113.5'),
      ok('10:01:00', '203.0.113.5'),
      ok('10:02:00', '198.51.100.7'),
      ok('10:05:00', '203.0.113.5'),
    ]);
    assert.deepEqual(
      alerts.map((a) => `${a['@timestamp'].slice(11, 19)} ${a.source?.ip}`),
      ['10:00:00 203.0.113.5', '10:02:00 198.51.100.7', '10:05:00 203.0.113.5'],
    );
    assert.equal(det.suppressed, 1);
  });
});

describe('bounded state', () => {
  test('with a cap of 100 groups, 1,000 source IPs keep 100 and evict the oldest', () => {
    const det = detector(brute('gte: 5'), { maxGroups: 100 });
    const ip = (i: number): string => `10.0.${Math.floor(i / 250)}.${i % 250}`;
    const lines = Array.from({ length: 1000 }, (_, i) => fail('10:00:00', ip(i)));
    assert.deepEqual(run(det, lines), []);
    const m = det.memory()[0]!;
    assert.deepEqual(
      { groups: m.groups, entries: m.entries, evicted: m.evicted },
      { groups: 100, entries: 100, evicted: 900 },
    );
    assert.ok(m.approxBytes > 0 && m.approxBytes < 100 * 1024, `approxBytes ${m.approxBytes}`);
    // the oldest IP was evicted: four more failures are not five; the newest still has its first
    const more = [0, 999].flatMap((i) =>
      ['01', '02', '03', '04'].map((s) => fail(`10:00:${s}`, ip(i))),
    );
    assert.deepEqual(run(det, more).map(brief), [
      `brute-ip 5 {"source.ip":"${ip(999)}"} 10:00:00-10:00:04`,
    ]);
    // 999 fired and its window was reset (dropped); 0 came back in place of 900
    assert.equal(det.memory()[0]!.groups, 99);
  });

  test('stale groups expire as event time advances', () => {
    const det = detector(brute('gte: 5'));
    run(det, [fail('10:00:00', '203.0.113.5'), fail('10:00:10', '198.51.100.7')]);
    assert.equal(det.memory()[0]!.groups, 2);
    run(det, [other('10:01:05')]);
    assert.deepEqual([det.memory()[0]!.groups, det.memory()[0]!.expired], [1, 1]);
    run(det, [other('10:01:11')]);
    assert.deepEqual(
      [det.memory()[0]!.groups, det.memory()[0]!.expired, det.memory()[0]!.entries],
      [0, 2, 0],
    );
  });
});

describe('reload', () => {
  test('adopt keeps the state of unchanged correlations only', () => {
    const first = detector(brute('gte: 3'));
    run(first, [fail('10:00:00', '203.0.113.5'), fail('10:00:01', '203.0.113.5')], false);
    const same = detector(brute('gte: 3'));
    same.adopt(first);
    assert.deepEqual(run(same, [fail('10:00:02', '203.0.113.5')]).map(brief), [
      'brute-ip 3 {"source.ip":"203.0.113.5"} 10:00:00-10:00:02',
    ]);
    const changed = detector(brute('gte: 2'));
    changed.adopt(first);
    assert.deepEqual(run(changed, [fail('10:00:02', '203.0.113.5')]), []);
  });
});

describe('alerts are events', () => {
  test('alertToEvent: event.kind alert, ECS rule fields, severity, group values at their paths', () => {
    const ev = alertToEvent({
      '@timestamp': '2026-03-15T10:00:02.000Z',
      rule: { id: 'brute-ip', title: 'SSH brute force', level: 'high', tags: ['attack.t1110'] },
      severity: 12,
      message: 'event_count 3 (gte 3) for source.ip=203.0.113.5 within 1m',
      group: { 'source.ip': '203.0.113.5', account: 'root' },
      first_seen: '2026-03-15T10:00:00.000Z',
      last_seen: '2026-03-15T10:00:02.000Z',
      count: 3,
      source: { ip: '203.0.113.5' },
    });
    assert.deepEqual(ev, {
      '@timestamp': '2026-03-15T10:00:02.000Z',
      message: 'event_count 3 (gte 3) for source.ip=203.0.113.5 within 1m',
      event: {
        kind: 'alert',
        severity: 12,
        dataset: 'vigil.alert',
        module: 'vigil',
        start: '2026-03-15T10:00:00.000Z',
        end: '2026-03-15T10:00:02.000Z',
      },
      rule: { id: 'brute-ip', name: 'SSH brute force', level: 'high' },
      tags: ['attack.t1110'],
      source: { ip: '203.0.113.5' },
      account: 'root',
      vigil: {
        source: 'vigil.alerts',
        alert: {
          count: 3,
          first_seen: '2026-03-15T10:00:00.000Z',
          last_seen: '2026-03-15T10:00:02.000Z',
          group: { 'source.ip': '203.0.113.5', account: 'root' },
        },
      },
    });
  });

  test('a single rule matching alerts fires on a correlation alert', () => {
    const det = detector(
      `${brute('gte: 3')}---
title: Brute force from outside
id: brute-outside
level: critical
logsource: {product: linux}
detection:
  sel: {event.kind: alert, rule.id: brute-ip}
  inside: {source.ip|cidr: 10.0.0.0/8}
  condition: sel and not inside
---
title: Keyword rule (never sees alerts)
id: kw
level: low
logsource: {product: linux}
detection:
  kw: [Failed password]
  condition: kw
`,
    );
    const alerts = run(det, [
      fail('10:00:00', '203.0.113.5'),
      fail('10:00:01', '203.0.113.5'),
      fail('10:00:02', '203.0.113.5'),
      fail('10:00:03', '10.1.1.1'),
      fail('10:00:04', '10.1.1.1'),
      fail('10:00:05', '10.1.1.1'),
    ]);
    assert.deepEqual(
      alerts.map((a) => `${a.rule.id} ${a.source?.ip ?? ''}`),
      [
        'kw 203.0.113.5',
        'kw 203.0.113.5',
        'kw 203.0.113.5', // an event's own rule alerts come before the correlation alerts it causes
        'brute-ip 203.0.113.5',
        'brute-outside 203.0.113.5',
        'kw 10.1.1.1',
        'kw 10.1.1.1',
        'kw 10.1.1.1',
        'brute-ip 10.1.1.1',
      ],
    );
    const chained = alerts[4]!;
    assert.equal(chained['@timestamp'], '2026-03-15T10:00:02.000Z');
    assert.deepEqual(chained.group, { 'source.ip': '203.0.113.5' });
    assert.equal(chained.severity, 15);
  });

  test('logsource product vigil, category alert: a rule that reads only alerts', () => {
    const l = load(`${BASE}---
title: Root logins, as alerts
id: root-alerts
logsource: {product: vigil, category: alert}
detection:
  sel: {rule.id: ssh-ok}
  condition: sel
`);
    const det = new SigmaDetector(l.rules);
    const ids = run(det, [ok('10:00:00', '203.0.113.5'), fail('10:00:01', '203.0.113.5')]).map(
      (a) => a.rule.id,
    );
    assert.deepEqual(ids, ['ssh-ok', 'root-alerts', 'ssh-fail']);
  });

  test('a rule matching every alert stops at the chain depth limit', () => {
    const l = load(`${BASE}---
title: Any alert
id: any-alert
logsource: {product: linux}
detection:
  sel: {event.kind: alert}
  condition: sel
`);
    const raise = (depth: number): string[] => {
      const det = new SigmaDetector(l.rules, { maxChainDepth: depth });
      return run(det, [ok('10:00:00', '203.0.113.5')]).map((a) => a.rule.id);
    };
    assert.deepEqual(raise(4), ['ssh-ok', 'any-alert', 'any-alert', 'any-alert', 'any-alert']);
    assert.deepEqual(raise(0), ['ssh-ok']);
  });

  test('a correlation over alerts of a rule that matches alerts', () => {
    const det = detector(`
title: Root logins
id: root-login
level: medium
logsource: {product: linux, service: sshd}
detection:
  sel: {event.action: ssh_login, event.outcome: success, user.name: root}
  condition: sel
---
title: Root login alert
id: root-login-alert
name: root_login_alert
logsource: {product: linux}
detection:
  sel: {event.kind: alert, rule.id: root-login}
  condition: sel
---
title: Root logins on many hosts
id: root-many-hosts
level: high
correlation:
  type: value_count
  rules: [root_login_alert]
  timespan: 1h
  condition: {field: host.name, gte: 2}
`);
    const alerts = run(det, [
      ok('10:00:00', '203.0.113.5', 'root', 'web1'),
      ok('10:10:00', '203.0.113.5', 'root', 'web2'),
    ]);
    assert.deepEqual(
      alerts.map((a) => `${a.rule.id} ${a.count}`),
      ['ssh-ok 1', 'root-login 1', 'ssh-ok 1', 'root-login 1', 'root-many-hosts 2'],
    );
  });
});

describe('loading correlations', () => {
  const errorsOf = (text: string): string[] => {
    const parsed = parseRuleText(text, 'c.yml');
    const c = compileDocuments(parsed.documents, builtinMapping());
    return [...parsed.errors, ...c.errors].map((e) => e.message);
  };

  test('unknown references, cycles and bad keys are errors naming rule and key', () => {
    assert.deepEqual(
      errorsOf(`${BASE}---
title: C1
id: c1
correlation: {type: event_count, rules: [nope], group-by: [source.ip], timespan: 5m, condition: {gte: 1}}
---
title: C2
id: c2
correlation: {type: temporal, rules: [c3, ssh_ok], group-by: [source.ip], timespan: 5m}
---
title: C3
id: c3
correlation: {type: temporal, rules: [c2, ssh_ok], group-by: [source.ip], timespan: 5m}
---
title: C4
id: c4
correlation: {type: event_count, rules: [ssh_fail], timespan: 5 minutes, condition: {gte: x, foo: 1}, extra: 1}
---
title: C5
id: c5
correlation: {type: value_count, rules: [ssh_fail], timespan: 5m, condition: {gte: 2}}
---
title: C6
id: c6
correlation: {type: absence, rules: [ssh_fail], timespan: 5m, condition: {gte: 2}}
`),
      [
        'c.yml: rule c4 "C4": correlation.extra: is not a correlation key',
        'c.yml: rule c4 "C4": correlation.timespan: must be a number and a unit (s, m, h, d, w) like 5m, got "5 minutes"',
        'c.yml: rule c4 "C4": correlation.condition.gte: must be a number, got "x"',
        'c.yml: rule c4 "C4": correlation.condition.foo: is not a condition key (gt, gte, lt, lte, eq, neq, field, percentile)',
        'c.yml: rule c4 "C4": correlation.condition: needs one of gt, gte, lt, lte, eq, neq',
        'c.yml: rule c5 "C5": correlation.condition.field: is required for value_count',
        'c.yml: rule c6 "C6": correlation.condition: absence takes no condition (only rules, group-by, timespan)',
        'c.yml: rule c1 "C1": correlation.rules[0]: rule nope is not loaded',
        'c.yml: rule c2 "C2": correlation.rules: correlations reference each other in a cycle',
        'c.yml: rule c3 "C3": correlation.rules: correlations reference each other in a cycle',
      ],
    );
  });

  test('a correlation over an inactive rule is inactive; bad vigil keys are errors', () => {
    const parsed = parseRuleText(
      `title: Win
id: win
logsource: {product: windows}
detection: {s: {EventID: 4625}, condition: s}
---
title: C
id: c
correlation: {type: event_count, rules: [win], group-by: [User], timespan: 5m, condition: {gte: 5}}
---
title: Bad
id: bad
vigil: {suppress: soon, foo: 1}
logsource: {product: linux}
detection: {s: {x: 1}, condition: s}
`,
      'c.yml',
    );
    const c = compileDocuments(parsed.documents, builtinMapping());
    assert.deepEqual(
      c.inactive.map((i) => [i.id, i.reason]),
      [
        ['win', 'no mapping for logsource product=windows'],
        ['c', 'references inactive rule win'],
      ],
    );
    assert.deepEqual(
      c.errors.map((e) => e.message),
      [
        'c.yml: rule bad "Bad": vigil.suppress: must be a timespan like 10m, got "soon"',
        'c.yml: rule bad "Bad": vigil.foo: is not a vigil key (known: suppress, group-by, requires-lists)',
      ],
    );
  });

  test('group-by names map through the referenced rule’s logsource; temporal defaults to all rules', () => {
    const l = load(`${BASE}---
title: C
id: c
correlation: {type: temporal, rules: [ssh_fail, sudo_root], group-by: [Hostname, User], timespan: 5m}
`);
    const c = l.correlations[0]!;
    assert.deepEqual(c.groupKeys, ['host.name', 'user.name']);
    assert.deepEqual(c.condition?.text, 'gte 2');
    assert.equal(c.eager, true);
  });
});
