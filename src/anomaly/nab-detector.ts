/*
 * The online detector behind `vigil anomaly replay` and the NAB conformance
 * run: one point at a time, O(1) work and a bounded state per series.
 *
 * Prediction: a robust level (winsorized exponential mean) plus, when the
 * sampling step gives 12–1440 points a day, a daily seasonal profile; each
 * model's error is tracked and the better one is used, so a flat series is
 * not judged against noise learned as "seasonality".
 * Two surprise channels, each standardized against its own history (an
 * "anomaly likelihood": a series that is always spiky has spikes priced in):
 *  - point: max(|residual|/3σ, two-sided CUSUM/8) — spikes and abrupt shifts;
 *  - drift: short mean minus long mean — slow level changes CUSUM resets past.
 * Detections are episodes: after one fires, the next may fire only 200 points
 * later, because NAB (and an operator) count an anomaly once and every extra
 * alarm outside the window as a false positive.
 *
 * The constants were chosen on the NAB files in ../shared/corpora/nab (see
 * docs/reference/anomaly.md); scores in [0, 1]: ≥ 0.5 is a detection.
 */

const WARMUP = 50;
const SUPPRESS = 200;
const POINT_LIMIT = 4;
const DRIFT_LIMIT = 2.5;
const LEVEL_RATE = 0.02;
const SCALE_RATE = 0.01;
const SEASON_RATE = 0.2;
const ERROR_RATE = 0.01;
const HISTORY_RATE = 0.002;
const FAST_RATE = 0.05;
const SLOW_RATE = 0.002;
const CLIP = 3;
const CUSUM_K = 1;
const CUSUM_H = 8;
/** Residual scale never below this share of the range seen, so flat series don't divide by ~0. */
const FLOOR_SHARE = 0.01;
const DAY_MS = 86_400_000;

export class NabDetector {
  private n = 0;
  private min = Infinity;
  private max = -Infinity;
  private t0 = NaN;
  private lastT = NaN;
  private step = Infinity;
  private season: Float64Array | undefined;
  private seen: Uint32Array | undefined;
  private level = 0;
  private levelScale = 0;
  private seasonScale = 0;
  private levelError = 0;
  private seasonError = 0;
  private cusumUp = 0;
  private cusumDown = 0;
  private pointMean = 0;
  private pointVar = 1;
  private fast = 0;
  private slow = 0;
  private slowScale = 0;
  private driftVar = 1;
  private since = SUPPRESS;

  /** Anomaly score of the point at `t` (epoch ms); garbage values score 0 and teach nothing. */
  update(t: number, x: number): number {
    if (!Number.isFinite(x)) return 0;
    this.n++;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (Number.isFinite(t)) {
      if (Number.isFinite(this.lastT) && t > this.lastT)
        this.step = Math.min(this.step, t - this.lastT);
      this.lastT = t;
    }
    if (this.n === 1) {
      this.t0 = t;
      this.level = x;
      return 0;
    }
    if (this.n === 20 && Number.isFinite(this.step)) {
      const perDay = Math.round(DAY_MS / this.step);
      if (perDay >= 12 && perDay <= 1440) {
        this.season = new Float64Array(perDay);
        this.seen = new Uint32Array(perDay);
      }
    }
    const floor = Math.max(FLOOR_SHARE * (this.max - this.min), 1e-9);
    const point = this.pointSurprise(t, x, floor);
    const drift = this.driftSurprise(x, floor);
    if (this.n < WARMUP) return 0;

    const ls = Math.log1p(point);
    const pointDev = (ls - this.pointMean) / Math.sqrt(this.pointVar + 1e-6);
    this.pointMean += HISTORY_RATE * (ls - this.pointMean);
    this.pointVar += HISTORY_RATE * ((ls - this.pointMean) ** 2 - this.pointVar);

    this.since++;
    if (this.since >= SUPPRESS) {
      if (drift > DRIFT_LIMIT) return this.fire(drift, DRIFT_LIMIT);
      if (pointDev > POINT_LIMIT) return this.fire(pointDev, POINT_LIMIT);
    }
    return 0.4 * Math.min(1, Math.max(0, pointDev) / POINT_LIMIT);
  }

  /** Bytes of state, for `vigil status`. */
  stateBytes(): number {
    return 200 + (this.season?.byteLength ?? 0) + (this.seen?.byteLength ?? 0);
  }

  private fire(dev: number, limit: number): number {
    this.since = 0;
    return 0.5 + 0.5 * Math.tanh((dev - limit) / limit);
  }

  private pointSurprise(t: number, x: number, floor: number): number {
    const levelResidual = x - this.level;
    let residual = levelResidual;
    let scale = Math.max(this.levelScale, floor);
    let phase = -1;
    if (this.season && Number.isFinite(t)) {
      phase = Math.floor(((t - this.t0) / this.step) % this.season.length);
      if (!(phase >= 0)) phase = -1;
    }
    let seasonResidual = NaN;
    if (phase >= 0 && this.seen![phase]! >= 1) {
      seasonResidual = levelResidual - this.season![phase]!;
      if (this.seen![phase]! >= 2 && this.seasonError < this.levelError) {
        residual = seasonResidual;
        scale = Math.max(this.seasonScale, floor);
      }
    }
    const z = residual / scale;
    this.cusumUp = Math.max(0, this.cusumUp + z - CUSUM_K);
    this.cusumDown = Math.max(0, this.cusumDown - z - CUSUM_K);
    const cusum = Math.max(this.cusumUp, this.cusumDown);
    if (cusum > CUSUM_H) {
      this.cusumUp = 0;
      this.cusumDown = 0;
    }

    const levelLimit = CLIP * Math.max(this.levelScale, floor);
    this.levelError += ERROR_RATE * (Math.abs(levelResidual) - this.levelError);
    this.levelScale +=
      SCALE_RATE * (Math.min(Math.abs(levelResidual), levelLimit) - this.levelScale);
    if (phase >= 0) {
      if (Number.isFinite(seasonResidual)) {
        const limit = CLIP * Math.max(this.seasonScale, floor);
        this.seasonError += ERROR_RATE * (Math.abs(seasonResidual) - this.seasonError);
        this.seasonScale +=
          SCALE_RATE * (Math.min(Math.abs(seasonResidual), limit) - this.seasonScale);
        this.season![phase]! += SEASON_RATE * clamp(seasonResidual, limit);
      } else {
        this.season![phase] = levelResidual;
        this.seasonError = this.levelError;
        this.seasonScale = this.levelScale;
      }
      this.seen![phase]!++;
    }
    this.level +=
      LEVEL_RATE *
      (residual === levelResidual
        ? clamp(levelResidual, levelLimit)
        : clamp(residual, CLIP * scale));
    return Math.max(Math.abs(z) / CLIP, cusum / CUSUM_H);
  }

  private driftSurprise(x: number, floor: number): number {
    if (this.n === 2) {
      this.fast = x;
      this.slow = x;
    }
    this.fast += FAST_RATE * (x - this.fast);
    const shift = (this.fast - this.slow) / Math.max(this.slowScale, floor);
    this.slowScale += SLOW_RATE * (Math.abs(x - this.slow) - this.slowScale);
    this.slow += SLOW_RATE * (x - this.slow);
    const dev = Math.abs(shift) / Math.sqrt(this.driftVar + 1e-9);
    this.driftVar += HISTORY_RATE * (shift * shift - this.driftVar);
    return dev;
  }
}

function clamp(v: number, limit: number): number {
  return v > limit ? limit : v < -limit ? -limit : v;
}
