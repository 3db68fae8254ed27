/*
 * Shannon entropy of who connects to a service, as cfenvd reported it: low
 * when one source dominates (a flood, a brute force), high when very many
 * sources share the traffic evenly (a distributed scan). Normalized by the
 * most the observed number of sources allows, so it reads as a percentage.
 */

export interface EntropyResult {
  /** Entropy in bits. */
  bits: number;
  /** bits / log2(sources), 0..1; 0 when there is a single source. */
  normalized: number;
  sources: number;
  total: number;
}

/** Counts that are not finite and positive are left out (garbage, not evidence). */
export function shannonEntropy(counts: Readonly<Record<string, number>>): EntropyResult {
  let total = 0;
  let sources = 0;
  let max = 0;
  for (const v of Object.values(counts)) {
    if (Number.isFinite(v) && v > 0) {
      total += v;
      sources++;
      if (v > max) max = v;
    }
  }
  if (total === 0) return { bits: 0, normalized: 0, sources: 0, total: 0 };
  // Counts summing past the largest double would make every share 0: then
  // take the shares of counts scaled by the largest one.
  let unit = 1;
  let sum = total;
  if (!Number.isFinite(total)) {
    unit = max;
    sum = 0;
    for (const v of Object.values(counts)) if (Number.isFinite(v) && v > 0) sum += v / max;
  }
  let bits = 0;
  for (const v of Object.values(counts)) {
    if (!(Number.isFinite(v) && v > 0)) continue;
    const p = v / unit / sum;
    bits -= p * Math.log2(p);
  }
  const normalized = sources > 1 ? Math.min(1, bits / Math.log2(sources)) : 0;
  return { bits, normalized, sources, total };
}

export interface EntropyThresholds {
  low: number;
  high: number;
  /** Fewer connections than this say nothing about who dominates. */
  minTotal: number;
  /** A "many sources" verdict needs at least this many of them. */
  minSources: number;
}

export function entropyLevel(r: EntropyResult, t: EntropyThresholds): 'low' | 'high' | undefined {
  if (r.total < t.minTotal) return undefined;
  if (r.normalized < t.low) return 'low';
  if (r.normalized > t.high && r.sources >= t.minSources) return 'high';
  return undefined;
}

/** `port.ssh.in` → `ssh`, anything else → the metric name made class-safe. */
export function entropyClass(metric: string, level: 'low' | 'high'): string {
  const port = /^port\.(.+)\.in$/.exec(metric);
  return `entropy_${classSafe(port ? port[1]! : metric)}_in_${level}`;
}

export function classSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}
