import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { exited, vigil, vigilSpawn, waitFor } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const ROOT_LOGIN = `title: SSH login attempt as root
id: 5f4a9d9e-0c1b-4f7e-9a55-3d0c2f3b1a01
status: test
author: vigil
logsource: {product: linux, service: sshd}
detection:
  sel:
    event.action: ssh_login
    user.name: root
  condition: sel
level: high
tags: [attack.t1078]
`;

// Short excerpt of loghub OpenSSH_2k.log (shared/corpora/loghub/OpenSSH).
const LOG = `Dec 10 07:07:38 LabSZ sshd[24206]: Failed password for root from 52.80.34.196 port 36060 ssh2
Dec 10 07:08:28 LabSZ sshd[24208]: Failed password for invalid user webmaster from 173.234.31.186 port 39257 ssh2
Dec 10 07:13:43 LabSZ sshd[24227]: Failed password for root from 5.36.59.76 port 42393 ssh2
`;

function setup(t: { after: (fn: () => void) => void }) {
  const dir = tmpDir(t);
  const rules = path.join(dir, 'rules');
  fs.mkdirSync(rules);
  fs.writeFileSync(path.join(rules, 'root.yml'), ROOT_LOGIN);
  const config = path.join(dir, 'vigil.yml');
  fs.writeFileSync(
    config,
    `data_dir: ${path.join(dir, 'data')}\nrules:\n  builtin: false\n  dirs: [${rules}]\n`,
  );
  const log = path.join(dir, 'auth.log');
  fs.writeFileSync(log, LOG);
  return { dir, rules, config, log };
}

test('scan matches rules, prints and writes alerts, exits 1 on findings', (t) => {
  const { dir, config, log } = setup(t);
  const alerts = path.join(dir, 'alerts.jsonl');
  const res = vigil(['scan', log, '--alerts', alerts, '--config', config]);
  assert.equal(res.status, 1, res.stderr);
  assert.match(res.stdout, /3 events, 0 with errors, 2 alerts/);
  assert.match(
    res.stdout,
    /alerts by rule:\n\s+high SSH login attempt as root \[5f4a9d9e-0c1b-4f7e-9a55-3d0c2f3b1a01\]\s+2\n/,
  );
  const written = fs
    .readFileSync(alerts, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    written.map((a) => [a.rule.id, a.source.ip, a.severity]),
    [
      ['5f4a9d9e-0c1b-4f7e-9a55-3d0c2f3b1a01', '52.80.34.196', 12],
      ['5f4a9d9e-0c1b-4f7e-9a55-3d0c2f3b1a01', '5.36.59.76', 12],
    ],
  );
  const quiet = vigil(['scan', '--no-rules', log, '--config', config]);
  assert.equal(quiet.status, 0);
  assert.match(quiet.stdout, /0 alerts/);
});

test('logtest shows which rule matched and through which selection', (t) => {
  const { config } = setup(t);
  const res = vigil(['logtest', '--config', config, LOG.split('\n')[0]!]);
  assert.equal(res.status, 0, res.stderr);
  assert.match(
    res.stdout,
    /rules:\n\s+match\s+high\s+SSH login attempt as root \[5f4a9d9e-0c1b-4f7e-9a55-3d0c2f3b1a01\]\s+selections sel\n/,
  );
  const miss = vigil(['logtest', '--config', config, LOG.split('\n')[1]!]);
  assert.match(miss.stdout, /rules: none matched/);
});

