/**
 * Time zone for timestamps that carry none. `offsetAt` gives the zone's
 * offset in minutes east of UTC for a wall-clock time, so `Jan 5 10:00:00`
 * read in Europe/Berlin becomes 09:00Z.
 */
export interface TimeZone {
  readonly name: string;
  /** Builds the instant for a wall-clock time in this zone. */
  instant(
    year: number,
    month: number,
    day: number,
    h: number,
    m: number,
    s: number,
    ms?: number,
  ): Date;
}

function fixed(name: string, offsetMinutes: number): TimeZone {
  return {
    name,
    instant: (y, mo, d, h, mi, s, ms = 0) =>
      new Date(Date.UTC(y, mo, d, h, mi, s, ms) - offsetMinutes * 60_000),
  };
}

const LOCAL: TimeZone = {
  name: 'local',
  instant: (y, mo, d, h, mi, s, ms = 0) => new Date(y, mo, d, h, mi, s, ms),
};

function iana(name: string): TimeZone {
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: name,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const offsetAt = (utcMs: number): number => {
    const parts: Record<string, number> = {};
    for (const p of fmt.formatToParts(new Date(utcMs))) {
      if (p.type !== 'literal') parts[p.type] = Number(p.value);
    }
    const asUtc = Date.UTC(
      parts.year!,
      parts.month! - 1,
      parts.day!,
      parts.hour!,
      parts.minute!,
      parts.second!,
    );
    return Math.round((asUtc - Math.floor(utcMs / 1000) * 1000) / 60_000);
  };
  return {
    name,
    instant: (y, mo, d, h, mi, s, ms = 0) => {
      const wall = Date.UTC(y, mo, d, h, mi, s, ms);
      // Two passes settle the offset across DST transitions.
      let guess = wall - offsetAt(wall) * 60_000;
      guess = wall - offsetAt(guess) * 60_000;
      return new Date(guess);
    },
  };
}

/** Parses the config's `timezone`: local, UTC, ±HH:MM or an IANA name. */
export function parseTimeZone(text: string): TimeZone | undefined {
  if (text === 'local') return LOCAL;
  if (text === 'UTC' || text === 'Z') return fixed('UTC', 0);
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(text);
  if (m) return fixed(text, (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])));
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: text });
  } catch {
    return undefined;
  }
  return iana(text);
}
