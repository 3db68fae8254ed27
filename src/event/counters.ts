/**
 * Named counters per scope (`source:auth`, `decoder:sshd`): records, bytes,
 * errors, dropped... Cheap to bump on the hot path; snapshotted into the store
 * so `vigil status` in another process can read them.
 */
export type CounterSnapshot = Record<string, Record<string, number>>;

/**
 * A handle on one counter (`Counters.cell`): bump `n` directly on the hot path
 * instead of two Map lookups per `add`. A cell nobody has bumped yet (n === 0
 * and never `add`ed) is not reported, as if it did not exist.
 */
export interface CounterCell {
  n: number;
  /** Set once `add` touched the counter (an `add` of 0 still makes it exist). */
  set: boolean;
}

export class Counters {
  private readonly scopes = new Map<string, Map<string, CounterCell>>();

  /** The cell of one counter, created (unreported until bumped) when missing. */
  cell(scope: string, name: string): CounterCell {
    let s = this.scopes.get(scope);
    if (!s) {
      s = new Map();
      this.scopes.set(scope, s);
    }
    let c = s.get(name);
    if (!c) {
      c = { n: 0, set: false };
      s.set(name, c);
    }
    return c;
  }

  add(scope: string, name: string, n = 1): void {
    const c = this.cell(scope, name);
    c.n += n;
    c.set = true;
  }

  /** A gauge rather than a count (state size, groups held): overwrite. */
  set(scope: string, name: string, n: number): void {
    const c = this.cell(scope, name);
    c.n = n;
    c.set = true;
  }

  get(scope: string, name: string): number {
    return this.scopes.get(scope)?.get(name)?.n ?? 0;
  }

  snapshot(): CounterSnapshot {
    const out: CounterSnapshot = {};
    for (const [scope, names] of [...this.scopes].sort((a, b) => a[0].localeCompare(b[0]))) {
      const live = [...names].filter(([, c]) => c.set || c.n !== 0);
      if (live.length === 0) continue;
      out[scope] = Object.fromEntries(
        live.sort((a, b) => a[0].localeCompare(b[0])).map(([k, c]) => [k, c.n]),
      );
    }
    return out;
  }

  /** Adds another snapshot's figures to this one (merging worker counters). */
  merge(snapshot: CounterSnapshot): void {
    for (const [scope, names] of Object.entries(snapshot)) {
      for (const [name, n] of Object.entries(names)) this.add(scope, name, n);
    }
  }
}
