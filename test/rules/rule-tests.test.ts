import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadRules, type LoadedRules } from '../../src/rules/loader.js';
import {
  expandDotted,
  findRuleTests,
  formatRuleTestReport,
  runRuleTests,
} from '../../src/rules/rule-tests.js';

const ROOT_RULE = `title: Root login over SSH
id: 11111111-1111-4111-8111-111111111111
name: root_ssh
level: high
logsource: { product: linux, service: sshd }
detection:
  sel: { event.action: ssh_login, event.outcome: success, user.name: root }
  condition: sel
`;

const FAIL_RULE = `title: SSH failure
name: ssh_fail
logsource: { product: linux, service: sshd }
detection:
  sel: { event.action: ssh_login, event.outcome: failure }
  condition: sel
`;

const BRUTE = `title: Brute force
id: 22222222-2222-4222-8222-222222222222
name: brute
correlation:
  type: event_count
  rules: [ssh_fail]
  group-by: [source.ip]
  timespan: 5m
  condition: { gte: 3 }
level: high
`;

const ACCEPT = (user: string, t = '10:00:01') =>
  `Mar 15 ${t} web1 sshd[7]: Accepted password for ${user} from 203.0.113.5 port 4242 ssh2`;
const FAILED = (t: string) =>
  `Mar 15 ${t} web1 sshd[7]: Failed password for bob from 203.0.113.5 port 4242 ssh2`;

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'vigil-rule-tests-'));
  for (const [name, text] of Object.entries(files)) {
    const p = join(d, name);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, text);
  }
  return d;
}

describe('findRuleTests', () => {
  test('directories recursively, a rule file for its sibling, a tests file for itself', () => {
    const d = dir({
      'a/root.yml': ROOT_RULE,
      'a/root.tests.yml': 'tests: []',
      'b/fail.yml': FAIL_RULE,
      'b/fail.tests.yaml': 'tests: []',
      'c/none.yml': FAIL_RULE,
    });
    assert.deepEqual(findRuleTests([d]), [
      join(d, 'a/root.tests.yml'),
      join(d, 'b/fail.tests.yaml'),
    ]);
    assert.deepEqual(findRuleTests([join(d, 'a/root.yml'), join(d, 'c/none.yml')]), [
      join(d, 'a/root.tests.yml'),
    ]);
    assert.deepEqual(findRuleTests([join(d, 'b/fail.tests.yaml'), join(d, 'missing')]), [
      join(d, 'b/fail.tests.yaml'),
    ]);
  });
});

