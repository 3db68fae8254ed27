import path from 'node:path';
import picomatch from 'picomatch';
import type { FimPathConfig } from '../config/schema.js';
import { ATTRIBUTE_GROUPS, type Attribute, type FileState } from './attributes.js';
import { isUnder } from './paths.js';

/** One compiled policy entry: a watched tree and how its files are judged. */
export interface PolicyRule {
  /** Absolute, normalized, no trailing slash (except `/`). */
  readonly root: string;
  readonly attributes: ReadonlySet<Attribute>;
  readonly allow: ReadonlySet<Attribute | 'grow'>;
  readonly maxDepth: number;
  readonly followSymlinks: boolean;
  readonly autoAccept: boolean;
  readonly purge: boolean;
  /** Is this path (relative to root, '' for the root) left out? */
  excluded(rel: string, isDir: boolean): boolean;
  /** Has include or exclude patterns (without, `excluded` is always false). */
  readonly filtered: boolean;
  /** What the config said, stored with ad-hoc baselines. */
  readonly source: FimPathConfig;
}

export function normalizeRoot(p: string): string {
  const n = path.resolve(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

export function compileRule(cfg: FimPathConfig): PolicyRule {
  const root = normalizeRoot(cfg.path);
  const attrs =
    typeof cfg.attributes === 'string' ? ATTRIBUTE_GROUPS[cfg.attributes]! : cfg.attributes;
  const opts = { dot: true };
  const include = cfg.include.length > 0 ? picomatch(cfg.include, opts) : undefined;
  const exclude = cfg.exclude.length > 0 ? picomatch(cfg.exclude, opts) : undefined;
  return {
    root,
    attributes: new Set(attrs),
    allow: new Set(cfg.allow),
    maxDepth: cfg.max_depth ?? Infinity,
    followSymlinks: cfg.follow_symlinks,
    autoAccept: cfg.auto_accept,
    purge: cfg.purge,
    source: cfg,
    filtered: include !== undefined || exclude !== undefined,
    excluded(rel, isDir) {
      if (rel === '') return false;
      if (exclude?.(rel)) return true;
      // Directories are descended even when they do not match an include:
      // a file deeper down may.
      return include !== undefined && !isDir && !include(rel);
    },
  };
}

/** The default rule for a path named on the command line with no policy of its own. */
export function adHocRule(p: string): FimPathConfig {
  return {
    path: normalizeRoot(p),
    include: [],
    exclude: [],
    follow_symlinks: false,
    attributes: 'default',
    allow: [],
    auto_accept: false,
    purge: false,
  };
}

export class Policy {
  readonly rules: PolicyRule[];

  constructor(configs: readonly FimPathConfig[]) {
    // Deepest root first, so a path belongs to the most specific rule.
    this.rules = configs.map(compileRule).sort((a, b) => b.root.length - a.root.length);
  }

  /** The rule a path falls under, or undefined. */
  ruleFor(p: string): PolicyRule | undefined {
    return this.rules.find((r) => isUnder(p, r.root));
  }

  /** Roots that no other root contains: where full walks start. */
  topRoots(): PolicyRule[] {
    return this.rules.filter((r) => !this.rules.some((o) => o !== r && isUnder(r.root, o.root)));
  }

  /**
   * Does another rule's root lie strictly inside `dir`? Only then can an
   * entry of `dir` be owned by another rule: a walk asks once per directory.
   */
  nestedBelow(dir: string, rule: PolicyRule): boolean {
    return this.rules.some((r) => r !== rule && r.root !== dir && isUnder(r.root, dir));
  }

  /** Does a nested rule own this path (so the walk of an outer root must skip it)? */
  ownedByOther(p: string, rule: PolicyRule): boolean {
    const owner = this.ruleFor(p);
    return owner !== undefined && owner !== rule;
  }
}

/**
 * May this change happen without a report? Every changed attribute must be
 * in `allow`; `grow` allows a size increase and the content, mtime and ctime
 * changes that come with appending, never a shrink.
 */
export function isAllowed(
  rule: PolicyRule,
  old: FileState,
  cur: FileState,
  changed: readonly string[],
): boolean {
  const grew = cur.size > old.size;
  return changed.every((a) => {
    if (rule.allow.has(a as Attribute)) return true;
    if (!rule.allow.has('grow') || !grew) return false;
    return a === 'size' || a === 'hash' || a === 'mtime' || a === 'ctime';
  });
}
