import fs from 'node:fs';
import type { Event } from '../event/types.js';
import {
  attributeValue,
  formatMode,
  nsToIso,
  type Attribute,
  type FileState,
} from './attributes.js';
import type { Change } from './judge.js';
import { baseName, display, parentOf } from './paths.js';

const EVENT_TYPE = { added: 'creation', changed: 'change', removed: 'deletion' } as const;

/** uid/gid → name from /etc/passwd and /etc/group, read once per process. */
class Names {
  private users: Map<number, string> | undefined;
  private groups: Map<number, string> | undefined;

  private static read(file: string): Map<number, string> {
    const out = new Map<number, string>();
    try {
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        const f = line.split(':');
        if (f.length >= 3 && /^\d+$/.test(f[2]!)) out.set(Number(f[2]), f[0]!);
      }
    } catch {
      // No names to show; ids still are.
    }
    return out;
  }

  user(uid: number): string | undefined {
    this.users ??= Names.read('/etc/passwd');
    return this.users.get(uid);
  }

  group(gid: number): string | undefined {
    this.groups ??= Names.read('/etc/group');
    return this.groups.get(gid);
  }
}

const names = new Names();

function fileFields(s: FileState): NonNullable<Event['file']> {
  const owner = names.user(s.uid);
  const group = names.group(s.gid);
  return {
    type: s.type,
    mode: formatMode(s.mode),
    uid: String(s.uid),
    gid: String(s.gid),
    ...(owner !== undefined ? { owner } : {}),
    ...(group !== undefined ? { group } : {}),
    inode: s.inode,
    size: s.size,
    mtime: nsToIso(s.mtime),
    ctime: nsToIso(s.ctime),
    ...(s.hash
      ? { hash: { [s.hash.slice(0, s.hash.indexOf(':'))]: s.hash.slice(s.hash.indexOf(':') + 1) } }
      : {}),
    ...(s.target !== undefined ? { target_path: s.target } : {}),
  };
}

/** Old → new, as text, of each changed attribute. */
export function diffOf(c: Change): Record<string, { old?: string; new?: string }> {
  const diff: Record<string, { old?: string; new?: string }> = {};
  for (const a of c.attributes) {
    if (a === 'error') {
      diff.error = {
        ...(c.old?.error ? { old: c.old.error } : {}),
        ...(c.new?.error ? { new: c.new.error } : {}),
      };
      continue;
    }
    const o = c.old ? attributeValue(c.old, a as Attribute) : undefined;
    const n = c.new ? attributeValue(c.new, a as Attribute) : undefined;
    diff[a] = { ...(o !== undefined ? { old: o } : {}), ...(n !== undefined ? { new: n } : {}) };
  }
  return diff;
}

/**
 * A change as the pipeline sees it: event.category file, event.type
 * creation/change/deletion, ECS file.* of the file as it is now (as it was,
 * for a deletion), and vigil.fim with the attribute diff, old → new.
 */
export function changeEvent(c: Change, host: string, source: string): Event {
  const state = c.new ?? c.old!;
  const diff = diffOf(c);
  const what = c.kind === 'changed' ? `changed (${c.attributes.join(', ')})` : c.kind;
  return {
    '@timestamp': new Date().toISOString(),
    message: `file ${what}: ${c.shown}`,
    event: {
      kind: 'event',
      category: ['file'],
      type: [EVENT_TYPE[c.kind]],
      action: `file-${c.kind}`,
      module: 'fim',
      dataset: 'vigil.fim',
      severity: c.level === 'high' ? 10 : 6,
    },
    host: { name: host },
    file: {
      path: c.shown,
      name: baseName(c.path),
      directory: display(parentOf(c.path)),
      ...fileFields(state),
    },
    vigil: {
      source,
      fim: {
        change: c.kind,
        status: c.status,
        level: c.level,
        rule: c.rule.root,
        attributes: c.attributes,
        diff,
        setuid_gained: c.setuidGained,
        setgid_gained: c.setgidGained,
        ...(state.error !== undefined ? { error: state.error } : {}),
      },
    },
  };
}

/** The baseline failed verification: raised as an event that the built-in rule turns into a critical alert. */
export function tamperEvent(problems: string[], host: string, source: string): Event {
  return {
    '@timestamp': new Date().toISOString(),
    message: `FIM baseline failed verification: ${problems.join('; ')}`,
    event: {
      kind: 'event',
      category: ['file', 'configuration'],
      type: ['info'],
      action: 'fim-baseline-tampered',
      module: 'fim',
      dataset: 'vigil.fim',
      outcome: 'failure',
      severity: 15,
      reason: problems.join('; '),
    },
    host: { name: host },
    vigil: { source, fim: { change: 'tampered', problems } },
  };
}
