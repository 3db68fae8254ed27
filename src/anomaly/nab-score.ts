/*
 * The Numenta Anomaly Benchmark scoring method (Lavin & Ahmad 2015, NAB v1.1
 * sweeper), written from its definition:
 *  - each labelled window is worth its best (earliest) detection, weighted by
 *    a scaled sigmoid of the position in the window, or −fnWeight if missed;
 *  - every detection outside a window costs fpWeight times the scaled sigmoid
 *    of its distance past the previous window (full cost before any window);
 *  - the first 15% of a file (at most 750 rows) is probationary and ignored;
 *  - one threshold per profile is chosen over the whole corpus, and the sum
 *    is normalized as 100·(raw − null)/(perfect − null).
 */

export interface CostProfile {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
}

export const NAB_PROFILES: Readonly<Record<string, CostProfile>> = {
  standard: { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 },
  reward_low_FP_rate: { tpWeight: 1, fpWeight: 0.22, fnWeight: 1 },
  reward_low_FN_rate: { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 },
};

/** A labelled window as inclusive row indices. */
export interface IndexWindow {
  start: number;
  end: number;
}

export interface ScoredFile {
  name: string;
  scores: ArrayLike<number>;
  windows: IndexWindow[];
}

/** One scorable row: its anomaly score, its weight if detected, its window. */
interface SweepRow {
  score: number;
  weight: number;
  /** Corpus-wide window id, or -1 outside any window. */
  window: number;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** 2·σ(−5x) − 1: +0.987 at the left edge of a window, 0 at its right edge, → −1 after. */
export function scaledSigmoid(position: number): number {
  return position >= 3 ? -1 : 2 * sigmoid(-5 * position) - 1;
}

export function probationLength(rows: number, fraction = 0.15): number {
  return Math.min(Math.floor(fraction * rows), fraction * 5000);
}

/** Maps [start, end] timestamps to the rows they cover; windows covering no row are dropped. */
export function windowsToIndices(
  timestamps: ArrayLike<number>,
  windows: ReadonlyArray<readonly [number, number]>,
): IndexWindow[] {
  const out: IndexWindow[] = [];
  for (const [t1, t2] of windows) {
    let start = -1;
    let end = -1;
    for (let i = 0; i < timestamps.length; i++) {
      const t = timestamps[i]!;
      if (t >= t1 && t <= t2) {
        if (start < 0) start = i;
        end = i;
      }
    }
    if (start >= 0) out.push({ start, end });
  }
  return out.sort((a, b) => a.start - b.start);
}

function sweepRows(file: ScoredFile, cost: CostProfile, firstWindowId: number): SweepRow[] {
  const n = file.scores.length;
  const probation = probationLength(n);
  const maxTp = scaledSigmoid(-1);
  const rows: SweepRow[] = [];
  let w = 0;
  let prev: IndexWindow | undefined;
  for (let i = 0; i < n; i++) {
    while (w < file.windows.length && file.windows[w]!.end < i) prev = file.windows[w++];
    const cur = file.windows[w];
    const inside = cur !== undefined && i >= cur.start;
    let weight: number;
    if (inside) {
      const width = cur.end - cur.start + 1;
      weight = (scaledSigmoid(-(cur.end - i + 1) / width) * cost.tpWeight) / maxTp;
    } else if (prev === undefined) {
      weight = -cost.fpWeight;
    } else {
      const span = prev.end - prev.start;
      weight = scaledSigmoid(span > 0 ? Math.abs(i - prev.end) / span : 3) * cost.fpWeight;
    }
    if (i >= probation) {
      rows.push({ score: file.scores[i]!, weight, window: inside ? firstWindowId + w : -1 });
    }
  }
  return rows;
}

export interface ThresholdScore {
  threshold: number;
  score: number;
  tp: number;
  fp: number;
  fn: number;
}

/**
 * Raw score at every distinct threshold (a row is a detection when its
 * anomaly score ≥ threshold), best first.
 */
function sweepThresholds(rows: SweepRow[], cost: CostProfile): ThresholdScore[] {
  const best = new Map<number, number>();
  for (const r of rows) if (r.window >= 0) best.set(r.window, -cost.fnWeight);
  const windows = best.size;
  const sorted = [...rows].sort((a, b) => b.score - a.score);
  let fpSum = 0;
  let windowSum = -cost.fnWeight * windows;
  let fp = 0;
  const detected = new Set<number>();
  const out: ThresholdScore[] = [
    { threshold: Infinity, score: windowSum, tp: 0, fp: 0, fn: windows },
  ];
  for (let i = 0; i < sorted.length; i++) {
    const r = sorted[i]!;
    if (r.window < 0) {
      fpSum += r.weight;
      fp++;
    } else {
      const old = best.get(r.window)!;
      if (r.weight > old) {
        best.set(r.window, r.weight);
        windowSum += r.weight - old;
      }
      detected.add(r.window);
    }
    const next = sorted[i + 1];
    if (next === undefined || next.score !== r.score) {
      out.push({
        threshold: r.score,
        score: windowSum + fpSum,
        tp: detected.size,
        fp,
        fn: windows - detected.size,
      });
    }
  }
  return out.sort((a, b) => b.score - a.score || b.threshold - a.threshold);
}

export interface ProfileResult {
  profile: string;
  threshold: number;
  raw: number;
  nullRaw: number;
  perfect: number;
  normalized: number;
  tp: number;
  fp: number;
  fn: number;
  perFile: Array<{ name: string; raw: number; tp: number; fp: number; fn: number }>;
}

/** Scores a detector's output on a corpus for one profile, threshold chosen on the corpus. */
export function scoreCorpus(files: ScoredFile[], profile: string): ProfileResult {
  const cost = NAB_PROFILES[profile];
  if (!cost) throw new Error(`unknown NAB profile ${profile}`);
  const perFileRows: SweepRow[][] = [];
  // The null detector: a constant score everywhere, its threshold swept like any other.
  const nullRows: SweepRow[] = [];
  let nextId = 0;
  for (const f of files) {
    perFileRows.push(sweepRows(f, cost, nextId));
    const constant = new Float64Array(f.scores.length).fill(0.5);
    for (const r of sweepRows({ ...f, scores: constant }, cost, nextId)) nullRows.push(r);
    nextId += f.windows.length;
  }
  const best = sweepThresholds(perFileRows.flat(), cost)[0]!;
  const perFile = files.map((f, k) => {
    const t = atThreshold(perFileRows[k]!, cost, best.threshold);
    return { name: f.name, raw: t.score, tp: t.tp, fp: t.fp, fn: t.fn };
  });
  const nullRaw = sweepThresholds(nullRows, cost)[0]!.score;
  const windows = new Set(
    perFileRows
      .flat()
      .filter((r) => r.window >= 0)
      .map((r) => r.window),
  );
  const perfect = windows.size * cost.tpWeight;
  return {
    profile,
    threshold: best.threshold,
    raw: best.score,
    nullRaw,
    perfect,
    normalized: (100 * (best.score - nullRaw)) / (perfect - nullRaw),
    tp: best.tp,
    fp: best.fp,
    fn: best.fn,
    perFile,
  };
}

function atThreshold(rows: SweepRow[], cost: CostProfile, threshold: number): ThresholdScore {
  const all = sweepThresholds(rows, cost);
  let pick = all.find((s) => s.threshold === Infinity)!;
  for (const s of all) if (s.threshold >= threshold && s.threshold < pick.threshold) pick = s;
  return pick;
}
