import crypto from 'node:crypto';
import fs from 'node:fs';
import { parentPort } from 'node:worker_threads';
import {
  encodeHead,
  encodeState,
  stateOf,
  type FileState,
  type HashAlgorithm,
} from './attributes.js';
import { EntryMac, MAC_BYTES } from './entry-mac.js';

/**
 * The hashing thread: opens each file without following a final symlink
 * (unless the policy says so) and without touching its atime, streams it
 * through the hash in 128 KiB reads, and checks that size, mtime and ctime did
 * not move while it read; a file that keeps changing is reported, not
 * guessed at.
 */
export interface HashJob {
  id: number;
  path: string | Uint8Array;
  follow: boolean;
}

/** Files to hash one by one, each answered with its state (a check's changed files). */
export interface HashBatch {
  kind: 'files';
  algorithm: HashAlgorithm;
  /** The walk this batch belongs to (see `linked`). */
  walk: number;
  jobs: HashJob[];
}

/**
 * An init's regular files, answered with their stored rows: building the
 * encoding and the entry MAC here keeps that work off the walking thread,
 * and parallel arrays keep the answer to one cheap message.
 */
export interface RowBatch {
  kind: 'rows';
  algorithm: HashAlgorithm;
  walk: number;
  paths: Array<string | Uint8Array>;
  macKey: Uint8Array;
}

export interface RowResults {
  /**
   * Each row's path bytes, stored text (UTF-8) and MAC, back to back, in
   * one buffer that moves to the walking thread without a copy. The text is
   * empty (and the MAC zeros) when the file could not be opened at all: the
   * walker records what it is.
   */
  bytes: Uint8Array<ArrayBuffer>;
  /** Per row, where its path and then its text end in `bytes`. */
  ends: Uint32Array<ArrayBuffer>;
  errors: Array<string | null>;
  sizes: Float64Array<ArrayBuffer>;
}

export interface HashResult {
  id: number;
  state?: FileState;
  /** errno code or reason, when the file could not be opened or read consistently. */
  error?: string;
}

const ATTEMPTS = 3;
// Small enough to stay in a core's L2 cache between the read that fills it
// and the hash that reads it, with the walking thread sharing the core: 1
// MiB reads spent twice the kernel's copy time of 128 KiB ones in an init.
const CHUNK = 1 << 17;
const buffer = Buffer.allocUnsafe(CHUNK);
const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
// Only the owner (or root) may open with O_NOATIME; others fall back.
let noAtime = fs.constants.O_NOATIME ?? 0;

function open(p: string | Buffer, follow: boolean): number {
  const flags = O_RDONLY | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW);
  if (noAtime !== 0) {
    try {
      return fs.openSync(p, flags | noAtime);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
      noAtime = 0;
    }
  }
  return fs.openSync(p, flags);
}

function unchanged(a: fs.BigIntStats, b: fs.BigIntStats): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino;
}

/**
 * Hashes of this walk's files that have more than one name, by device and
 * inode: the other names of a hard-linked file (a Mesa driver has a dozen)
 * take the hash of the same bytes instead of reading them again, as long as
 * size, mtime and ctime show the same content. Cleared with every walk, so
 * that `check --full` still reads each inode once.
 */
const linked = new Map<string, { stat: fs.BigIntStats; hash: string }>();
const MAX_LINKED = 16_384;
let linkedWalk = -1;

function startWalk(walk: number): void {
  if (walk === linkedWalk) return;
  linkedWalk = walk;
  linked.clear();
}

function linkedHash(st: fs.BigIntStats): string | undefined {
  const seen = linked.get(`${st.dev}:${st.ino}`);
  return seen && unchanged(seen.stat, st) ? seen.hash : undefined;
}

function rememberLinked(st: fs.BigIntStats, hash: string): void {
  if (linked.size >= MAX_LINKED) linked.clear();
  linked.set(`${st.dev}:${st.ino}`, { stat: st, hash });
}

