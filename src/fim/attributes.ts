import fs from 'node:fs';

/**
 * What vigil records about a file and which of it a policy compares, in the
 * manner of AIDE's attribute groups. `hash` covers a regular file's content
 * and a symlink's target; `xattrs` covers extended attributes, POSIX ACLs
 * (system.posix_acl_*) included.
 */
export const ATTRIBUTES = [
  'type',
  'mode',
  'inode',
  'nlink',
  'uid',
  'gid',
  'size',
  'mtime',
  'ctime',
  'xattrs',
  'hash',
] as const;
export type Attribute = (typeof ATTRIBUTES)[number];

export const ATTRIBUTE_GROUPS: Record<string, readonly Attribute[]> = {
  /** Tripwire/AIDE's usual read-only set (AIDE's R without ACL/xattrs). */
  default: ['type', 'mode', 'inode', 'nlink', 'uid', 'gid', 'size', 'mtime', 'ctime', 'hash'],
  all: ATTRIBUTES,
  /** Who may do what: AIDE's PERMS. */
  permissions: ['type', 'mode', 'uid', 'gid'],
  /** Only what the bytes are. */
  content: ['type', 'size', 'hash'],
  /** Growing files: identity and ownership, no content (pair with `allow: [grow]`). */
  log: ['type', 'mode', 'inode', 'uid', 'gid', 'size'],
};

export type FileType =
  'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'char' | 'block' | 'unknown';

export type HashAlgorithm = 'sha256' | 'sha512' | 'blake2b512';

/**
 * One file's recorded state. Times and inodes are exact decimal strings
 * (nanoseconds since the epoch; inodes can exceed 2^53); `error` says why
 * something could not be read (the file is still recorded).
 */
export interface FileState {
  type: FileType;
  mode: number;
  inode: string;
  nlink: number;
  uid: number;
  gid: number;
  size: number;
  mtime: string;
  ctime: string;
  /** `<algorithm>:<hex>` of a regular file's bytes. */
  hash?: string;
  /** A symlink's target. */
  target?: string;
  /** name=hex value, sorted; absent when not recorded. */
  xattrs?: Record<string, string>;
  error?: string;
}

export function fileType(st: fs.BigIntStats | fs.Stats): FileType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  return 'unknown';
}

export function stateOf(st: fs.BigIntStats): FileState {
  return {
    type: fileType(st),
    mode: Number(st.mode & 0o7777n),
    inode: st.ino.toString(),
    nlink: Number(st.nlink),
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: Number(st.size),
    mtime: st.mtimeNs.toString(),
    ctime: st.ctimeNs.toString(),
  };
}

/** The stat part of `encodeState`'s output, without the closing brace: a prefix of it. */
export function encodeHead(s: FileState): string {
  // Numbers and decimal strings never need escaping; `type` is one of a few words.
  return `{"type":"${s.type}","mode":${s.mode},"inode":"${s.inode}","nlink":${s.nlink},"uid":${s.uid},"gid":${s.gid},"size":${s.size},"mtime":"${s.mtime}","ctime":"${s.ctime}"`;
}

/**
 * The one serialization that MACs, digests and the store use: fixed key
 * order, optional keys only when present. Two equal states always encode to
 * the same bytes: exactly `JSON.stringify` of the fields in that order, built
 * by hand because it runs for every entry of every walk.
 */
export function encodeState(s: FileState): string {
  let out = encodeHead(s);
  if (s.hash !== undefined) out += `,"hash":${quoted(s.hash)}`;
  if (s.target !== undefined) out += `,"target":${JSON.stringify(s.target)}`;
  if (s.xattrs !== undefined) {
    const sorted = Object.entries(s.xattrs).sort(([a], [b]) => (a < b ? -1 : 1));
    out += `,"xattrs":${JSON.stringify(Object.fromEntries(sorted))}`;
  }
  if (s.error !== undefined) out += `,"error":${JSON.stringify(s.error)}`;
  return `${out}}`;
}

// What a hash thread writes (`sha256:` and hex) needs no escaping: quoted
// as it is, as JSON.stringify would, without its cost on every entry.
const PLAIN = /^[a-z0-9:]*$/;

function quoted(s: string): string {
  return PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
}

export function decodeState(text: string): FileState {
  return JSON.parse(text) as FileState;
}

/**
 * Inode, size, mtime and ctime all unchanged: the content is taken as
 * unchanged too and not read again (any write moves ctime, which no
 * unprivileged call can set back).
 */
export function sameStatKey(a: FileState, b: FileState): boolean {
  return a.inode === b.inode && a.size === b.size && a.mtime === b.mtime && a.ctime === b.ctime;
}

/** What an attribute holds in a state, as text for reports and events. */
export function attributeValue(s: FileState, a: Attribute): string | undefined {
  switch (a) {
    case 'mode':
      return formatMode(s.mode);
    case 'mtime':
    case 'ctime':
      return nsToIso(s[a]);
    case 'hash':
      return s.type === 'symlink' ? s.target : s.hash;
    case 'xattrs':
      return s.xattrs === undefined
        ? undefined
        : Object.entries(s.xattrs)
            .map(([k, v]) => `${k}=${v}`)
            .join(',');
    default:
      return String(s[a]);
  }
}

/** `0755`, `4755`: the permission bits with setuid/setgid/sticky, as ECS file.mode. */
export function formatMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

export function nsToIso(ns: string): string {
  const n = BigInt(ns);
  const ms = Number(n / 1_000_000n);
  const frac = (n % 1_000_000_000n).toString().padStart(9, '0');
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, `.${frac}Z`);
}

// Raw values: the walk compares every entry, formatting is for reports.
function sameAttribute(a: FileState, b: FileState, attr: Attribute): boolean {
  switch (attr) {
    case 'hash':
      return a.type === 'symlink' || b.type === 'symlink'
        ? a.target === b.target
        : a.hash === b.hash;
    case 'xattrs':
      return attributeValue(a, attr) === attributeValue(b, attr);
    default:
      return a[attr] === b[attr];
  }
}

const DIR_FOLLOWS: ReadonlySet<Attribute> = new Set(['size', 'nlink', 'mtime', 'ctime']);

/** The attributes (of those compared) whose values differ; `error` when readability changed. */
export function diffStates(
  old: FileState,
  cur: FileState,
  compared: ReadonlySet<Attribute>,
): Array<Attribute | 'error'> {
  const out: Array<Attribute | 'error'> = [];
  for (const a of ATTRIBUTES) {
    if (!compared.has(a)) continue;
    // A directory's size, link count and times follow its entries; those
    // changes are reported as the entries' own additions and removals.
    if (old.type === 'dir' && cur.type === 'dir' && DIR_FOLLOWS.has(a)) continue;
    if (!sameAttribute(old, cur, a)) out.push(a);
  }
  if ((old.error ?? '') !== (cur.error ?? '')) out.push('error');
  return out;
}
