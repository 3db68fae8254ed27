/*
 * Time series as NAB ships them: a `timestamp,value` header, then one row per
 * sample with a zone-less timestamp (read as UTC) or epoch seconds/ms.
 */

export interface Series {
  /** Epoch milliseconds; NaN where the timestamp could not be read. */
  timestamps: Float64Array;
  /** NaN where the value could not be read. */
  values: Float64Array;
  /** The timestamp column as written, for writing results back verbatim. */
  rawTimestamps: string[];
}

/** `2014-03-07 03:41:00`, ISO 8601, or epoch seconds / milliseconds. */
export function parseTimestamp(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) {
    const n = Number(t);
    return n < 1e11 ? n * 1000 : n;
  }
  const iso = t.includes('T') ? t : t.replace(' ', 'T');
  const zoned = /(Z|[+-]\d\d:?\d\d)$/.test(iso) ? iso : `${iso}Z`;
  return Date.parse(zoned);
}

export function parseSeriesCsv(text: string): Series {
  const lines = text.split('\n');
  let first = 0;
  const header = lines[0]?.trim().toLowerCase() ?? '';
  if (header.startsWith('timestamp') || header.startsWith('"timestamp')) first = 1;
  const ts: number[] = [];
  const vs: number[] = [];
  const raw: string[] = [];
  for (let i = first; i < lines.length; i++) {
    const line = lines[i]!.endsWith('\r') ? lines[i]!.slice(0, -1) : lines[i]!;
    if (line.trim() === '') continue;
    const comma = line.indexOf(',');
    const tsText = comma < 0 ? line : line.slice(0, comma);
    const end = comma < 0 ? -1 : line.indexOf(',', comma + 1);
    const valueText = comma < 0 ? '' : line.slice(comma + 1, end < 0 ? undefined : end);
    raw.push(tsText);
    ts.push(parseTimestamp(tsText.replace(/"/g, '')));
    const v = valueText.trim() === '' ? NaN : Number(valueText.replace(/"/g, ''));
    vs.push(v);
  }
  return { timestamps: Float64Array.from(ts), values: Float64Array.from(vs), rawTimestamps: raw };
}
