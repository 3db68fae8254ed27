/*
 * What `vigil anomaly show|report|export` print, from learned states: the
 * present against its slot, peaks and top sources (cfengine's ShowState),
 * and the learned week as CSV or as an SVG chart with the ±σ band.
 */
import { slotLabel } from './baseline.js';
import type { MetricState } from './engine.js';

const DAY_MS = 86_400_000;

export interface ShowRow {
  host: string;
  metric: string;
  value: number;
  mean: number;
  stddev: number;
  sigma: number;
  classes: string[];
  /** How far the metric runs above (+) or below (−) its slots lately, in σ. */
  trend: number;
  updated: string;
}

export function showRows(states: Iterable<MetricState>): ShowRow[] {
  const rows: ShowRow[] = [];
  for (const s of states) {
    const r = (v: number): number => (Number.isFinite(v) ? Math.round(v * 1000) / 1000 : NaN);
    rows.push({
      host: s.host,
      metric: s.metric,
      value: r(s.lastValue),
      mean: r(s.lastMean),
      stddev: r(s.lastStddev),
      sigma: r(s.lastSigma),
      classes: [...s.lastClasses],
      trend: s.lastStddev > 0 ? r(s.offset / s.lastStddev) : 0,
      updated: new Date(s.last).toISOString(),
    });
  }
  return rows.sort((a, b) => a.metric.localeCompare(b.metric) || a.host.localeCompare(b.host));
}

export interface ReportRow {
  host: string;
  metric: string;
  dayPeak?: { value: number; at: string };
  weekPeak?: { value: number; at: string };
  entropyPct?: number;
  /** Most frequent source keys with their share (percent) of the decayed counts. */
  topSources?: Array<{ key: string; share: number }>;
}

export function reportRows(states: Iterable<MetricState>, now: number): ReportRow[] {
  const rows: ReportRow[] = [];
  for (const s of states) {
    const row: ReportRow = { host: s.host, metric: s.metric };
    const peakSince = (since: number) => {
      let best: MetricState['peaks'][number] | undefined;
      for (const p of s.peaks) if (p.at >= since && (!best || p.value > best.value)) best = p;
      return best
        ? { value: Math.round(best.value * 1000) / 1000, at: new Date(best.at).toISOString() }
        : undefined;
    };
    const day = peakSince(now - DAY_MS);
    const week = peakSince(now - 7 * DAY_MS);
    if (day) row.dayPeak = day;
    if (week) row.weekPeak = week;
    if (s.entropy !== undefined) row.entropyPct = Math.round(s.entropy * 1000) / 10;
    if (s.keys && s.keys.size > 0) {
      let total = 0;
      for (const v of s.keys.values()) total += v;
      row.topSources = [...s.keys]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([key, v]) => ({ key, share: Math.round((1000 * v) / total) / 10 }));
    }
    rows.push(row);
  }
  return rows.sort((a, b) => a.metric.localeCompare(b.metric) || a.host.localeCompare(b.host));
}

export interface WeekPoint {
  slot: number;
  time: string;
  mean: number;
  stddev: number;
  last: number;
  count: number;
}

/** The learned week, one point per slot (unlearned slots have NaN mean). */
export function learnedWeek(s: MetricState): WeekPoint[] {
  const b = s.baseline;
  const out: WeekPoint[] = [];
  for (let i = 0; i < b.slots; i++) {
    const n = b.count[i]!;
    out.push({
      slot: i,
      time: slotLabel(i, b.opts.slotMs),
      mean: n > 0 ? b.mean[i]! + s.offset : NaN,
      stddev: n > 0 ? Math.sqrt(b.variance[i]!) : NaN,
      last: b.last[i]!,
      count: n,
    });
  }
  return out;
}

const cell = (v: number): string => (Number.isFinite(v) ? String(Math.round(v * 1e4) / 1e4) : '');

export function weekCsv(points: WeekPoint[]): string {
  const lines = ['slot,time,mean,stddev,last,count'];
  for (const p of points) {
    lines.push(`${p.slot},${p.time},${cell(p.mean)},${cell(p.stddev)},${cell(p.last)},${p.count}`);
  }
  return lines.join('\n') + '\n';
}

const escapeXml = (s: string): string =>
  s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

/** The week as a self-contained SVG: ±σ band, mean line, last values, day grid. */
export function weekSvg(points: WeekPoint[], title: string): string {
  const W = 1000;
  const H = 320;
  const pad = { l: 60, r: 10, t: 30, b: 30 };
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of points) {
    for (const v of [p.mean - p.stddev, p.mean + p.stddev, p.last]) {
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  }
  if (!Number.isFinite(lo)) {
    lo = 0;
    hi = 1;
  }
  if (hi === lo) hi = lo + 1;
  const n = Math.max(1, points.length);
  const x = (i: number): number => pad.l + ((W - pad.l - pad.r) * i) / n;
  const y = (v: number): number => pad.t + (H - pad.t - pad.b) * (1 - (v - lo) / (hi - lo));
  const f = (v: number): string => v.toFixed(1);
  const runs = (get: (p: WeekPoint) => number): string[] => {
    const out: string[] = [];
    let cur: string[] = [];
    points.forEach((p, i) => {
      const v = get(p);
      if (Number.isFinite(v)) cur.push(`${f(x(i))},${f(y(v))}`);
      else if (cur.length) {
        out.push(cur.join(' '));
        cur = [];
      }
    });
    if (cur.length) out.push(cur.join(' '));
    return out;
  };
  const band: string[] = [];
  let seg: WeekPoint[] = [];
  const flush = (): void => {
    if (seg.length === 0) return;
    const upper = seg.map((p) => `${f(x(p.slot))},${f(y(p.mean + p.stddev))}`);
    const lower = seg.map((p) => `${f(x(p.slot))},${f(y(p.mean - p.stddev))}`).reverse();
    band.push(
      `<polygon points="${[...upper, ...lower].join(' ')}" fill="#9ecae1" fill-opacity="0.5"/>`,
    );
    seg = [];
  };
  for (const p of points) {
    if (Number.isFinite(p.mean)) seg.push(p);
    else flush();
  }
  flush();
  const grid: string[] = [];
  for (let d = 0; d <= 7; d++) {
    const gx = pad.l + ((W - pad.l - pad.r) * d) / 7;
    grid.push(`<line x1="${f(gx)}" x2="${f(gx)}" y1="${pad.t}" y2="${H - pad.b}" stroke="#ddd"/>`);
    if (d < 7) {
      const day = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][d]!;
      grid.push(`<text x="${f(gx + 4)}" y="${H - 10}" font-size="12">${day}</text>`);
    }
  }
  const axis = [hi, (hi + lo) / 2, lo].map(
    (v) => `<text x="4" y="${f(y(v) + 4)}" font-size="11">${escapeXml(cell(v))}</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${pad.l}" y="18" font-size="14">${escapeXml(title)} — learned week (UTC): mean ± σ, last value</text>`,
    ...grid,
    ...axis,
    ...band,
    ...runs((p) => p.mean).map(
      (pts) => `<polyline points="${pts}" fill="none" stroke="#08519c" stroke-width="1.2"/>`,
    ),
    ...runs((p) => p.last).map(
      (pts) => `<polyline points="${pts}" fill="none" stroke="#d62728" stroke-width="0.8"/>`,
    ),
    '</svg>',
    '',
  ].join('\n');
}