test('rules list and rules check report active, inactive and broken rules', (t) => {
  const { rules, config } = setup(t);
  fs.writeFileSync(
    path.join(rules, 'windows.yml'),
    'title: a windows rule\nid: 0b0e8a52-44a5-4b3f-9d51-6f3f9d1c2a11\nlogsource: {product: windows, service: security}\ndetection:\n  sel: {EventID: 4625}\n  condition: sel\n',
  );
  fs.writeFileSync(
    path.join(rules, 'broken.yml'),
    "title: backreference\nid: 7d0e8a52-44a5-4b3f-9d51-6f3f9d1c2a11\nlogsource: {product: linux, service: sshd}\ndetection:\n  sel: {message|re: '(a)\\1'}\n  condition: sel\n",
  );
  const list = vigil(['rules', 'list', '--json', '--config', config]);
  assert.equal(list.status, 0, list.stderr);
  const rows = list.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(rows.map((r) => [r.status, r.title]).sort(), [
    ['active', 'SSH login attempt as root'],
    ['error', 'backreference'],
    ['inactive', 'a windows rule'],
  ]);
  const check = vigil(['rules', 'check', rules]);
  assert.equal(check.status, 2);
  assert.match(
    check.stderr,
    /broken\.yml: rule 7d0e8a52-44a5-4b3f-9d51-6f3f9d1c2a11 "backreference": detection\.sel\.message\|re: .*linear time/,
  );
  const ok = vigil(['rules', 'check', path.join(rules, 'root.yml')]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /1 files: 1 rules compile, 0 inactive, 0 errors/);
});

test(
  'vigil start alerts, logs alerts, reloads changed rules and keeps the old set when the new one is broken',
  { timeout: 90_000 },
  async (t) => {
    const { dir, rules, config, log } = setup(t);
    fs.writeFileSync(
      config,
      `data_dir: ${path.join(dir, 'data')}\ntimezone: UTC\nrules:\n  builtin: false\n  dirs: [${rules}]\nsources:\n  - type: file\n    paths: [${log}]\n    start_at: beginning\n    poll_interval: 50ms\nstore:\n  batch: { interval: 50ms }\n`,
    );
    const child = vigilSpawn(['start', '--config', config]);
    t.after(() => child.kill('SIGKILL'));
    const alertLog = path.join(dir, 'data', 'alerts.jsonl');
    const alertCount = () =>
      fs.existsSync(alertLog)
        ? fs.readFileSync(alertLog, 'utf8').trim().split('\n').filter(Boolean).length
        : 0;
    await waitFor('two alerts logged', () => alertCount() === 2);

    // A broken edit: the old rule set stays active.
    fs.writeFileSync(
      path.join(rules, 'root.yml'),
      ROOT_LOGIN.replace('condition: sel', 'condition: sel and'),
    );
    await waitFor('broken reload reported', () =>
      /rules not reloaded: 1 error/.test(child.output()),
    );
    fs.appendFileSync(
      log,
      'Dec 10 07:20:00 LabSZ sshd[24300]: Failed password for root from 198.51.100.1 port 1 ssh2\n',
    );
    await waitFor('old rules still alert', () => alertCount() === 3);

    // A good edit takes effect: now invalid-user attempts alert instead.
    fs.writeFileSync(
      path.join(rules, 'root.yml'),
      ROOT_LOGIN.replace('user.name: root', 'user.name: guest'),
    );
    await waitFor('reloaded', () => /rules reloaded: 1 active/.test(child.output()));
    fs.appendFileSync(
      log,
      'Dec 10 07:21:00 LabSZ sshd[24301]: Failed password for root from 198.51.100.2 port 1 ssh2\n',
    );
    fs.appendFileSync(
      log,
      'Dec 10 07:22:00 LabSZ sshd[24302]: Failed password for invalid user guest from 198.51.100.3 port 1 ssh2\n',
    );
    await waitFor('new rule alerts', () => alertCount() === 4);
    const last = JSON.parse(fs.readFileSync(alertLog, 'utf8').trim().split('\n').at(-1)!);
    assert.equal(last.source.ip, '198.51.100.3');

    child.kill('SIGTERM');
    assert.equal((await exited(child)).code, 0, child.output());
    const stored = JSON.parse(vigil(['status', '--json', '--config', config]).stdout);
    assert.equal(stored.store.alerts, 4);
  },
);

const BLACKLISTED = `title: Login attempt from a blacklisted host
id: 9a1c3c4e-6f0b-4b7a-8f7e-2b1f0c9d8e71
status: test
author: vigil
logsource: {product: linux, service: sshd}
detection:
  sel:
    source.ip|inlist: blacklist
  condition: sel
level: high
`;

