/**
 * Epoch ms of `@timestamp` strings, for stages that read the time of every
 * event. Decoders write `YYYY-MM-DDTHH:MM:SS.sssZ`; within an hour already
 * parsed that form is read by hand, since Date.parse is most of the cost
 * otherwise. Consecutive events mostly share a stamp, which is cached too.
 */
export class EpochReader {
  private lastStamp = '';
  private lastMs = NaN;
  /** The hour last parsed (`2026-11-01T10`) and its epoch ms. */
  private hour = '';
  private hourMs = NaN;

  /** Epoch ms of `stamp`; NaN when it does not parse. */
  read(stamp: string): number {
    if (stamp === this.lastStamp) return this.lastMs;
    this.lastStamp = stamp;
    if (
      stamp.length === 24 &&
      stamp.charCodeAt(23) === 90 && // Z
      this.hour.length === 13 &&
      stamp.startsWith(this.hour) &&
      stamp.charCodeAt(13) === 58 && // :
      stamp.charCodeAt(16) === 58 &&
      stamp.charCodeAt(19) === 46 // .
    ) {
      const mi = digits(stamp, 14, 2);
      const se = digits(stamp, 17, 2);
      const ms = digits(stamp, 20, 3);
      if (mi < 60 && se < 60 && ms >= 0 && mi >= 0 && se >= 0) {
        this.lastMs = this.hourMs + mi * 60_000 + se * 1000 + ms;
        return this.lastMs;
      }
    }
    this.lastMs = Date.parse(stamp);
    if (stamp.length === 24 && stamp.charCodeAt(13) === 58 && Number.isFinite(this.lastMs)) {
      this.hour = stamp.slice(0, 13);
      this.hourMs = Date.parse(`${this.hour}:00:00.000Z`);
    }
    return this.lastMs;
  }
}

/** The number written in `n` decimal digits at `at`, or -1 when one is not a digit. */
function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}
