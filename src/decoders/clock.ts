import type { TimeZone } from '../event/timezone.js';

const DAY_MS = 86_400_000;
/** A timestamp this far ahead of the receive time is taken to be from last year. */
const FUTURE_SLACK_MS = 7 * DAY_MS;
const CACHE_LIMIT = 4096;

/**
 * Wall-clock → instant conversion for timestamps that carry no zone (RFC 3164,
 * Apache error logs), with year inference for those that carry no year.
 *
 * `TimeZone.instant` for IANA zones goes through Intl (microseconds a call);
 * the hot path caches the instant of each wall-clock hour and adds minutes and
 * seconds to it (zone offsets change on hour boundaries). Owned by one decoder
 * stage; nothing here is module-level.
 */
export class WallClock {
  private readonly hourCache = new Map<number, number>();
  /** The last hour looked up (log lines come in time order). */
  private lastKey = NaN;
  private lastBase = 0;
  private yearStart = 0;
  private yearEnd = -1;
  private year = 1970;

  constructor(private readonly zone: TimeZone) {}

  /** Epoch ms of a wall-clock time in the zone. Month is 0-based. */
  ms(y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0): number {
    const key = ((y * 12 + mo) * 32 + d) * 24 + h;
    if (key === this.lastKey) return this.lastBase + mi * 60_000 + s * 1000 + ms;
    let base = this.hourCache.get(key);
    if (base === undefined) {
      if (this.hourCache.size >= CACHE_LIMIT) this.hourCache.clear();
      base = this.zone.instant(y, mo, d, h, 0, 0, 0).getTime();
      this.hourCache.set(key, base);
    }
    this.lastKey = key;
    this.lastBase = base;
    return base + mi * 60_000 + s * 1000 + ms;
  }

  /**
   * Epoch ms of a year-less wall-clock time: the year that puts it nearest to
   * `receivedMs` without putting it more than a few days in the future
   * (`Dec 31 23:59:59` received on Jan 1 is last year; `Jan 1 00:00:01`
   * received on Dec 31 by a slow clock is next year).
   */
  inferYear(
    mo: number,
    d: number,
    h: number,
    mi: number,
    s: number,
    ms: number,
    receivedMs: number,
  ): number {
    const y = this.utcYear(receivedMs);
    const t = this.ms(y, mo, d, h, mi, s, ms);
    if (t - receivedMs > FUTURE_SLACK_MS) return this.ms(y - 1, mo, d, h, mi, s, ms);
    if (receivedMs - t > 180 * DAY_MS) {
      const next = this.ms(y + 1, mo, d, h, mi, s, ms);
      if (next - receivedMs <= FUTURE_SLACK_MS) return next;
    }
    return t;
  }

  private utcYear(ms: number): number {
    if (ms >= this.yearStart && ms < this.yearEnd) return this.year;
    const y = new Date(ms).getUTCFullYear();
    this.year = y;
    this.yearStart = Date.UTC(y, 0, 1);
    this.yearEnd = Date.UTC(y + 1, 0, 1);
    return y;
  }
}

const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';

/** 0-based month of a three-letter English month name at `pos`, or -1. */
export function monthAt(text: string, pos: number): number {
  const a = text.charCodeAt(pos);
  const b = text.charCodeAt(pos + 1);
  const c = text.charCodeAt(pos + 2);
  // Upper-case first letter, lower-case rest: cheap reject before indexOf.
  if (a < 65 || a > 90 || b < 97 || b > 122 || c < 97 || c > 122) return -1;
  // No slice: compare the three characters against each name in place.
  for (let i = 0; i < 36; i += 3) {
    if (
      MONTHS.charCodeAt(i) === a &&
      MONTHS.charCodeAt(i + 1) === b &&
      MONTHS.charCodeAt(i + 2) === c
    )
      return i / 3;
  }
  return -1;
}

