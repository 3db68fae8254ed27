import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { AnomalyEngine } from '../../src/anomaly/engine.js';
import { AnomalyStateStore } from '../../src/anomaly/persist.js';
import { gaussian, rng, weekly, config } from '../anomaly/helpers.js';
import { vigil } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const STEP = 5 * 60_000;
const WEEK = 7 * 86_400_000;

/**
 * A store as `vigil start` leaves it: three weeks of a weekly load ending
 * now (so the report's 24h/7d peaks have data) with a spike in the last
 * sample, and an ssh source distribution dominated by one address. The
 * spike tops the week's highest sample whatever the time of week: the load
 * swings between about 15 and 76.
 */
function populate(data: string): void {
  const engine = new AnomalyEngine(config());
  const g = gaussian(rng(7));
  const end = Math.floor(Date.now() / STEP) * STEP;
  for (let t = end - 3 * WEEK; t <= end; t += STEP) {
    engine.sample('web1', 'load', t, weekly(t, g) + (t === end ? 80 : 0), undefined);
  }
  for (let t = end - 2 * 3_600_000; t <= end; t += STEP) {
    const dist = { '203.0.113.9': 300, '198.51.100.1': 4, '198.51.100.2': 3 };
    engine.sample('gw', 'port.ssh.in', t, 307, dist);
  }
  const store = new AnomalyStateStore(path.join(data, 'vigil.db'));
  assert.equal(store.save(engine.states.values()), 2);
  store.close();
}

/**
 * Well-formed XML, checked by hand (no XML parser among the dependencies):
 * every tag closes in order, attributes are quoted, text has no bare `<`/`&`.
 */
