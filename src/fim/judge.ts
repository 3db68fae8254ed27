import { diffStates, encodeState, type FileState } from './attributes.js';
import type { BaselineOp, ChangeKind, HistoryStatus } from './baseline.js';
import { display, isUnder, type FsPath } from './paths.js';
import { isAllowed, type PolicyRule } from './policy.js';
import type { WalkItem } from './walker.js';

/** Where any change ranks high: the system's binaries, boot files and configuration. */
export const SYSTEM_PATHS = ['/etc', '/bin', '/sbin', '/usr/bin', '/usr/sbin', '/boot'] as const;

export type ChangeLevel = 'high' | 'medium';

export interface Change {
  path: FsPath;
  bytes: Buffer;
  /** The path as printed: escaped control characters and non-UTF-8 bytes. */
  shown: string;
  kind: ChangeKind;
  /** Changed attributes (of those compared); empty for additions and removals. */
  attributes: string[];
  old?: FileState;
  new?: FileState;
  rule: PolicyRule;
  /** What became of it: reported for review, or taken into the baseline. */
  status: HistoryStatus;
  level: ChangeLevel;
  setuidGained: boolean;
  setgidGained: boolean;
  /** First time this exact change is recorded (not already in the history). */
  fresh: boolean;
}

/** The difference between a walk item and its entry, or undefined when there is none. */
export function compare(
  item: WalkItem,
): (Omit<Change, 'status' | 'fresh'> & { allowed: boolean }) | undefined {
  if (item.unchanged) return undefined;
  const { old, cur, rule } = item;
  let kind: ChangeKind;
  let attributes: string[] = [];
  let allowed = false;
  if (old && cur) {
    attributes = diffStates(old.state, cur, rule.attributes);
    if (attributes.length === 0) return undefined;
    kind = 'changed';
    allowed = isAllowed(rule, old.state, cur, attributes);
  } else {
    kind = cur ? 'added' : 'removed';
  }
  const shown = display(item.path);
  const was = old?.state.mode ?? 0;
  const now = cur?.mode ?? 0;
  const setuidGained = cur !== undefined && (now & 0o4000) !== 0 && (was & 0o4000) === 0;
  const setgidGained = cur !== undefined && (now & 0o2000) !== 0 && (was & 0o2000) === 0;
  const system = SYSTEM_PATHS.some((p) => isUnder(shown, p));
  return {
    path: item.path,
    bytes: item.bytes,
    shown,
    kind,
    attributes,
    ...(old ? { old: old.state } : {}),
    ...(cur ? { new: cur } : {}),
    rule,
    level: setuidGained || setgidGained || system ? 'high' : 'medium',
    setuidGained,
    setgidGained,
    allowed,
  };
}

/**
 * Turns walk items into baseline operations and the changes to report.
 * `check`: allowed changes are taken in quietly, others per the rule's
 * auto_accept / purge, the rest recorded once in the history as reported.
 * `accept`: every change is taken into the baseline.
 */
export class Reconciler {
  readonly changes: Change[] = [];
  readonly ops: BaselineOp[] = [];
  allowedCount = 0;

  constructor(
    private readonly mode: 'check' | 'accept',
    private readonly lastHistory: (
      p: Buffer,
    ) => { change: ChangeKind; status: HistoryStatus; new?: FileState } | undefined,
  ) {}

  take(item: WalkItem): Change | undefined {
    const c = compare(item);
    if (!c) return undefined;
    const { allowed, ...change } = c;
    const newText = change.new ? encodeState(change.new) : undefined;
    const put = (): void => {
      if (newText !== undefined) this.ops.push({ op: 'put', path: item.bytes, text: newText });
      else this.ops.push({ op: 'delete', path: item.bytes });
    };
    if (this.mode === 'check' && allowed) {
      put();
      this.allowedCount++;
      return undefined;
    }
    let status: HistoryStatus;
    if (this.mode === 'accept') status = 'accepted';
    else if (change.kind === 'removed') status = change.rule.purge ? 'purged' : 'reported';
    else status = change.rule.autoAccept ? 'auto_accepted' : 'reported';
    let fresh = true;
    if (status === 'reported') {
      const last = this.lastHistory(item.bytes);
      fresh = !(
        last &&
        last.status === 'reported' &&
        last.change === change.kind &&
        (last.new ? encodeState(last.new) : undefined) === newText
      );
    } else {
      put();
    }
    if (fresh) {
      this.ops.push({
        op: 'history',
        path: item.bytes,
        change: change.kind,
        status,
        attributes: change.attributes,
        ...(change.old ? { old: encodeState(change.old) } : {}),
        ...(newText !== undefined ? { new: newText } : {}),
      });
    }
    const full: Change = { ...change, status, fresh };
    this.changes.push(full);
    return full;
  }

  /** Changes still waiting for review: what makes `vigil fim check` exit 1. */
  get unaccepted(): number {
    return this.changes.filter((c) => c.status === 'reported').length;
  }

  /** Hands over the operations gathered so far. */
  drainOps(): BaselineOp[] {
    return this.ops.splice(0);
  }
}
