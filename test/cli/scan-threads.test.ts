import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { vigil } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

/*
 * `vigil scan` matches on worker threads and correlates on the main one;
 * `--threads 1` does it all on one. All must give the same alerts in the
 * same order: single-event alerts, correlation windows closing on event
 * time (including the ones only the final flush closes), chained alerts,
 * sshd sessions whose lines interleave across workers.
 */

/** A log with brute force from two addresses, a spray, invalid users and a root login. */
function authLog(): string {
  const lines: string[] = [];
  const at = (s: number) => {
    const d = new Date(Date.UTC(2026, 10, 1, 8, 0, 0) + s * 1000);
    const mon = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
    const day = String(d.getUTCDate()).padStart(2, ' ');
    return `${mon} ${day} ${d.toISOString().slice(11, 19)}`;
  };
  let pid = 4000;
  let s = 0;
  const fail = (ip: string, user: string, invalid = false) => {
    pid++;
    s += 7;
    if (invalid)
      lines.push(`${at(s)} web1 sshd[${pid}]: Invalid user ${user} from ${ip} port 5${pid}`);
    lines.push(
      `${at(s)} web1 sshd[${pid}]: Failed password for ${invalid ? 'invalid user ' : ''}${user} from ${ip} port 5${pid} ssh2`,
    );
  };
  for (let i = 0; i < 8; i++) fail('203.0.113.7', 'root');
  // A failure that names no address is held until its session names one,
  // while other connections log in between.
  s += 5;
  lines.push(
    `${at(s)} web1 sshd[7001]: Disconnecting: Too many authentication failures for root [preauth]`,
    `${at(s)} web1 sshd[7002]: Failed password for admin from 192.0.2.50 port 7002 ssh2`,
    `${at(s + 1)} web2 sshd[7003]: Failed password for admin from 192.0.2.51 port 7003 ssh2`,
    `${at(s + 2)} web1 sshd[7001]: Connection closed by authenticating user root 198.51.100.77 port 4444 [preauth]`,
  );
  for (const u of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina'])
    fail('198.51.100.9', u, true);
  s += 3600;
  for (let i = 0; i < 3; i++) fail('192.0.2.44', 'admin');
  pid++;
  lines.push(
    `${at(s + 5)} web1 sshd[${pid}]: Accepted password for root from 192.0.2.44 port 6000 ssh2`,
  );
  // Ends the input inside an open window.
  for (let i = 0; i < 7; i++) fail('203.0.113.99', 'oracle');
  return lines.join('\n') + '\n';
}

test('scan: worker threads and one thread raise the same alerts in the same order', (t) => {
  const dir = tmpDir(t);
  const log = path.join(dir, 'auth.log');
  fs.writeFileSync(log, authLog());
  const config = path.join(dir, 'vigil.yml');
  fs.writeFileSync(config, `data_dir: ${dir}\ntimezone: UTC\n`);
  const run = (threads: number) => {
    const file = path.join(dir, `alerts-${threads}.jsonl`);
    const res = vigil([
      'scan',
      log,
      '--config',
      config,
      '--alerts',
      file,
      '--json',
      '--threads',
      `${threads}`,
    ]);
    assert.equal(res.status, 1, res.stderr);
    const summary = JSON.parse(res.stdout);
    assert.equal(summary.threads, threads);
    return { summary, alerts: fs.readFileSync(file, 'utf8') };
  };
  const one = run(1);
  const alerts = one.alerts;
  for (const threads of [2, 3]) {
    const many = run(threads);
    for (const k of [
      'records',
      'events',
      'errors',
      'alerts',
      'by_category',
      'by_decoder',
      'by_outcome',
      'by_rule',
    ]) {
      assert.deepEqual(many.summary[k], one.summary[k], `${threads} threads: ${k}`);
    }
    assert.equal(many.alerts, alerts, `${threads} threads`);
  }
  const titles = alerts
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { rule: { title: string } }).rule.title);
  // Every source with more than 5 failures in 5 minutes.
  const sources = alerts
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { rule: { title: string }; group?: Record<string, string> })
    .filter((x) => /Brute force from one address/.test(x.rule.title))
    .map((x) => x.group?.['source.ip']);
  assert.deepEqual(sources.sort(), ['198.51.100.9', '203.0.113.7', '203.0.113.99']);
  assert.ok(
    titles.some((x) => /invalid user/i.test(x)),
    titles.join('\n'),
  );
});

test('scan: a file that cannot be read fails the same way with worker threads', (t) => {
  const dir = tmpDir(t);
  const config = path.join(dir, 'vigil.yml');
  fs.writeFileSync(config, `data_dir: ${dir}\n`);
  const missing = path.join(dir, 'nope.log');
  const a = vigil(['scan', missing, '--config', config, '--threads', '3']);
  const b = vigil(['scan', missing, '--config', config, '--threads', '1']);
  assert.equal(a.status, b.status);
  assert.notEqual(a.status, 0);
  assert.equal(a.stderr.split('\n').at(-2), b.stderr.split('\n').at(-2));
});

test('scan: --errors lists decoding errors from worker threads', (t) => {
  const dir = tmpDir(t);
  const log = path.join(dir, 'mixed.log');
  fs.writeFileSync(
    log,
    '{"broken json\nDec 10 06:55:46 LabSZ sshd[24200]: Invalid user x from 10.0.0.1\n',
  );
  const config = path.join(dir, 'vigil.yml');
  fs.writeFileSync(config, `data_dir: ${dir}\n`);
  const a = vigil(['scan', log, '--config', config, '--errors', '--threads', '3']);
  const b = vigil(['scan', log, '--config', config, '--errors', '--threads', '1']);
  // The time of an undatable record is when it was read.
  const stable = (s: string) =>
    s.replace(/in [\d.]+ s \(\d+ records\/s\)/, '').replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'T');
  assert.equal(stable(a.stdout), stable(b.stdout));
  assert.match(a.stdout, /errors:\n/);
});

test('scan: a small input stays on one thread unless asked', (t) => {
  const dir = tmpDir(t);
  const log = path.join(dir, 'auth.log');
  fs.writeFileSync(log, authLog());
  const config = path.join(dir, 'vigil.yml');
  fs.writeFileSync(config, `data_dir: ${dir}\n`);
  const res = vigil(['scan', log, '--config', config, '--json']);
  assert.equal(JSON.parse(res.stdout).threads, 1);
  for (const value of ['0', 'x', '2.5', '17']) {
    const bad = vigil(['scan', log, '--config', config, '--threads', value]);
    assert.equal(bad.status, 2, value);
    assert.match(bad.stderr, /--threads/);
  }
});
