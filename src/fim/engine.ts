import type { FimPathConfig, VigilConfig } from '../config/schema.js';
import { VigilError } from '../errors.js';
import { encodeState } from './attributes.js';
import { Baseline } from './baseline.js';
import { HashPool } from './hash-pool.js';
import { Reconciler, type Change } from './judge.js';
import { adHocRule, normalizeRoot, Policy, type PolicyRule } from './policy.js';
import { display, isUnder } from './paths.js';
import { FimKey } from './signer.js';
import { walk, type WalkStats } from './walker.js';

/**
 * The FIM operations the CLI and the monitor share: init, check, accept,
 * each a walk of the policy (or of some paths in it) against the baseline.
 */
export interface FimSession {
  config: VigilConfig;
  baseline: Baseline;
  pool: HashPool;
}

export function openSession(config: VigilConfig, storeFile: string): FimSession {
  return {
    config,
    baseline: Baseline.open(storeFile),
    pool: new HashPool(config.fim.hash, config.fim.workers),
  };
}

export async function closeSession(s: FimSession): Promise<void> {
  await s.pool.close();
  s.baseline.close();
}

export interface Plan {
  policy: Policy;
  starts: Array<{ path: string; rule: PolicyRule }>;
  /** Rules for named paths the config does not cover (kept with the baseline). */
  adHoc: FimPathConfig[];
}

/**
 * What to walk: the configured policy plus paths baselined ad hoc earlier,
 * or only `paths` (each under the rule that covers it, or an ad-hoc rule
 * with the default attributes).
 */
export function plan(config: VigilConfig, baseline: Baseline, paths: readonly string[] = []): Plan {
  const configured = config.fim.paths.map((p) => ({ ...p, path: normalizeRoot(p.path) }));
  const adHoc = baseline.adHocRules().filter((r) => !configured.some((c) => c.path === r.path));
  for (const p of paths.map(normalizeRoot)) {
    const covered = [...configured, ...adHoc].some((r) => isUnder(p, r.path));
    if (!covered) adHoc.push(adHocRule(p));
  }
  const policy = new Policy([...configured, ...adHoc]);
  if (policy.rules.length === 0) {
    throw new VigilError(
      'VIGIL_ERR_FIM_BASELINE',
      'no files to watch: configure fim.paths in vigil.yml, or name paths (vigil fim init /etc)',
    );
  }
  const starts =
    paths.length > 0
      ? paths.map(normalizeRoot).map((p) => ({ path: p, rule: policy.ruleFor(p)! }))
      : policy.rules.map((r) => ({ path: r.root, rule: r }));
  return { policy, starts, adHoc };
}

export interface InitResult {
  entries: number;
  stats: WalkStats;
  errors: string[];
}

/** Builds the baseline of the plan's starts (all of it when no paths are named). */
export async function init(
  s: FimSession,
  dataDir: string,
  paths: readonly string[] = [],
): Promise<InitResult> {
  const key = FimKey.loadOrCreate(dataDir);
  const p = plan(s.config, s.baseline, paths);
  const errors: string[] = [];
  s.baseline.beginStaging();
  let stats: WalkStats;
  try {
    stats = await walk({
      policy: p.policy,
      starts: p.starts,
      pool: s.pool,
      full: true,
      rows: {
        macKey: key.macKeyBytes,
        onRow: (bytes, text, mac, error) => {
          s.baseline.stage(bytes, text, mac);
          if (error !== undefined) errors.push(`${display(bytes)}: ${error}`);
        },
      },
      onItem: (item) => {
        if (!item.cur) return;
        const text = encodeState(item.cur);
        s.baseline.stage(item.bytes, text, key.mac(item.bytes, text));
        if (item.cur.error !== undefined) errors.push(`${display(item.path)}: ${item.cur.error}`);
      },
      onError: (path, message) => errors.push(`${path}: ${message}`),
    });
  } catch (err) {
    s.baseline.abortStaging();
    throw err;
  }
  const roots = paths.length > 0 ? p.starts.map((x) => Buffer.from(x.path)) : undefined;
  const entries = s.baseline.commitStaged(roots, key, p.adHoc);
  return { entries, stats, errors };
}

/**
 * Loads the key and checks the seal (signature, count, sum of the stored
 * MACs); every entry the check then reads is checked against its MAC. A
 * baseline that fails is never compared against.
 */
export function trustedKey(s: FimSession, dataDir: string): FimKey {
  const key = FimKey.load(dataDir);
  if (!s.baseline.seal() && s.baseline.entries === 0) {
    throw new VigilError(
      'VIGIL_ERR_FIM_BASELINE',
      'no FIM baseline yet: run `vigil fim init` first',
    );
  }
  const problems = s.baseline.verifySeal(key);
  if (problems.length > 0) {
    throw new VigilError(
      'VIGIL_ERR_FIM_TAMPERED',
      `FIM baseline failed verification: ${problems.join('; ')}. Investigate (vigil fim verify names altered entries), then rebuild it with \`vigil fim init\``,
    );
  }
  s.baseline.verifyReads(key!);
  return key!;
}

export interface CheckResult {
  changes: Change[];
  allowed: number;
  unaccepted: number;
  stats: WalkStats;
  errors: string[];
}

// Baseline operations per transaction: short locks on a store that a running
// `vigil start` writes to as well.
const OPS_PER_TX = 500;

/**
 * Compares the plan's starts with the baseline. `check` applies what the
 * policy allows or auto-accepts and records the rest once in the history;
 * `accept` takes every change into the baseline.
 */
export async function compareTree(
  s: FimSession,
  key: FimKey,
  opts: {
    paths?: readonly string[];
    mode: 'check' | 'accept';
    full?: boolean;
    /** Realtime: named paths that exist in the baseline are looked at alone, not walked. */
    shallow?: boolean;
    onChange?: (c: Change) => void;
    signal?: AbortSignal;
  },
): Promise<CheckResult> {
  const p = plan(s.config, s.baseline, opts.paths);
  const rec = new Reconciler(opts.mode, (b) => s.baseline.lastHistory(b));
  const errors: string[] = [];
  const starts = p.starts.map((x) => {
    if (!opts.shallow || !s.baseline.get(Buffer.from(x.path))) return x;
    const rel = x.path === x.rule.root ? 0 : x.path.slice(x.rule.root.length).split('/').length - 1;
    return { path: x.path, rule: { ...x.rule, maxDepth: rel } };
  });
  const stats = await walk({
    policy: p.policy,
    starts,
    baseline: s.baseline,
    pool: s.pool,
    full: opts.full ?? false,
    onItem: (item) => {
      const c = rec.take(item);
      if (c) opts.onChange?.(c);
      if (rec.ops.length >= OPS_PER_TX) s.baseline.apply(rec.drainOps(), key);
    },
    onError: (path, message) => errors.push(`${path}: ${message}`),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  s.baseline.apply(rec.drainOps(), key);
  if (opts.mode === 'accept' && p.adHoc.length > 0) s.baseline.setAdHocRules(p.adHoc);
  return {
    changes: rec.changes,
    allowed: rec.allowedCount,
    unaccepted: rec.unaccepted,
    stats,
    errors,
  };
}