test(
  'inlist reads static lists from the config and live ones added while vigil runs',
  { timeout: 90_000 },
  async (t) => {
    const { dir, rules, log } = setup(t);
    fs.rmSync(path.join(rules, 'root.yml'));
    fs.writeFileSync(path.join(rules, 'blacklisted.yml'), BLACKLISTED);
    const listFile = path.join(dir, 'bad-hosts.txt');
    fs.writeFileSync(listFile, '# known bad\n5.36.59.0/24\n');
    const config = path.join(dir, 'vigil.yml');
    fs.writeFileSync(
      config,
      `data_dir: ${path.join(dir, 'data')}\ntimezone: UTC\nrules:\n  builtin: false\n  dirs: [${rules}]\nlists:\n  blacklist:\n    file: ${listFile}\n    values: [52.80.34.196]\nsources:\n  - type: file\n    paths: [${log}]\n    start_at: beginning\n    poll_interval: 50ms\nstore:\n  batch: { interval: 50ms }\n`,
    );
    const alerts = path.join(dir, 'scan-alerts.jsonl');
    const scan = vigil(['scan', log, '--alerts', alerts, '--config', config]);
    assert.equal(scan.status, 1, scan.stderr);
    const ips = fs
      .readFileSync(alerts, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).source.ip);
    assert.deepEqual(ips, ['52.80.34.196', '5.36.59.76']);

    const child = vigilSpawn(['start', '--config', config]);
    t.after(() => child.kill('SIGKILL'));
    const alertLog = path.join(dir, 'data', 'alerts.jsonl');
    const logged = () =>
      fs.existsSync(alertLog)
        ? fs.readFileSync(alertLog, 'utf8').trim().split('\n').filter(Boolean)
        : [];
    await waitFor('static list alerts', () => logged().length === 2);
    const add = vigil([
      'lists',
      'add',
      'blacklist',
      '173.234.31.186',
      '--ttl',
      '1h',
      '--config',
      config,
    ]);
    assert.equal(add.status, 0, add.stderr);
    assert.match(add.stdout, /^added 1 to blacklist until /);
    await new Promise((r) => setTimeout(r, 6000));
    fs.appendFileSync(
      log,
      'Dec 10 08:00:00 LabSZ sshd[25000]: Failed password for invalid user admin from 173.234.31.186 port 40000 ssh2\n',
    );
    await waitFor('live list alert', () => logged().length === 3, 20_000);
    assert.equal(JSON.parse(logged()[2]!).source.ip, '173.234.31.186');
    child.kill('SIGTERM');
    assert.equal((await exited(child)).code, 0, child.output());

    const shown = vigil(['lists', 'blacklist', '--json', '--config', config]);
    const rows = shown.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      rows.map((r) => [r.value, r.origin.split(' ')[0]]),
      [
        ['173.234.31.186', 'cli'],
        ['5.36.59.0/24', 'config'],
        ['52.80.34.196', 'config'],
      ],
    );
  },
);

