/*
 * cfengine's anomaly classes for one sample against its slot:
 * `<metric>_{high,low}_{dev1,dev2,anomaly,microanomaly}` and, from a CUSUM
 * over the standardized residuals, `<metric>_{high,low}_levelshift`.
 * The σ classes nest (an anomaly is also dev2 and dev1); the strongest one
 * names the sample.
 */
import { classSafe } from './entropy.js';

export type Level = 'dev1' | 'dev2' | 'anomaly' | 'microanomaly' | 'levelshift' | 'entropy';

export interface Judgement {
  /** Every class the sample raises, weakest first. */
  classes: string[];
  /** The strongest σ class, when any. */
  strongest?: { name: string; level: Level; direction: 'high' | 'low' };
  sigma: number;
}

/**
 * Classes of `value` given the expected mean and σ. `micro` is the absolute
 * difference below which a 2σ deviation is only a microanomaly (a metric so
 * steady that its σ is tiny: a 0 → 1 change is "strange" but not news).
 */
export function judge(
  metric: string,
  value: number,
  mean: number,
  stddev: number,
  micro: number,
  safeName = classSafe(metric),
): Judgement {
  const diff = value - mean;
  const sigma = diff / stddev;
  const abs = Math.abs(sigma);
  if (abs <= 1) return { classes: [], sigma };
  const direction = diff >= 0 ? 'high' : 'low';
  const base = `${safeName}_${direction}`;
  const classes: string[] = [];
  classes.push(`${base}_dev1`);
  let level: Level = 'dev1';
  if (abs > 2) {
    if (Math.abs(diff) < micro) {
      classes.push(`${base}_microanomaly`);
      level = 'microanomaly';
    } else {
      classes.push(`${base}_dev2`);
      level = 'dev2';
      if (abs > 3) {
        classes.push(`${base}_anomaly`);
        level = 'anomaly';
      }
    }
  }
  return { classes, sigma, strongest: { name: `${base}_${level}`, level, direction } };
}

/** Severity order of the σ levels, for "emit from this level up". */
export const LEVEL_RANK: Readonly<Record<Level, number>> = {
  dev1: 1,
  microanomaly: 1,
  dev2: 2,
  anomaly: 3,
  levelshift: 3,
  entropy: 3,
};

/**
 * Two-sided CUSUM on standardized residuals: sustained drift of more than
 * `k` σ per sample accumulates until it passes `h`; one spike cannot (each
 * step is capped), a persistent change of ≥ 1σ trips it within ~h samples.
 */
export class LevelShift {
  up = 0;
  down = 0;

  constructor(
    private readonly k = 0.5,
    private readonly h = 12,
    private readonly cap = 4,
  ) {}

  update(z: number): 'high' | 'low' | undefined {
    if (!Number.isFinite(z)) return undefined;
    const c = Math.max(-this.cap, Math.min(this.cap, z));
    this.up = Math.max(0, this.up + c - this.k);
    this.down = Math.max(0, this.down - c - this.k);
    if (this.up > this.h) {
      this.up = 0;
      this.down = 0;
      return 'high';
    }
    if (this.down > this.h) {
      this.up = 0;
      this.down = 0;
      return 'low';
    }
    return undefined;
  }
}
