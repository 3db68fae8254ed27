import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import type { Alert } from '../../src/event/types.js';
import { SigmaDetector } from '../../src/rules/detector.js';
import { parseRuleFiles, ruleFiles } from '../../src/rules/loader.js';
import {
  applyOverrides,
  loadRulesWithOverrides,
  overridesByRule,
  ruleOverrideSchema,
} from '../../src/rules/overrides.js';
import { decodeLines } from './helpers.js';

const BUILTIN = fileURLToPath(new URL('../../rules/builtin', import.meta.url));
const CONFIG = '/etc/vigil/vigil.yml';

function load(overrides: unknown[]) {
  return loadRulesWithOverrides([BUILTIN], {
    overrides,
    overridesSource: CONFIG,
  });
}

function alerts(loaded: ReturnType<typeof load>, lines: string[]): Alert[] {
  const det = new SigmaDetector(loaded.rules, { correlations: loaded.correlations });
  const out: Alert[] = [];
  for (const e of decodeLines(lines)) det.process(e, (a) => out.push(a));
  det.flush?.((a) => out.push(a));
  return out;
}

const ROOT_FROM = (ip: string) =>
  `Mar 15 10:00:01 web1 sshd[7]: Accepted publickey for root from ${ip} port 4242 ssh2`;
const FAILS = (n: number, ip = '203.0.113.5') =>
  Array.from(
    { length: n },
    (_, i) =>
      `Mar 15 10:00:${String(i * 5).padStart(2, '0')} web1 sshd[7]: Failed password for bob from ${ip} port ${4000 + i} ssh2`,
  );

describe('ruleOverrideSchema', () => {
  test('accepts the documented keys, strictly', () => {
    assert.ok(
      ruleOverrideSchema.safeParse({
        id: 'x',
        disabled: true,
        level: 'low',
        filters: [{ 'source.ip|cidr': '10.0.0.0/8' }],
        timespan: '10m',
        condition: { gt: 10 },
        group_by: ['host.name'],
      }).success,
    );
    for (const bad of [
      { id: 'x', levle: 'low' },
      { id: 'x', level: 'loud' },
      { id: 'x', timespan: '10 minutes' },
      { id: 'x', condition: {} },
      { id: 'x', condition: { more: 3 } },
      { id: 'x', group_by: [] },
      { disabled: true },
    ]) {
      assert.equal(ruleOverrideSchema.safeParse(bad).success, false, JSON.stringify(bad));
    }
  });
});

