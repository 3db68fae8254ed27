import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { NabDetector } from '../../src/anomaly/nab-detector.js';
import { parseSeriesCsv } from '../../src/anomaly/series.js';
import { gaussian, rng } from './helpers.js';

const T0 = Date.parse('2014-03-07T00:00:00Z');
const STEP = 300_000;

function run(values: number[]): number[] {
  const d = new NabDetector();
  return values.map((v, i) => d.update(T0 + i * STEP, v));
}

function noisy(n: number, seed: number): number[] {
  const g = gaussian(rng(seed));
  return Array.from({ length: n }, (_, i) => 100 + 10 * Math.sin((2 * Math.PI * i) / 288) + g());
}

test('a spike in a daily-seasonal series is detected at the spike and nowhere else', () => {
  const values = noisy(3000, 7);
  values[2500] = values[2500]! + 40;
  const scores = run(values);
  const detections = scores.flatMap((s, i) => (s >= 0.5 && i > 450 ? [i] : []));
  assert.deepEqual(detections, [2500]);
});

test('a level shift is detected within a few points', () => {
  const values = noisy(3000, 8).map((v, i) => (i >= 2200 ? v + 15 : v));
  const scores = run(values);
  const first = scores.findIndex((s, i) => i >= 2200 && s >= 0.5);
  assert.ok(first >= 2200 && first < 2210, `first detection at ${first}`);
  assert.equal(scores.slice(450, 2200).filter((s) => s >= 0.5).length, 0);
});

test('garbage values score 0 and do not disturb what follows', () => {
  const values = noisy(2000, 9);
  const clean = run(values);
  const d = new NabDetector();
  const scores: number[] = [];
  values.forEach((v, i) => {
    if (i === 1500)
      for (const bad of [NaN, Infinity, -Infinity]) scores.push(d.update(T0 + i * STEP, bad));
    scores.push(d.update(T0 + i * STEP, v));
  });
  assert.deepEqual(scores.slice(1500, 1503), [0, 0, 0]);
  assert.deepEqual(scores.slice(1503), clean.slice(1500));
});

test('a flat series never alarms; its first change does', () => {
  const values = Array.from({ length: 1500 }, (_, i) => (i < 1200 ? 5 : 6));
  const scores = run(values);
  assert.equal(scores.slice(0, 1200).filter((s) => s >= 0.5).length, 0);
  assert.ok(scores[1200]! >= 0.5);
});

test('vigil anomaly replay writes one scored row per input row', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-replay-'));
  const input = join(dir, 'series.csv');
  const values = noisy(1200, 10);
  values[1000] = 200;
  const rows = values.map(
    (v, i) => `${new Date(T0 + i * STEP).toISOString().replace('T', ' ').slice(0, 19)},${v}`,
  );
  rows.splice(500, 0, '2014-03-08 17:40:00,not-a-number');
  writeFileSync(input, `timestamp,value\n${rows.join('\n')}\n`);
  const out = join(dir, 'scores.csv');
  const res = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'anomaly', 'replay', input, '-o', out],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(res.status, 0, res.stderr);
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'timestamp,value,anomaly_score');
  assert.equal(lines.length, rows.length + 1);
  assert.equal(lines[501], '2014-03-08 17:40:00,,0');
  const series = parseSeriesCsv(readFileSync(out, 'utf8'));
  assert.equal(series.values.length, rows.length);
  const flagged = lines
    .slice(1)
    .flatMap((l, i) => (Number(l.split(',')[2]) >= 0.5 && i > 200 ? [i] : []));
  assert.deepEqual(flagged, [1001]);
});