function assertWellFormedXml(xml: string): string[] {
  const stack: string[] = [];
  const seen: string[] = [];
  const tokens = xml.split(/(<[^>]*>)/);
  for (const tok of tokens) {
    if (!tok.startsWith('<')) {
      assert.doesNotMatch(tok, /<|&(?!(lt|gt|amp|quot|apos);)/, `bad text ${tok}`);
      continue;
    }
    const m = /^<(\/?)([A-Za-z][\w-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>$/.exec(tok);
    assert.ok(m, `malformed tag ${tok}`);
    const [, close, name, , selfClose] = m;
    if (close) assert.equal(stack.pop(), name, `</${name}> closes the wrong element`);
    else {
      seen.push(name!);
      if (!selfClose) stack.push(name!);
    }
  }
  assert.deepEqual(stack, [], 'unclosed elements');
  return seen;
}

test('vigil anomaly: show, report, export --csv/--svg and reset on a learned store', (t) => {
  const dir = tmpDir(t);
  const data = path.join(dir, 'data');
  const run = (...args: string[]) => vigil(['-d', data, 'anomaly', ...args], { cwd: dir });

  const none = run('show');
  assert.equal(none.status, 3);
  assert.match(none.stderr, /no store at .*vigil\.db/);

  populate(data);
  const show = run('show');
  assert.equal(show.status, 0, show.stderr);
  const lines = show.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^host +metric +value +average +stddev +σ +trend +classes$/);
  assert.equal(lines.length, 3);
  // The last load sample was a +40 spike: far above its slot, all σ classes.
  assert.match(
    lines[1]!,
    /^web1 +load +[\d.]+ .* load_high_dev1 load_high_dev2 load_high_anomaly$/,
  );
  const rows = run('--json', 'show')
    .stdout.trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const load = rows.find((r) => r.metric === 'load');
  assert.ok(load.sigma > 3 && load.value > load.mean + 3 * load.stddev, JSON.stringify(load));

  const report = run('report');
  assert.equal(report.status, 0, report.stderr);
  assert.match(report.stdout, /^host +metric +peak 24h +at +peak 7d +at\n/);
  const loadRow = report.stdout.split('\n').find((l) => /^web1 +load /.test(l))!;
  // The spike is the peak of both the day and the week.
  const peaks = loadRow.split(/ +/);
  assert.equal(peaks[2], peaks[4]);
  assert.ok(Number(peaks[2]) > 80, loadRow);
  assert.match(
    report.stdout,
    /gw port\.ssh\.in: entropy [\d.]+% {2}203\.0\.113\.9 9[5-9]\.\d%, 198\.51\.100\.1 /,
  );

  const csv = run('export', 'load', '--csv');
  assert.equal(csv.status, 0, csv.stderr);
  const csvLines = csv.stdout.trimEnd().split('\n');
  assert.equal(csvLines[0], 'slot,time,mean,stddev,last,count');
  assert.equal(csvLines.length, 1 + 2016);
  assert.match(csvLines[1]!, /^0,Mon 00:00,[\d.]+,[\d.]+,[\d.]+,3$/);
  assert.match(csvLines[2016]!, /^2015,Sun 23:55,/);

  const out = path.join(dir, 'load.svg');
  const svg = run('export', 'load', '--svg', '-o', out);
  assert.equal(svg.status, 0, svg.stderr);
  const xml = fs.readFileSync(out, 'utf8');
  const elements = assertWellFormedXml(xml);
  assert.equal(elements[0], 'svg');
  // The ±σ band (a polygon) and the mean and last-value lines.
  assert.ok(elements.includes('polygon') && elements.includes('polyline'), elements.join(' '));
  assert.match(xml, /<polygon points="(\d+\.\d,\d+\.\d ){100,}/);

  const both = run('export', 'load', '--csv', '--svg');
  assert.equal(both.status, 2);
  assert.match(both.stderr, /pass exactly one of --csv or --svg/);

  const reset = run('reset', 'load');
  assert.equal(reset.status, 0, reset.stderr);
  assert.match(reset.stdout, /^forgot 1 baseline\(s\) of load/);
  const gone = run('export', 'load', '--csv');
  assert.equal(gone.status, 2);
  assert.match(gone.stderr, /no learned baseline for load/);
  assert.equal(run('reset', 'load').status, 1);
});

test('vigil anomaly replay: one scored row per input row, bad rows kept, not fatal', (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'series.csv');
  const rows: string[] = [];
  const start = Date.parse('2014-03-07T00:00:00Z');
  for (let i = 0; i < 2000; i++) {
    const ts = new Date(start + i * STEP).toISOString().replace('T', ' ').slice(0, 19);
    const v = 100 + 10 * Math.sin((2 * Math.PI * i) / 288) + (i === 1500 ? 80 : 0);
    rows.push(`${ts},${v.toFixed(3)}`);
  }
  // Garbage rows: a non-number, an empty value, an unreadable time.
  rows.splice(100, 0, '2014-03-07 08:20:00,n/a');
  rows.splice(200, 0, '2014-03-07 16:40:00,');
  rows.splice(300, 0, 'yesterday,42');
  fs.writeFileSync(file, `timestamp,value\n${rows.join('\n')}\n`);

  const res = vigil(['anomaly', 'replay', file], { cwd: dir });
  assert.equal(res.status, 0, res.stderr);
  const out = res.stdout.trimEnd().split('\n');
  assert.equal(out[0], 'timestamp,value,anomaly_score');
  assert.equal(out.length - 1, rows.length);
  const scores = out.slice(1).map((l) => {
    const [ts, , score] = l.split(',');
    return { ts, score: Number(score) };
  });
  for (const s of scores) assert.ok(s.score >= 0 && s.score <= 1, `${s.ts}: ${s.score}`);
  assert.equal(out[101], '2014-03-07 08:20:00,,0');
  assert.equal(out[301], 'yesterday,42,0');
  assert.match(res.stderr, /series\.csv: 3 of 2003 rows unreadable, scored 0\n$/);
  // Timestamps come back verbatim and in order.
  assert.deepEqual(
    scores.map((s) => s.ts),
    rows.map((r) => r.split(',')[0]),
  );
  // The +80 jump (row 1500 of the clean series, 1503 with the garbage) is
  // detected, once the detector has a history to price surprises against.
  assert.ok(scores[1503]!.score >= 0.5, String(scores[1503]!.score));

  const missing = vigil(['anomaly', 'replay', path.join(dir, 'nope.csv')], { cwd: dir });
  assert.equal(missing.status, 3);
  assert.match(missing.stderr, /cannot read .*nope\.csv/);
});