describe('overrides on the built-in set', () => {
  test('no overrides: the same set as loadRules', () => {
    const l = load([]);
    assert.deepEqual(l.errors, []);
    assert.deepEqual(l.applied, []);
    assert.ok(l.rules.length > 20);
  });

  test('disable by name or id: inactive with the override as the reason', () => {
    const l = load([{ id: 'ssh_root_login', disabled: true }]);
    assert.equal(
      l.rules.find((r) => r.rule.name === 'ssh_root_login'),
      undefined,
    );
    const off = l.inactive.find((r) => r.id === '4537678a-fe21-4f02-99c0-c5abff5e477c');
    assert.equal(off?.reason, `disabled by ${CONFIG}: rules.overrides[0]`);
    assert.deepEqual(alerts(l, [ROOT_FROM('203.0.113.5')]), []);
    const byId = load([{ id: '4537678a-fe21-4f02-99c0-c5abff5e477c', disabled: true }]);
    assert.equal(
      byId.rules.find((r) => r.rule.name === 'ssh_root_login'),
      undefined,
    );
  });

  test('disable a correlation', () => {
    const l = load([{ id: 'bruteforce_source_ip', disabled: true }]);
    assert.equal(
      l.correlations.find((c) => c.name === 'bruteforce_source_ip'),
      undefined,
    );
    assert.ok(l.inactive.some((r) => r.title.startsWith('Brute force from one address')));
    assert.ok(!alerts(l, FAILS(6)).some((a) => a.rule.title.startsWith('Brute force from one')));
  });

  test('level: the alert carries the new level and severity; provenance says was', () => {
    const l = load([{ id: 'ssh_root_login', level: 'critical' }]);
    const [a] = alerts(l, [ROOT_FROM('203.0.113.5')]).filter(
      (x) => x.rule.title === 'Root login over SSH from a host not allowed to',
    );
    assert.equal(a?.rule.level, 'critical');
    assert.equal(a?.severity, 15);
    assert.deepEqual(l.applied, [
      {
        id: '4537678a-fe21-4f02-99c0-c5abff5e477c',
        what: 'level: critical (was high)',
        from: `${CONFIG}: rules.overrides[0]`,
      },
    ]);
  });

  test('filters: an event matching an exception is not matched; others still are', () => {
    const l = load([
      {
        id: 'ssh_root_login',
        filters: [{ 'source.ip|cidr': '10.0.0.0/8' }, { 'source.ip': '192.0.2.1' }],
      },
    ]);
    const titles = (ip: string) =>
      alerts(l, [ROOT_FROM(ip)])
        .map((a) => a.rule.title)
        .filter((t) => t === 'Root login over SSH from a host not allowed to');
    assert.deepEqual(titles('10.1.2.3'), []);
    assert.deepEqual(titles('192.0.2.1'), []);
    assert.deepEqual(titles('203.0.113.5'), ['Root login over SSH from a host not allowed to']);
    assert.equal(l.applied[0]!.what, 'filters: 2 exceptions added');
  });

  test('correlation threshold and timespan', () => {
    const base = load([]);
    const brute = (a: Alert[]) => a.filter((x) => x.rule.title.startsWith('Brute force from one'));
    assert.equal(brute(alerts(base, FAILS(6))).length, 1);
    const l = load([{ id: 'bruteforce_source_ip', condition: { gt: 10 }, timespan: '10m' }]);
    const c = l.correlations.find((x) => x.name === 'bruteforce_source_ip')!;
    assert.equal(c.condition?.text, 'gt 10');
    assert.equal(c.timespanMs, 600_000);
    assert.equal(brute(alerts(l, FAILS(6))).length, 0);
    assert.equal(brute(alerts(l, FAILS(11))).length, 1);
    assert.deepEqual(
      l.applied.map((a) => a.what),
      ['timespan: 10m (was 5m)', 'condition: gt 10 (was gt 5)'],
    );
  });

  test('value_count keeps its field; group-by replaced', () => {
    const l = load([
      { id: 'password_spraying', condition: { gte: 3 } },
      { id: 'bruteforce_user', group_by: ['host.name', 'user.name'] },
    ]);
    const spray = l.correlations.find((x) => x.name === 'password_spraying')!;
    assert.deepEqual(spray.fields, ['user.name']);
    assert.equal(spray.condition?.text, 'gte 3');
    const user = l.correlations.find((x) => x.name === 'bruteforce_user')!;
    assert.deepEqual(user.groupBy, ['host.name', 'user.name']);
    assert.equal(l.errors.length, 0);
  });

  test('errors are reported and the other overrides still apply', () => {
    const l = load([
      { id: 'no_such_rule', disabled: true },
      { id: 'ssh_root_login', timespan: '5m', level: 'low' },
      { id: 'syslog_mark_missing', condition: { gt: 1 } },
      { id: 'bruteforce_user', filters: [{ 'user.name': 'bob' }] },
      { id: 'ftp_login', level: 'loud' },
      { id: 'ftp_login', filters: [{ 'x|re': '(a' }] },
      { id: 'kernel_oom_kill', disabled: true },
    ]);
    const msgs = l.errors.map((e) => e.message);
    assert.deepEqual(msgs.slice(0, 5), [
      `${CONFIG}: rules.overrides[0].id: no loaded rule has the id or name no_such_rule`,
      `${CONFIG}: rule 4537678a-fe21-4f02-99c0-c5abff5e477c: rules.overrides[1].timespan: timespan is for correlation rules; ssh_root_login is a detection rule`,
      `${CONFIG}: rule f06c4526-3ff7-4742-8959-e5cb80b784c5: rules.overrides[2].condition: an absence correlation has no condition`,
      `${CONFIG}: rule 479221da-5601-4a4b-9c27-a98c685c9137: rules.overrides[3].filters: filters are for detection rules; bruteforce_user is a correlation: add them to the rules it reads (auth_failure)`,
      `${CONFIG}: rules.overrides[4].level: Invalid option: expected one of "informational"|"low"|"medium"|"high"|"critical"`,
    ]);
    assert.match(msgs[5]!, /exceptions to ftp_login.*regex/);
    assert.equal(msgs.length, 6);
    // what did apply: the level of ssh_root_login, the disabling of kernel_oom_kill
    assert.deepEqual(
      l.applied.map((a) => a.what),
      ['level: low (was high)', 'disabled'],
    );
    assert.ok(l.rules.length > 20);
  });

  test('overridesByRule groups provenance per rule in order', () => {
    const l = load([
      { id: 'ssh_root_login', level: 'low' },
      { id: 'ftp_login', disabled: true },
      { id: 'ssh_root_login', level: 'critical' },
    ]);
    const m = overridesByRule(l.applied);
    assert.deepEqual(
      m.get('4537678a-fe21-4f02-99c0-c5abff5e477c')!.map((a) => [a.what, a.from]),
      [
        ['level: low (was high)', `${CONFIG}: rules.overrides[0]`],
        ['level: critical (was low)', `${CONFIG}: rules.overrides[2]`],
      ],
    );
    assert.equal(l.rules.find((r) => r.rule.name === 'ssh_root_login')!.level, 'critical');
  });

  test('applyOverrides works on parsed documents and leaves its input alone', () => {
    const docs = parseRuleFiles(ruleFiles([BUILTIN])).documents;
    const before = JSON.stringify(docs);
    const r = applyOverrides(
      docs,
      [{ id: 'ssh_root_login', level: 'low', filters: [{ 'user.name': 'x' }] }],
      CONFIG,
    );
    assert.equal(JSON.stringify(docs), before);
    assert.equal(r.documents.length, docs.length + 1);
    assert.equal(r.documents.at(-1)!.type, 'filter');
    assert.deepEqual(r.errors, []);
  });
});
