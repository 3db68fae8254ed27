import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnomalyEngine } from '../../src/anomaly/engine.js';
import { entropyClass, entropyLevel, shannonEntropy } from '../../src/anomaly/entropy.js';
import type { Event } from '../../src/event/types.js';
import { config, START, STEP } from './helpers.js';

// The defaults of `anomaly.entropy`.
const LIMITS = { low: 0.3, high: 0.95, minTotal: 10, minSources: 8 };

/** `n` sources named s0..s(n-1), each with `count` connections. */
const uniform = (n: number, count: number): Record<string, number> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`s${i}`, count]));

test('one source dominating reads as low entropy, a uniform crowd as high', () => {
  const flood = shannonEntropy({ ...uniform(9, 1), attacker: 991 });
  assert.equal(flood.sources, 10);
  assert.equal(flood.total, 1000);
  // −0.991·log2(0.991) − 9·0.001·log2(0.001) ≈ 0.1026 bits of log2(10) ≈ 3.32.
  assert.ok(Math.abs(flood.bits - 0.1026) < 1e-4, String(flood.bits));
  assert.ok(flood.normalized < 0.05, String(flood.normalized));
  assert.equal(entropyLevel(flood, LIMITS), 'low');

  const scan = shannonEntropy(uniform(200, 5));
  assert.ok(Math.abs(scan.bits - Math.log2(200)) < 1e-9, String(scan.bits));
  assert.ok(Math.abs(scan.normalized - 1) < 1e-12);
  assert.equal(entropyLevel(scan, LIMITS), 'high');

  // Two even halves: 1 bit, maximal for two sources, but too few sources to be "many".
  const pair = shannonEntropy({ a: 50, b: 50 });
  assert.equal(pair.bits, 1);
  assert.equal(pair.normalized, 1);
  assert.equal(entropyLevel(pair, LIMITS), undefined);

  // A skewed but mixed crowd is neither.
  const mixed = shannonEntropy({ a: 40, b: 30, c: 20, d: 10, e: 5, f: 5, g: 5, h: 5 });
  assert.ok(mixed.normalized > 0.3 && mixed.normalized < 0.95, String(mixed.normalized));
  assert.equal(entropyLevel(mixed, LIMITS), undefined);
});

test('entropy edge cases: empty, a single key, zero and garbage counts, huge counts', () => {
  assert.deepEqual(shannonEntropy({}), { bits: 0, normalized: 0, sources: 0, total: 0 });
  assert.equal(entropyLevel(shannonEntropy({}), LIMITS), undefined);

  // One source is the extreme of "one source dominates" once there is enough traffic.
  const single = shannonEntropy({ only: 500 });
  assert.deepEqual(single, { bits: 0, normalized: 0, sources: 1, total: 500 });
  assert.equal(entropyLevel(single, LIMITS), 'low');
  // ... and says nothing below min_connections.
  assert.equal(entropyLevel(shannonEntropy({ only: 3 }), LIMITS), undefined);

  // Zero, negative and non-finite counts are not sources.
  const dirty = shannonEntropy({ a: 5, zero: 0, neg: -3, nan: NaN, inf: Infinity, b: 5 });
  assert.deepEqual(dirty, { bits: 1, normalized: 1, sources: 2, total: 10 });
  assert.deepEqual(shannonEntropy({ zero: 0, neg: -1 }), {
    bits: 0,
    normalized: 0,
    sources: 0,
    total: 0,
  });

  // Counts whose sum overflows a double still give the entropy of their shares.
  const huge = shannonEntropy({ a: 1e308, b: 1e308, c: 1e308, d: 1e308 });
  assert.ok(Math.abs(huge.bits - 2) < 1e-12, String(huge.bits));
  assert.ok(Math.abs(huge.normalized - 1) < 1e-12);
  const big = shannonEntropy({ a: Number.MAX_SAFE_INTEGER, b: 1 });
  assert.ok(big.bits > 0 && big.bits < 1e-12, String(big.bits));
});

test('class names: port.<service>.in names the service, anything else is made class-safe', () => {
  assert.equal(entropyClass('port.ssh.in', 'low'), 'entropy_ssh_in_low');
  assert.equal(entropyClass('port.http-alt.in', 'high'), 'entropy_http_alt_in_high');
  assert.equal(entropyClass('conn.by-src', 'low'), 'entropy_conn_by_src_in_low');
});

test('the engine raises entropy classes from distribution metrics, once per hold', () => {
  const engine = new AnomalyEngine(config({ hold: '30m' }));
  const out: Event[] = [];
  const t = START + 8 * 86_400_000;
  const sample = (at: number, dist: Record<string, number>) =>
    engine.sample(
      'gw',
      'port.ssh.in',
      at,
      Object.values(dist).reduce((a, b) => a + b, 0),
      dist,
      out,
    );

  sample(t, { ...uniform(4, 2), brute: 400 });
  sample(t + STEP, { ...uniform(4, 2), brute: 400 }); // held: no second event
  sample(t + 2 * STEP, uniform(64, 3));
  sample(t + 3 * STEP, { a: 3, b: 2 }); // too little traffic to judge
  assert.deepEqual(
    out.map((e) => e.anomaly!.class),
    ['entropy_ssh_in_low', 'entropy_ssh_in_high'],
  );
  const low = out[0]!.anomaly!;
  assert.equal(low.level, 'entropy');
  assert.equal(low.direction, 'low');
  assert.equal(low.sources, 5);
  assert.ok(low.entropy! < 0.1, String(low.entropy));
  assert.equal(out[1]!.anomaly!.sources, 64);
  assert.match(
    out[1]!.message!,
    /^entropy_ssh_in_high: port\.ssh\.in entropy 100% over 64 sources/,
  );

  // The report keeps the heaviest (decayed) sources: the brute-forcer leads.
  const s = engine.states.get('gw|port.ssh.in')!;
  assert.equal([...s.keys!].sort((a, b) => b[1] - a[1])[0]![0], 'brute');
  assert.ok(s.keys!.size <= 16);
});