describe('runRuleTests', () => {
  test('lines through the real decoders: pass, and a failure says what fired', async () => {
    const d = dir({
      'root.yml': ROOT_RULE,
      'root.tests.yml': `tests:
  - name: root
    lines: ['${ACCEPT('root')}']
    expect: { alerts: 1 }
  - name: alice
    lines: ['${ACCEPT('alice')}']
    expect: { alerts: 0 }
  - name: wrong on purpose
    lines: ['${ACCEPT('alice')}', '${ACCEPT('root', '10:00:02')}']
    expect: { alerts: 2 }
`,
    });
    const r = await runRuleTests([d]);
    assert.deepEqual(
      r.results.map((x) => [x.name, x.status]),
      [
        ['root', 'pass'],
        ['alice', 'pass'],
        ['wrong on purpose', 'fail'],
      ],
    );
    const bad = r.results[2]!;
    assert.equal(bad.alerts, 1);
    assert.equal(bad.events, 2);
    assert.deepEqual(bad.rules, ['11111111-1111-4111-8111-111111111111']);
    assert.match(bad.reason, /expected 2 alerts from root_ssh, got 1/);
    assert.match(bad.reason, /fired: "Root login over SSH"/);
    assert.deepEqual(r.totals, { files: 1, tests: 3, passed: 2, failed: 1, skipped: 0 });
    assert.equal(r.ok, false);
    assert.match(formatRuleTestReport(r), /FAIL .*wrong on purpose/);
    assert.match(formatRuleTestReport(r), /3 tests in 1 file: 2 passed, 1 failed, 0 skipped/);
  });

  test('partial events with dotted keys, and match expectations', async () => {
    const d = dir({
      'root.yml': ROOT_RULE,
      'root.tests.yml': `tests:
  - name: event matches
    events:
      - { process.name: sshd, event.action: ssh_login, event.outcome: success, user: { name: root } }
    expect: { match: true }
  - name: event does not match
    events:
      - { process.name: sshd, event.action: ssh_login, event.outcome: failure, user.name: root }
    expect: { match: false }
`,
    });
    const r = await runRuleTests([d]);
    assert.equal(r.totals.passed, 2, formatRuleTestReport(r));
  });

  test('timezone, received time and format per test', async () => {
    const rule = ROOT_RULE.replace(
      'condition: sel',
      "hour: { '@timestamp|hour': 9 }\n  condition: sel and hour",
    );
    const d = dir({
      'root.yml': rule,
      'root.tests.yml': `tests:
  - name: 10:00 in Paris is 09:00 UTC
    lines: ['${ACCEPT('root')}']
    timezone: Europe/Paris
    received: '2026-03-20T00:00:00Z'
    format: syslog
    expect: { alerts: 1 }
  - name: 10:00 UTC
    lines: ['${ACCEPT('root')}']
    expect: { alerts: 0 }
`,
    });
    const r = await runRuleTests([d]);
    assert.equal(r.totals.passed, 2, formatRuleTestReport(r));
  });

  test('a correlation over a sequence of timed lines; `rule` picks one rule of the file', async () => {
    const d = dir({
      'brute.yml': `${BRUTE}---\n${FAIL_RULE}`,
      'brute.tests.yml': `rule: brute
tests:
  - name: three failures in a minute
    lines: ['${FAILED('10:00:00')}', '${FAILED('10:00:30')}', '${FAILED('10:01:00')}']
    expect: { alerts: 1 }
  - name: three failures in an hour
    lines: ['${FAILED('10:00:00')}', '${FAILED('10:30:00')}', '${FAILED('11:00:00')}']
    expect: { alerts: 0 }
  - name: the base rule, by name
    rule: ssh_fail
    lines: ['${FAILED('10:00:00')}']
    expect: { match: true }
`,
    });
    const r = await runRuleTests([d]);
    assert.equal(r.totals.passed, 3, formatRuleTestReport(r));
  });

  test('a correlation the loaded set holds inactive is skipped with the reason', async () => {
    const d = dir({
      'brute.yml': BRUTE,
      'brute.tests.yml': `tests:
  - name: three failures
    lines: ['${FAILED('10:00:00')}', '${FAILED('10:00:30')}', '${FAILED('10:01:00')}']
    expect: { alerts: 1 }
`,
      'fail.yml': FAIL_RULE,
    });
    const real = loadRules([d]);
    const loaded: LoadedRules = {
      ...real,
      correlations: [],
      inactive: [
        {
          id: '22222222-2222-4222-8222-222222222222',
          title: 'Brute force',
          file: join(d, 'brute.yml'),
          reason: 'correlation rules are not run yet',
        },
      ],
    };
    const r = await runRuleTests([d], { loaded });
    assert.equal(r.results.length, 1);
    assert.equal(r.results[0]!.status, 'skip');
    assert.match(
      r.results[0]!.reason,
      /^skipped: correlation not supported yet \(event_count: correlation rules are not run yet\)$/,
    );
    assert.equal(r.ok, true);
  });

  test('references resolve through the context without running its tests', async () => {
    const base = dir({
      'fail.yml': FAIL_RULE,
      'fail.tests.yml': 'tests: [{name: x, events: [{}], expect: {match: true}}]',
    });
    const mine = dir({
      'brute.yml': BRUTE,
      'brute.tests.yml': `tests:
  - name: three failures
    lines: ['${FAILED('10:00:00')}', '${FAILED('10:00:30')}', '${FAILED('10:01:00')}']
    expect: { alerts: 1 }
`,
    });
    const alone = await runRuleTests([mine]);
    assert.equal(alone.results[0]!.status, 'fail');
    assert.match(alone.results[0]!.reason, /did not load: .*rule ssh_fail is not loaded/);
    const withBase = await runRuleTests([mine], { context: [base] });
    assert.equal(withBase.results.length, 1);
    assert.equal(withBase.results[0]!.status, 'pass', withBase.results[0]!.reason);
  });

  test('file-level placeholders recompile the set for that file', async () => {
    const d = dir({
      'bl.yml': `title: Blacklisted
id: 33333333-3333-4333-8333-333333333333
logsource: { product: linux, service: sshd }
detection:
  sel: { source.ip|expand: '%bad_hosts%' }
  condition: sel
`,
      'bl.tests.yml': `placeholders: { bad_hosts: [203.0.113.5] }
tests:
  - name: listed
    lines: ['${ACCEPT('alice')}']
    expect: { alerts: 1 }
`,
    });
    const r = await runRuleTests([d]);
    assert.equal(r.totals.passed, 1, formatRuleTestReport(r));
    assert.equal(r.loadErrors.length, 1, 'the run without placeholders reports the rule error');
  });

  test('bad tests files and missing rules are reported, not thrown', async () => {
    const d = dir({
      'root.yml': ROOT_RULE,
      'root.tests.yml': 'tests:\n  - name: no samples\n    expect: { alerts: 1 }\n',
      'bad.tests.yml': 'tests: [oops',
      'orphan.tests.yml': `tests: [{ name: x, lines: ['${ACCEPT('root')}'], expect: { alerts: 1 } }]`,
      'other.tests.yml': `rule: nope\ntests: [{ name: y, events: [{}], expect: { alerts: 0 } }]`,
      'other.yml': FAIL_RULE,
      'inactive.yml':
        'title: win\nid: w1\nlogsource: { product: windows }\ndetection: { s: { a: 1 }, condition: s }\n',
      'inactive.tests.yml': 'tests: [{ name: z, events: [{}], expect: { alerts: 0 } }]',
    });
    const r = await runRuleTests([d]);
    assert.deepEqual(
      r.fileErrors.map((e) => [e.file.slice(d.length + 1), e.message.slice(0, 30)]).sort(),
      [
        [
          'bad.tests.yml',
          r.fileErrors.find((e) => e.file.endsWith('bad.tests.yml'))!.message.slice(0, 30),
        ],
        ['root.tests.yml', 'tests.0: needs lines or events'],
      ],
    );
    const byName = new Map(r.results.map((x) => [x.name, x]));
    assert.match(byName.get('x')!.reason, /no rule file beside it/);
    assert.match(byName.get('y')!.reason, /rule nope is not loaded/);
    assert.match(byName.get('z')!.reason, /rule w1 is inactive: no mapping for logsource/);
    assert.equal(r.ok, false);
  });
});

test('expandDotted nests dotted keys and merges with nested maps', () => {
  assert.deepEqual(
    expandDotted({ 'event.action': 'x', event: { kind: 'alert' }, '@timestamp': 't', 'a.b.c': 1 }),
    {
      event: { action: 'x', kind: 'alert' },
      '@timestamp': 't',
      a: { b: { c: 1 } },
    },
  );
});