/** Value of `n` decimal digits at `pos`, or -1 when any is not a digit. */
export function digitsAt(text: string, pos: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(pos + i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** Result slot of `parseIsoAt`: where the timestamp ended. */
export interface IsoResult {
  ms: number;
  end: number;
}

/**
 * Parses `YYYY-MM-DDThh:mm:ss[.frac][Z|±hh:mm]` (also with a space instead of
 * `T`) at `pos`. Without a zone the wall clock is read in `clock`'s zone.
 * Returns false when the text is not such a timestamp.
 */
export function parseIsoAt(text: string, pos: number, clock: WallClock, out: IsoResult): boolean {
  const y = digitsAt(text, pos, 4);
  if (y < 0 || text.charCodeAt(pos + 4) !== 45 || text.charCodeAt(pos + 7) !== 45) return false;
  const mo = digitsAt(text, pos + 5, 2);
  const d = digitsAt(text, pos + 8, 2);
  const sep = text.charCodeAt(pos + 10);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || (sep !== 84 && sep !== 32)) return false;
  const h = digitsAt(text, pos + 11, 2);
  const mi = digitsAt(text, pos + 14, 2);
  const s = digitsAt(text, pos + 17, 2);
  if (text.charCodeAt(pos + 13) !== 58 || text.charCodeAt(pos + 16) !== 58) return false;
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60) return false;
  let i = pos + 19;
  let ms = 0;
  if (text.charCodeAt(i) === 46 || text.charCodeAt(i) === 44) {
    i++;
    let scale = 100;
    const start = i;
    for (;;) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      ms += c * scale;
      scale /= 10;
      i++;
    }
    if (i === start) return false;
    ms = Math.floor(ms);
  }
  const z = text.charCodeAt(i);
  if (z === 90 || z === 122) {
    out.ms = Date.UTC(y, mo - 1, d, h, mi, s, ms);
    out.end = i + 1;
    return true;
  }
  if (z === 43 || z === 45) {
    const oh = digitsAt(text, i + 1, 2);
    const colon = text.charCodeAt(i + 3) === 58;
    const om = digitsAt(text, i + (colon ? 4 : 3), 2);
    if (oh < 0 || om < 0 || oh > 23 || om > 59) return false;
    const off = (z === 45 ? -1 : 1) * (oh * 60 + om);
    out.ms = Date.UTC(y, mo - 1, d, h, mi, s, ms) - off * 60_000;
    out.end = i + (colon ? 6 : 5);
    return true;
  }
  out.ms = clock.ms(y, mo - 1, d, h, mi, s, ms);
  out.end = i;
  return true;
}

const pad2 = (n: number): string => (n < 10 ? '0' : '') + n;

/** `yyyy-mm-ddT` of a day number since the epoch (H. Hinnant's civil_from_days). */
function civilPrefix(days: number): string | undefined {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  if (y < 0 || y > 9999) return undefined;
  return String(y).padStart(4, '0') + '-' + pad2(m) + '-' + pad2(d) + 'T';
}

/**
 * `Date#toISOString` for the hot path: the `yyyy-mm-ddT` part is cached per
 * day, the time of day is formatted with integer arithmetic.
 */
export class IsoFormatter {
  private day = NaN;
  private dayPrefix = '';
  /** The last instant formatted (consecutive log lines often share it). */
  private lastMs = NaN;
  private last = '';

  format(ms: number): string {
    if (ms === this.lastMs) return this.last;
    const day = Math.floor(ms / 86_400_000);
    if (day !== this.day) {
      const prefix = civilPrefix(day);
      if (prefix === undefined) return new Date(ms).toISOString(); // years outside 0000-9999
      this.day = day;
      this.dayPrefix = prefix;
    }
    let rest = ms - day * 86_400_000;
    const h = Math.floor(rest / 3_600_000);
    rest -= h * 3_600_000;
    const m = Math.floor(rest / 60_000);
    rest -= m * 60_000;
    const s = Math.floor(rest / 1000);
    const frac = rest - s * 1000;
    this.lastMs = ms;
    return (this.last =
      this.dayPrefix +
      pad2(h) +
      ':' +
      pad2(m) +
      ':' +
      pad2(s) +
      '.' +
      (frac < 10 ? '00' : frac < 100 ? '0' : '') +
      frac +
      'Z');
  }
}
