import type { Event } from '../event/types.js';
import { formatEventLine } from './format.js';

/** What `vigil scan` counts of the events it decoded: plain data, so a worker can send it. */
export interface ScanTally {
  events: number;
  errors: number;
  by_category: Record<string, number>;
  by_decoder: Record<string, number>;
  by_outcome: Record<string, number>;
  /** One line per event that decoded with an error, when asked for (--errors). */
  errorLines: string[];
}

export function newTally(): ScanTally {
  return { events: 0, errors: 0, by_category: {}, by_decoder: {}, by_outcome: {}, errorLines: [] };
}

/** Counts one more of `key`. */
export function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

export function tallyEvents(tally: ScanTally, events: readonly Event[], keepErrors: boolean): void {
  for (const e of events) {
    tally.events++;
    for (const c of e.event.category ?? ['(none)']) bump(tally.by_category, c);
    bump(tally.by_decoder, e.vigil.decoder ?? '(none)');
    bump(tally.by_outcome, e.event.outcome ?? '(none)');
    if (e.vigil.error) {
      tally.errors++;
      if (keepErrors) tally.errorLines.push(formatEventLine(e));
    }
  }
}

/**
 * The tallies of scan workers as one: counts added up, error lines in
 * input order (`errorSeqs` gives each line's input position).
 */
export function mergeTallies(
  parts: readonly { tally: ScanTally; errorSeqs: number[] }[],
): ScanTally {
  const out = newTally();
  const lines: { seq: number; part: number; line: string }[] = [];
  parts.forEach(({ tally, errorSeqs }, part) => {
    out.events += tally.events;
    out.errors += tally.errors;
    for (const key of ['by_category', 'by_decoder', 'by_outcome'] as const) {
      for (const [k, n] of Object.entries(tally[key])) out[key][k] = (out[key][k] ?? 0) + n;
    }
    tally.errorLines.forEach((line, i) => lines.push({ seq: errorSeqs[i]!, part, line }));
  });
  lines.sort((a, b) => a.seq - b.seq || a.part - b.part);
  out.errorLines = lines.map((l) => l.line);
  return out;
}
