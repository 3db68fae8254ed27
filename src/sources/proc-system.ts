/*
 * Parsers for /proc/stat, /proc/loadavg and /proc/meminfo. Each takes the
 * file's text and returns what it could read; a line it cannot read is
 * counted, never thrown, because these files come from kernels of every age
 * and from fixtures cut short.
 */

/** Aggregate CPU time since boot, in clock ticks (the `cpu` line). */
export interface CpuTimes {
  total: number;
  /** idle + iowait: time the CPUs had nothing to run. */
  idle: number;
  iowait: number;
}

export interface ProcStat {
  cpu?: CpuTimes;
  /** Online CPUs (`cpuN` lines). */
  cpus: number;
  /** Boot time, seconds since the epoch. */
  btime?: number;
  badLines: number;
}

export function parseProcStat(text: string): ProcStat {
  const out: ProcStat = { cpus: 0, badLines: 0 };
  for (const line of text.split('\n')) {
    if (line.startsWith('cpu ')) {
      // user nice system idle iowait irq softirq steal [guest guest_nice]:
      // guest time is already counted in user, so it is left out of the total.
      const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
      if (f.length < 4 || f.some((n) => !Number.isFinite(n) || n < 0)) {
        out.badLines++;
        continue;
      }
      const iowait = f[4] ?? 0;
      out.cpu = { total: f.reduce((a, b) => a + b, 0), idle: f[3]! + iowait, iowait };
    } else if (/^cpu\d/.test(line)) {
      out.cpus++;
    } else if (line.startsWith('btime ')) {
      const n = Number(line.slice(6));
      if (Number.isFinite(n) && n > 0) out.btime = n;
      else out.badLines++;
    }
  }
  return out;
}

/** Busy and iowait share (percent) of the CPU time between two readings. */
export function cpuUsage(
  prev: CpuTimes,
  cur: CpuTimes,
): { usedPct: number; iowaitPct: number } | undefined {
  const total = cur.total - prev.total;
  // No ticks passed, or the counters went back (a fixture swapped, a
  // container restarted): there is no interval to judge.
  if (!(total > 0) || cur.idle < prev.idle || cur.iowait < prev.iowait) return undefined;
  return {
    usedPct: round2(100 * (1 - (cur.idle - prev.idle) / total)),
    iowaitPct: round2((100 * (cur.iowait - prev.iowait)) / total),
  };
}

/** The 1, 5 and 15 minute load averages. */
export function parseLoadavg(text: string): [number, number, number] | undefined {
  const f = text.trim().split(/\s+/, 3).map(Number);
  if (f.length < 3 || f.some((n) => !Number.isFinite(n) || n < 0)) return undefined;
  return [f[0]!, f[1]!, f[2]!];
}

/** `Key: value kB` lines, values in kB; lines that are not are counted. */
export function parseMeminfo(text: string): { values: Map<string, number>; badLines: number } {
  const values = new Map<string, number>();
  let badLines = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = /^([A-Za-z0-9_()]+):\s+(\d+)(?: kB)?\s*$/.exec(line);
    if (m) values.set(m[1]!, Number(m[2]));
    else badLines++;
  }
  return { values, badLines };
}

/**
 * Memory in use as the kernel estimates it (MemAvailable: what can be had
 * without swapping; older kernels lack it, then free + buffers + cache), and
 * swap in use. Swap is absent when the host has none: there is nothing to
 * exhaust.
 */
export function memoryUsage(values: Map<string, number>): {
  memUsedPct?: number;
  swapUsedPct?: number;
} {
  const out: { memUsedPct?: number; swapUsedPct?: number } = {};
  const total = values.get('MemTotal');
  const available =
    values.get('MemAvailable') ??
    sumDefined(values.get('MemFree'), values.get('Buffers'), values.get('Cached'));
  if (total && total > 0 && available !== undefined && available <= total) {
    out.memUsedPct = round2(100 * (1 - available / total));
  }
  const swapTotal = values.get('SwapTotal');
  const swapFree = values.get('SwapFree');
  if (swapTotal && swapTotal > 0 && swapFree !== undefined && swapFree <= swapTotal) {
    out.swapUsedPct = round2(100 * (1 - swapFree / swapTotal));
  }
  return out;
}

function sumDefined(...xs: Array<number | undefined>): number | undefined {
  if (xs.some((x) => x === undefined)) return undefined;
  return (xs as number[]).reduce((a, b) => a + b, 0);
}

export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