test('config overrides tune shipped rules; rules list shows each with its provenance', (t) => {
  const dir = tmpDir(t);
  const config = path.join(dir, 'vigil.yml');
  fs.writeFileSync(
    config,
    [
      `data_dir: ${path.join(dir, 'data')}`,
      'rules:',
      '  overrides:',
      '    - { id: ssh_invalid_user, disabled: true }',
      '    - { id: ssh_root_login, level: critical }',
      '    - { id: bruteforce_source_ip, condition: { gt: 20 }, timespan: 10m }',
      '',
    ].join('\n'),
  );
  const list = vigil(['rules', 'list', '--json', '--config', config]);
  assert.equal(list.status, 0, list.stderr);
  const rows = list.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const byTitle = (re: RegExp) => rows.find((r) => re.test(String(r.title)))!;
  const invalid = byTitle(/invalid user/i);
  assert.equal(invalid.status, 'inactive');
  assert.match(String(invalid.why), new RegExp(`disabled by ${config}: rules.overrides\\[0\\]`));
  const root = byTitle(/^Root login over SSH/);
  assert.equal(root.level, 'critical');
  assert.deepEqual(root.overrides, [
    { what: 'level: critical (was high)', from: `${config}: rules.overrides[1]` },
  ]);
  const brute = byTitle(/^Brute force from one address/);
  assert.deepEqual(
    (brute.overrides as Array<{ what: string }>).map((o) => o.what),
    ['timespan: 10m (was 5m)', 'condition: gt 20 (was gt 5)'],
  );

  const text = vigil(['rules', 'list', '--config', config]);
  assert.match(text.stdout, /override: level: critical \(was high\)/);
  assert.match(text.stdout, /4 overrides/);

  const bad = path.join(dir, 'bad.yml');
  fs.writeFileSync(bad, 'rules:\n  overrides:\n    - { id: x, level: severe }\n');
  const res = vigil(['config', 'check', '--config', bad]);
  assert.equal(res.status, 2);
  assert.match(res.stderr, /rules\.overrides\.0\.level|rules\.overrides\[0\]\.level/);
});

test('rules test runs rule samples: exit 0 when all pass, 1 naming the failing sample', (t) => {
  const { rules, config } = setup(t);
  const ok = vigil(['rules', 'test', '--config', config]);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /passed, 0 failed/);

  fs.writeFileSync(
    path.join(rules, 'root.tests.yml'),
    [
      'tests:',
      '  - name: root fails',
      '    lines:',
      "      - 'Mar 15 10:00:01 web1 sshd[1234]: Failed password for root from 203.0.113.5 port 4242 ssh2'",
      '    expect: { alerts: 1 }',
      '  - name: alice is not root',
      '    lines:',
      "      - 'Mar 15 10:00:01 web1 sshd[1234]: Failed password for alice from 203.0.113.5 port 4242 ssh2'",
      '    expect: { alerts: 1 }',
      '',
    ].join('\n'),
  );
  const res = vigil(['rules', 'test', rules, '--config', config]);
  assert.equal(res.status, 1, res.stdout + res.stderr);
  assert.match(res.stdout, /FAIL .*alice is not root/);
  assert.match(res.stdout, /2 tests in 1 file: 1 passed, 1 failed/);
});

test(
  'vigil status reports the memory of each correlation while vigil runs',
  { timeout: 60_000 },
  async (t) => {
    const { dir, log } = setup(t);
    const config = path.join(dir, 'vigil.yml');
    fs.writeFileSync(
      config,
      `data_dir: ${path.join(dir, 'data')}\ntimezone: UTC\nsources:\n  - type: file\n    paths: [${log}]\n    start_at: beginning\n    poll_interval: 50ms\nstore:\n  batch: { interval: 50ms }\n`,
    );
    const child = vigilSpawn(['start', '--config', config]);
    t.after(() => child.kill('SIGKILL'));
    type Status = { run?: { counters: Record<string, Record<string, number>> } };
    const memory = () => {
      const res = vigil(['status', '--json', '--config', config]);
      if (res.status !== 0) return undefined;
      const counters = (JSON.parse(res.stdout) as Status).run?.counters ?? {};
      return Object.entries(counters).filter(([scope]) => scope.startsWith('correlation:'));
    };
    // Three failures from three addresses: the per-address correlation holds three groups.
    await waitFor(
      'correlation gauges saved',
      () => memory()?.some(([, g]) => g.groups === 3 && g.approx_bytes! > 256) ?? false,
      30_000,
    );
    for (const [, g] of memory()!) {
      for (const k of ['groups', 'entries', 'approx_bytes', 'fired', 'evicted'])
        assert.equal(typeof g[k], 'number', k);
    }
    const text = vigil(['status', '--config', config]).stdout;
    assert.match(text, /correlation:.*groups=?\s*\d/);
    child.kill('SIGTERM');
    assert.equal((await exited(child)).code, 0, child.output());
  },
);
