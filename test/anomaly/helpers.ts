import { anomalySchema, type AnomalyConfig } from '../../src/config/schema.js';

/** Deterministic PRNG (the bench generator's mulberry32) so that a failing series can be replayed. */
export { prng as rng } from '../../bench/generate.js';

export function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

export const STEP = 5 * 60_000;
/** A Monday 00:00 UTC. */
export const START = Date.parse('2026-01-05T00:00:00Z');

/** Office-hours load: a daily wave, quieter weekends, Gaussian noise of σ 2. */
export function weekly(t: number, noise: () => number): number {
  const hour = (((t / 3_600_000) % 24) + 24) % 24;
  const day = Math.floor((t - START) / 86_400_000) % 7;
  const weekend = day >= 5 ? -15 : 0;
  return 50 + 20 * Math.sin((2 * Math.PI * (hour - 6)) / 24) + weekend + 2 * noise();
}

export function config(over: Record<string, unknown> = {}): AnomalyConfig {
  return anomalySchema.parse({ learning: '7d', hold: '30m', ...over });
}
