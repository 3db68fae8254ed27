import { anomalySchema } from '../../src/config/schema.js';
import { AnomalyEngine } from '../../src/anomaly/engine.js';
import { NabDetector } from '../../src/anomaly/nab-detector.js';

const MiB = 1024 * 1024;

/**
 * The anomaly engine's two hot paths against a same-process baseline:
 *  - one sample of 10,000 metrics (target < 50 ms), against storing the same
 *    values in a Map (the least any per-metric state costs);
 *  - the online detector over 1M points (target ≥ 500k points/s), against a
 *    loop that only reads the points.
 */
export function benchAnomaly(metrics = 10_000, points = 1_000_000): void {
  const engine = new AnomalyEngine(anomalySchema.parse({ learning: 0, max_metrics: metrics }));
  const names = Array.from({ length: metrics }, (_, i) => `bench.metric.${i}`);
  const step = 60_000;
  const t0 = Date.parse('2026-01-05T00:00:00Z');
  let t = t0;
  const round = (): void => {
    for (let i = 0; i < metrics; i++)
      engine.sample('bench', names[i]!, t, 50 + ((i * 7 + t / step) % 13), undefined);
    t += step;
  };
  for (let k = 0; k < 5; k++) round(); // creates the states: not the steady cost
  const rounds = 20;
  const s0 = process.hrtime.bigint();
  for (let k = 0; k < rounds; k++) round();
  const perRound = Number(process.hrtime.bigint() - s0) / 1e6 / rounds;

  const plain = new Map<string, number>();
  const b0 = process.hrtime.bigint();
  for (let k = 0; k < rounds; k++) for (let i = 0; i < metrics; i++) plain.set(names[i]!, k + i);
  const basePerRound = Number(process.hrtime.bigint() - b0) / 1e6 / rounds;
  const bytes = engine.stateBytes();
  process.stdout.write(
    `  update ${metrics.toLocaleString('en-US')} metrics: ${perRound.toFixed(1)} ms per sample (target < 50 ms); ` +
      `Map.set baseline ${basePerRound.toFixed(2)} ms, ratio ${(perRound / basePerRound).toFixed(1)}\n` +
      `  state ${(bytes / MiB).toFixed(1)} MiB, ${Math.round(bytes / metrics).toLocaleString('en-US')} bytes per metric (bounded: fixed slot arrays)\n`,
  );

  const ts = new Float64Array(points);
  const vs = new Float64Array(points);
  let seed = 1;
  for (let i = 0; i < points; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    ts[i] = t0 + i * 300_000;
    vs[i] =
      100 +
      10 * Math.sin((2 * Math.PI * i) / 288) +
      (seed / 2147483648 - 0.5) * 4 +
      (i % 50_000 === 0 ? 60 : 0);
  }
  const d = new NabDetector();
  let alarms = 0;
  const r0 = process.hrtime.bigint();
  for (let i = 0; i < points; i++) if (d.update(ts[i]!, vs[i]!) >= 0.5) alarms++;
  const replaySec = Number(process.hrtime.bigint() - r0) / 1e9;
  let sum = 0;
  const q0 = process.hrtime.bigint();
  for (let i = 0; i < points; i++) sum += vs[i]! + ts[i]!;
  const readSec = Number(process.hrtime.bigint() - q0) / 1e9;
  // Using the sum keeps the baseline loop from being optimized away.
  if (!Number.isFinite(sum)) throw new Error('the generated series is not finite');
  const rate = points / replaySec;
  process.stdout.write(
    `  replay ${points.toLocaleString('en-US')} points: ${Math.round(rate).toLocaleString('en-US')} points/s (target ≥ 500,000), ` +
      `${alarms} detections; read-only loop ${Math.round(points / readSec).toLocaleString('en-US')} points/s, ratio ${(readSec / replaySec).toFixed(3)}\n`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) benchAnomaly();
