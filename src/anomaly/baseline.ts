/*
 * cfenvd's time-of-week model: the week cut into slots (5 minutes → 2,016),
 * each with an exponentially forgetting mean and variance. A slot is seen
 * once a week, so its memory is counted in weeks: with memory 8 a slot
 * weighs its newest week about 1/8. Judging reads a slot smoothed with its
 * neighbours (1-2-1), so one odd week in one slot does not make the next
 * week's sample look strange.
 *
 * Float32 storage: three arrays of 2,016 floats and one of counts make a
 * metric ~28 KiB, whatever its history.
 */

/** Monday 00:00 UTC is the start of the week (1970-01-01 was a Thursday). */
const WEEK_MS = 7 * 86_400_000;
const MONDAY_SHIFT_MS = 3 * 86_400_000;
const MAX_COUNT = 65_535;

export interface BaselineOptions {
  slotMs: number;
  /** Memory in weeks: the effective number of weekly visits a slot averages over. */
  memoryWeeks: number;
}

export interface Expectation {
  mean: number;
  stddev: number;
  /** Weighted count of samples behind the expectation. */
  count: number;
  slot: number;
}

export class SlotBaseline {
  readonly slots: number;
  readonly mean: Float32Array;
  readonly variance: Float32Array;
  readonly count: Uint16Array;
  /** The newest sample of each slot (NaN: none yet), for the exported week. */
  readonly last: Float32Array;

  constructor(
    readonly opts: BaselineOptions,
    state?: { mean: Float32Array; variance: Float32Array; count: Uint16Array; last: Float32Array },
  ) {
    this.slots = Math.max(1, Math.round(WEEK_MS / opts.slotMs));
    if (state && state.mean.length === this.slots) {
      this.mean = state.mean;
      this.variance = state.variance;
      this.count = state.count;
      this.last = state.last;
    } else {
      this.mean = new Float32Array(this.slots);
      this.variance = new Float32Array(this.slots);
      this.count = new Uint16Array(this.slots);
      this.last = new Float32Array(this.slots).fill(NaN);
    }
  }

  slotOf(t: number): number {
    const inWeek = (((t + MONDAY_SHIFT_MS) % WEEK_MS) + WEEK_MS) % WEEK_MS;
    return Math.min(this.slots - 1, Math.floor(inWeek / this.opts.slotMs));
  }

  /**
   * Learns `x` in its slot. `perVisit` is how many samples land in a slot per
   * week (slot length / sampling interval), so forgetting stays in weeks.
   */
  learn(slot: number, x: number, perVisit: number): void {
    const n = this.count[slot]!;
    const horizon = this.opts.memoryWeeks * Math.max(1, perVisit);
    const a = 1 / Math.min(n + 1, horizon);
    const d = x - this.mean[slot]!;
    this.mean[slot] = this.mean[slot]! + a * d;
    this.variance[slot] = (1 - a) * (this.variance[slot]! + a * d * d);
    if (n < MAX_COUNT) this.count[slot] = n + 1;
  }

  /** The slot's expectation smoothed 1-2-1 with its neighbours (only those with data). */
  expect(slot: number): Expectation {
    const prev = slot === 0 ? this.slots - 1 : slot - 1;
    const next = slot === this.slots - 1 ? 0 : slot + 1;
    let w = 0;
    let m = 0;
    let v = 0;
    let c = 0;
    // Unrolled: this runs for every sample of every metric.
    const np = this.count[prev]!;
    if (np > 0) {
      w += 1;
      m += this.mean[prev]!;
      v += this.variance[prev]!;
      c += np;
    }
    const ns = this.count[slot]!;
    if (ns > 0) {
      w += 2;
      m += 2 * this.mean[slot]!;
      v += 2 * this.variance[slot]!;
      c += 2 * ns;
    }
    const nn = this.count[next]!;
    if (nn > 0) {
      w += 1;
      m += this.mean[next]!;
      v += this.variance[next]!;
      c += nn;
    }
    if (w === 0) return { mean: NaN, stddev: NaN, count: 0, slot };
    const n = c / w;
    // Few weeks behind a slot underestimate its spread (Bessel), and three
    // neighbouring slots hold about three times the samples of one.
    const eff = 3 * n;
    const bessel = eff > 1 ? eff / (eff - 1) : 1;
    return { mean: m / w, stddev: Math.sqrt((v / w) * bessel), count: n, slot };
  }

  reset(): void {
    this.mean.fill(0);
    this.variance.fill(0);
    this.count.fill(0);
    this.last.fill(NaN);
  }

  bytes(): number {
    return this.mean.byteLength * 3 + this.count.byteLength;
  }
}

/** `Tue 14:05` for a slot index. */
export function slotLabel(slot: number, slotMs: number): string {
  const ms = slot * slotMs;
  const day = Math.floor(ms / 86_400_000);
  const mins = Math.floor((ms % 86_400_000) / 60_000);
  const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  return `${days[day] ?? '?'} ${String(Math.floor(mins / 60)).padStart(2, '0')}:${String(mins % 60).padStart(2, '0')}`;
}