export function hashFile(
  p: string | Buffer,
  algorithm: HashAlgorithm,
  follow: boolean,
): HashResult {
  let last: fs.BigIntStats | undefined;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    let fd: number;
    try {
      fd = open(p, follow);
    } catch (err) {
      return { id: 0, error: errorText(err) };
    }
    try {
      const before = fs.fstatSync(fd, { bigint: true });
      last = before;
      if (!before.isFile()) return { id: 0, state: stateOf(before) };
      const multi = before.nlink > 1n;
      if (multi) {
        const hash = linkedHash(before);
        if (hash !== undefined) {
          const state = stateOf(before);
          state.hash = hash;
          return { id: 0, state };
        }
      }
      const size = Number(before.size);
      let n = fs.readSync(fd, buffer, 0, CHUNK, null);
      if (n === size) {
        // One read saw the whole file, hashed in one call. A write racing
        // it moves mtime/ctime past the stat kept here, so the next check
        // hashes the file again anyway: only multi-read files are worth a
        // second fstat.
        const state = stateOf(before);
        state.hash = `${algorithm}:${crypto.hash(algorithm, buffer.subarray(0, n), 'hex')}`;
        if (multi) rememberLinked(before, state.hash);
        return { id: 0, state };
      }
      // Reading stops at the size fstat gave, without the read that only
      // sees EOF: the second fstat catches a file that grew meanwhile.
      const h = crypto.createHash(algorithm);
      let left = size;
      while (n > 0) {
        h.update(buffer.subarray(0, n));
        left -= n;
        if (left === 0) break;
        n = fs.readSync(fd, buffer, 0, CHUNK, null);
      }
      const after = fs.fstatSync(fd, { bigint: true });
      last = after;
      if (unchanged(before, after)) {
        const state = stateOf(after);
        state.hash = `${algorithm}:${h.digest('hex')}`;
        if (multi) rememberLinked(after, state.hash);
        return { id: 0, state };
      }
    } catch (err) {
      return { id: 0, ...(last ? { state: stateOf(last) } : {}), error: errorText(err) };
    } finally {
      fs.closeSync(fd);
    }
  }
  return { id: 0, state: stateOf(last!), error: `changed while being read (${ATTEMPTS} attempts)` };
}

function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ?? e.message;
}

function hashFiles(batch: HashBatch): HashResult[] {
  return batch.jobs.map((job) => {
    const p = typeof job.path === 'string' ? job.path : Buffer.from(job.path);
    return { ...hashFile(p, batch.algorithm, job.follow), id: job.id };
  });
}

/**
 * `encodeState` of a state this thread made: its hash is `algorithm:hex`,
 * which needs no escaping, so the common row skips the check for it.
 */
function rowText(state: FileState): string {
  if (state.hash === undefined || state.error !== undefined) return encodeState(state);
  return `${encodeHead(state)},"hash":"${state.hash}"}`;
}

// A batch's answer is built here and copied out at its exact size.
let rowBytes = Buffer.allocUnsafe(1 << 16);

function hashRows(batch: RowBatch): RowResults {
  const n = batch.paths.length;
  const ends = new Uint32Array(2 * n);
  const errors = new Array<string | null>(n);
  const sizes = new Float64Array(n);
  const mac = new EntryMac(batch.macKey);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const raw = batch.paths[i]!;
    const p = typeof raw === 'string' ? raw : Buffer.from(raw);
    const r = hashFile(p, batch.algorithm, false);
    errors[i] = r.error ?? null;
    sizes[i] = r.state?.size ?? 0;
    if (r.state && r.error !== undefined) r.state.error = r.error;
    const text = r.state ? rowText(r.state) : '';
    // UTF-8 takes at most three bytes per UTF-16 unit.
    const need = at + 3 * (p.length + text.length) + MAC_BYTES;
    if (need > rowBytes.length) {
      const grown = Buffer.allocUnsafe(2 * need);
      rowBytes.copy(grown, 0, 0, at);
      rowBytes = grown;
    }
    at += typeof p === 'string' ? rowBytes.write(p, at, 'utf8') : p.copy(rowBytes, at);
    ends[2 * i] = at;
    at += rowBytes.write(text, at, 'utf8');
    ends[2 * i + 1] = at;
    if (r.state) mac.macInto(p, text, rowBytes, at);
    else rowBytes.fill(0, at, at + MAC_BYTES);
    at += MAC_BYTES;
  }
  return { bytes: new Uint8Array(rowBytes.subarray(0, at)), ends, errors, sizes };
}

parentPort?.on('message', (batch: HashBatch | RowBatch) => {
  startWalk(batch.walk);
  if (batch.kind === 'files') {
    parentPort!.postMessage(hashFiles(batch));
    return;
  }
  const rows = hashRows(batch);
  parentPort!.postMessage(rows, [rows.bytes.buffer, rows.ends.buffer, rows.sizes.buffer]);
});
