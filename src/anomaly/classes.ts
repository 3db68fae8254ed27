/*
 * cfengine's anomaly classes for one sample against its slot:
 * `<metric>_{high,low}_{dev1,dev2,anomaly,microanomaly}` and, from a CUSUM
 * over the standardized residuals, `<metric>_{high,low}_levelshift`.
 * The σ classes nest (an anomaly is also dev2 and dev1); the strongest one
 * names the sample.
 */
export type Level = 'dev1' | 'dev2' | 'anomaly' | 'microanomaly' | 'levelshift' | 'entropy';

/** The σ levels, weakest first: the order of a `MetricClasses` row. */
const SIGMA_LEVELS = ['dev1', 'microanomaly', 'dev2', 'anomaly'] as const;

/**
 * One metric's class names on one host, built once: judging a sample then
 * builds no strings and hashes no new held-class keys (this runs for every
 * sample of every metric). Index = direction (0 high, 1 low) · 4 + level
 * (0 dev1, 1 microanomaly, 2 dev2, 3 anomaly).
 */
export class MetricClasses {
  /** The strongest class of each index. */
  readonly names: string[] = [];
  /** Every class an index raises, weakest first (nested: an anomaly is also dev2 and dev1). */
  readonly nested: Array<readonly string[]> = [];
  /** `host|class`, the engine's held-class key of each name. */
  readonly heldKeys: string[];
  readonly levelshift: Record<'high' | 'low', { name: string; heldKey: string }>;

  /**
   * `micro` is the absolute difference below which a 2σ deviation is only a
   * microanomaly (a metric so steady that its σ is tiny: a 0 → 1 change is
   * "strange" but not news).
   */
  constructor(
    safeName: string,
    host: string,
    readonly micro: number,
  ) {
    for (const direction of ['high', 'low']) {
      const base = `${safeName}_${direction}`;
      const [dev1, micro, dev2, anomaly] = SIGMA_LEVELS.map((l) => `${base}_${l}`) as [
        string,
        string,
        string,
        string,
      ];
      this.names.push(dev1, micro, dev2, anomaly);
      this.nested.push([dev1], [dev1, micro], [dev1, dev2], [dev1, dev2, anomaly]);
    }
    this.heldKeys = this.names.map((n) => `${host}|${n}`);
    const shift = (d: 'high' | 'low') => {
      const name = `${safeName}_${d}_levelshift`;
      return { name, heldKey: `${host}|${name}` };
    };
    this.levelshift = { high: shift('high'), low: shift('low') };
  }

  /** The index of the strongest class a deviation of `diff` (`sigma` σ) raises; -1 for none. */
  strongest(sigma: number, diff: number): number {
    const abs = Math.abs(sigma);
    if (abs <= 1) return -1;
    const row = diff >= 0 ? 0 : 4;
    if (!(abs > 2)) return row;
    if (Math.abs(diff) < this.micro) return row + 1;
    return abs > 3 ? row + 3 : row + 2;
  }

  level(index: number): Level {
    return SIGMA_LEVELS[index % 4]!;
  }

  direction(index: number): 'high' | 'low' {
    return index < 4 ? 'high' : 'low';
  }
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
