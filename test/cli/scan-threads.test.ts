import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { vigil } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

/*
 * `vigil scan` matches on a worker thread and correlates on the main one;
 * `--threads 1` does it all on one. Both must give the same alerts in
 * the same order: single-event alerts, correlation windows closing on event
 * time (including the ones only the final flush closes), chained alerts.
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

test('scan: a worker thread and one thread raise the same alerts in the same order', (t) => {
  const dir = tmpDir(t);
  const log = path.join(dir, 'auth.log');
  fs.writeFileSync(log, authLog());
  const config = path.join(dir, 'vigil.yml');
  fs.writeFileSync(config, `data_dir: ${dir}\ntimezone: UTC\n`);
  const two = path.join(dir, 'two.jsonl');
  const one = path.join(dir, 'one.jsonl');
  const a = vigil(['scan', log, '--config', config, '--alerts', two, '--json', '--threads', '2']);
  const b = vigil(['scan', log, '--config', config, '--alerts', one, '--json', '--threads', '1']);
  assert.equal(a.status, 1, a.stderr);
  assert.equal(b.status, 1, b.stderr);
  const sa = JSON.parse(a.stdout);
  const sb = JSON.parse(b.stdout);
  assert.equal(sa.threads, 2);
  assert.equal(sb.threads, 1);
  for (const k of [
    'records',
    'events',
    'errors',
    'alerts',
    'by_category',
    'by_decoder',
    'by_rule',
  ]) {
    assert.deepEqual(sa[k], sb[k], k);
  }
  const alerts = fs.readFileSync(two, 'utf8');
  assert.equal(alerts, fs.readFileSync(one, 'utf8'));
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

test('scan: a file that cannot be read fails the same way with a worker thread', (t) => {
  const dir = tmpDir(t);
  const config = path.join(dir, 'vigil.yml');
  fs.writeFileSync(config, `data_dir: ${dir}\n`);
  const missing = path.join(dir, 'nope.log');
  const a = vigil(['scan', missing, '--config', config, '--threads', '2']);
  const b = vigil(['scan', missing, '--config', config, '--threads', '1']);
  assert.equal(a.status, b.status);
  assert.notEqual(a.status, 0);
  assert.equal(a.stderr.split('\n').at(-2), b.stderr.split('\n').at(-2));
});

test('scan: --errors lists decoding errors from the worker thread', (t) => {
  const dir = tmpDir(t);
  const log = path.join(dir, 'mixed.log');
  fs.writeFileSync(
    log,
    '{"broken json\nDec 10 06:55:46 LabSZ sshd[24200]: Invalid user x from 10.0.0.1\n',
  );
  const config = path.join(dir, 'vigil.yml');
  fs.writeFileSync(config, `data_dir: ${dir}\n`);
  const a = vigil(['scan', log, '--config', config, '--errors', '--threads', '2']);
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
  const bad = vigil(['scan', log, '--config', config, '--threads', '3']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--threads/);
});
