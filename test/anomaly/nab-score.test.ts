import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  probationLength,
  scaledSigmoid,
  scoreCorpus,
  windowsToIndices,
  type ScoredFile,
} from '../../src/anomaly/nab-score.js';

const N = 1000;
/** One window over rows 500..599 (past the 150-row probation). */
const WINDOW = [{ start: 500, end: 599 }];

function file(detectAt: number[], windows = WINDOW): ScoredFile {
  const scores = new Float64Array(N);
  for (const i of detectAt) scores[i] = 1;
  return { name: 'f', scores, windows };
}

test('scaled sigmoid: +0.987 at a window start, 0 at its end, −1 from 3 widths past', () => {
  assert.equal(scaledSigmoid(-1).toFixed(5), '0.98661');
  assert.equal(scaledSigmoid(0), 0);
  assert.equal(scaledSigmoid(-0.5).toFixed(5), '0.84828');
  assert.equal(scaledSigmoid(3), -1);
  assert.equal(probationLength(1000), 150);
  assert.equal(probationLength(22_695), 750);
});

test('a detection at the left edge of every window scores 100; none scores 0', () => {
  const perfect = scoreCorpus([file([500])], 'standard');
  assert.equal(perfect.normalized, 100);
  assert.equal(perfect.tp, 1);
  const none = scoreCorpus([file([])], 'standard');
  assert.equal(none.normalized, 0);
  assert.equal(none.raw, -1);
});

test('only the earliest detection in a window counts; later ones add nothing', () => {
  const one = scoreCorpus([file([550])], 'standard');
  const many = scoreCorpus([file([550, 560, 590])], 'standard');
  assert.equal(one.raw, many.raw);
  // Halfway in: 2σ(2.5)−1 = 0.848 (scaled by 1/0.987), well above a late detection.
  assert.ok(Math.abs(one.raw - 0.8598) < 0.001, String(one.raw));
});

test('a false positive before any window costs the full fpWeight; probation is ignored', () => {
  const withFp = scoreCorpus([file([500, 300])], 'reward_low_FP_rate');
  assert.ok(Math.abs(withFp.raw - (1 - 0.22)) < 1e-9, String(withFp.raw));
  const inProbation = scoreCorpus([file([500, 100])], 'reward_low_FP_rate');
  assert.equal(inProbation.raw, 1);
  // Just after a window a false positive is nearly free; far after it costs almost fpWeight.
  const near = scoreCorpus([file([500, 601])], 'standard');
  const far = scoreCorpus([file([500, 950])], 'standard');
  assert.ok(near.raw > far.raw && far.raw < 1 - 0.1, `${near.raw} ${far.raw}`);
});

test('the threshold is swept: scores below the best threshold do not count', () => {
  const f = file([520]);
  (f.scores as Float64Array)[300] = 0.4; // a weaker false positive
  const r = scoreCorpus([f], 'standard');
  assert.equal(r.threshold, 1);
  assert.equal(r.fp, 0);
});

test('windows map from timestamps to the rows they cover', () => {
  const ts = Float64Array.from({ length: 10 }, (_, i) => i * 1000);
  assert.deepEqual(windowsToIndices(ts, [[2500, 6000]]), [{ start: 3, end: 6 }]);
  assert.deepEqual(windowsToIndices(ts, [[20_000, 30_000]]), []);
});
