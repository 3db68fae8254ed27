import { isUtf8 } from 'node:buffer';

/**
 * A file name as the kernel has it. Names that are valid UTF-8 stay strings
 * (the fast, common case); names that are not stay raw bytes, so that a file
 * called with invalid UTF-8 is still opened, hashed and stored under its real
 * name instead of a lossy decoding that would point at nothing.
 */
export type FsPath = string | Buffer;

export function toBytes(p: FsPath): Buffer {
  return typeof p === 'string' ? Buffer.from(p) : p;
}

/** Back from stored bytes: a string when the bytes are UTF-8. */
export function fromBytes(b: Buffer): FsPath {
  return isUtf8(b) ? b.toString('utf8') : Buffer.from(b);
}

export function joinPath(dir: FsPath, name: FsPath): FsPath {
  if (typeof dir === 'string' && typeof name === 'string') {
    return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
  }
  const d = toBytes(dir);
  const sep = d[d.length - 1] === 0x2f ? [] : [Buffer.from('/')];
  return Buffer.concat([d, ...sep, toBytes(name)]);
}

/** A readdir name: string when valid UTF-8, raw bytes otherwise. */
export function nameOf(raw: Buffer): FsPath {
  return isUtf8(raw) ? raw.toString('utf8') : raw;
}

/**
 * How a name is looked up among a directory's stored entries: the name
 * itself when it is UTF-8, else its bytes as latin1 behind a NUL (which no
 * name contains), so distinct invalid names never collide.
 */
export function nameKey(name: FsPath): string {
  return typeof name === 'string' ? name : `\0${name.toString('latin1')}`;
}

export function fromNameKey(key: string): FsPath {
  return key.startsWith('\0') ? Buffer.from(key.slice(1), 'latin1') : key;
}

export function parentOf(p: FsPath): FsPath {
  const b = toBytes(p);
  const i = b.lastIndexOf(0x2f);
  if (i <= 0) return '/';
  return fromBytes(b.subarray(0, i));
}

export function baseName(p: FsPath): string {
  const b = toBytes(p);
  return display(b.subarray(b.lastIndexOf(0x2f) + 1));
}

// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[\\\x00-\x1f\x7f]/;

/**
 * A path as people and JSON see it: control characters and backslashes
 * escaped (`\n`, `\x1b`, `\\`), bytes that are not UTF-8 as `\xNN`. One line
 * per change stays one line, and distinct names never print alike.
 */
export function display(p: FsPath): string {
  const valid = typeof p === 'string' || isUtf8(p);
  const s = typeof p === 'string' ? p : valid ? p.toString('utf8') : undefined;
  if (s !== undefined && !NEEDS_ESCAPE.test(s)) return s;
  if (s !== undefined) return escapeText(s);
  let out = '';
  const b = p as Buffer;
  let i = 0;
  while (i < b.length) {
    const len = utf8SeqLength(b, i);
    if (len === 0) {
      out += `\\x${b[i]!.toString(16).padStart(2, '0')}`;
      i++;
    } else {
      out += escapeText(b.toString('utf8', i, i + len));
      i += len;
    }
  }
  return out;
}

function escapeText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\\\x00-\x1f\x7f]/g, (c) => {
    if (c === '\\') return '\\\\';
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

/** Length of a valid UTF-8 sequence at `i`, or 0 when the byte there starts none. */
function utf8SeqLength(b: Buffer, i: number): number {
  const c = b[i]!;
  const len =
    c < 0x80
      ? 1
      : c >= 0xc2 && c <= 0xdf
        ? 2
        : c >= 0xe0 && c <= 0xef
          ? 3
          : c >= 0xf0 && c <= 0xf4
            ? 4
            : 0;
  if (len <= 1 || i + len > b.length) return len === 1 ? 1 : 0;
  return isUtf8(b.subarray(i, i + len)) ? len : 0;
}

/** Is `p` equal to `root` or inside it? Both absolute, without trailing slash. */
export function isUnder(p: string, root: string): boolean {
  return root === '/' || p === root || p.startsWith(root + '/');
}
