import crypto from 'node:crypto';
import fs from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { encodeState, stateOf, type FileState, type HashAlgorithm } from './attributes.js';

/**
 * The hashing thread: opens each file without following a final symlink
 * (unless the policy says so) and without touching its atime, streams it
 * through the hash in 1 MiB reads, and checks that size, mtime and ctime did
 * not move while it read; a file that keeps changing is reported, not
 * guessed at.
 */
export interface HashJob {
  id: number;
  path: string | Uint8Array;
  follow: boolean;
}

export interface HashBatch {
  algorithm: HashAlgorithm;
  jobs: HashJob[];
  /** When set, each result also carries its stored encoding and entry MAC (an init's rows, built off the main thread). */
  macKey?: Uint8Array;
}

export interface HashResult {
  id: number;
  state?: FileState;
  /** errno code or reason, when the file could not be opened or read consistently. */
  error?: string;
  text?: string;
  mac?: Uint8Array;
}

const ATTEMPTS = 3;
const CHUNK = 1 << 20;
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
      const h = crypto.createHash(algorithm);
      let n: number;
      while ((n = fs.readSync(fd, buffer, 0, CHUNK, null)) > 0) h.update(buffer.subarray(0, n));
      const after = fs.fstatSync(fd, { bigint: true });
      last = after;
      if (unchanged(before, after)) {
        return { id: 0, state: { ...stateOf(after), hash: `${algorithm}:${h.digest('hex')}` } };
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

parentPort?.on('message', (batch: HashBatch) => {
  const results: HashResult[] = batch.jobs.map((job) => {
    const p = typeof job.path === 'string' ? job.path : Buffer.from(job.path);
    const r: HashResult = { ...hashFile(p, batch.algorithm, job.follow), id: job.id };
    if (batch.macKey && r.state) {
      const state = r.error !== undefined ? { ...r.state, error: r.error } : r.state;
      r.text = encodeState(state);
      r.mac = crypto
        .createHmac('sha256', batch.macKey)
        .update(typeof p === 'string' ? Buffer.from(p) : p)
        .update('\0')
        .update(r.text)
        .digest();
    }
    return r;
  });
  parentPort!.postMessage(results);
});
