import { anomalySchema, type AnomalyConfig } from '../../src/config/schema.js';

/** Deterministic PRNG (mulberry32) so that a failing series can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
