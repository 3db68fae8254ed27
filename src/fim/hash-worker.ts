import crypto from 'node:crypto';
import fs from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { encodeState, stateOf, type FileState, type HashAlgorithm } from './attributes.js';
import { EntryMac } from './entry-mac.js';

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

/** Files to hash one by one, each answered with its state (a check's changed files). */
export interface HashBatch {
  kind: 'files';
  algorithm: HashAlgorithm;
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
  paths: Array<string | Uint8Array>;
  macKey: Uint8Array;
}

export interface RowResults {
  /** The stored encoding; null when the file could not be opened at all (the walker records what it is). */
  texts: Array<string | null>;
  /** 32 bytes per path, in order (zeros where `texts` is null). */
  macs: Uint8Array;
  errors: Array<string | null>;
  sizes: number[];
}

export interface HashResult {
  id: number;
  state?: FileState;
  /** errno code or reason, when the file could not be opened or read consistently. */
  error?: string;
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
      // Reading stops at the size fstat gave, without the read that only
      // sees EOF: the second fstat catches a file that grew meanwhile.
      let left = Number(before.size);
      let reads = 0;
      let n: number;
      while ((n = fs.readSync(fd, buffer, 0, CHUNK, null)) > 0) {
        reads++;
        h.update(buffer.subarray(0, n));
        left -= n;
        if (left === 0) break;
      }
      if (left === 0 && reads <= 1) {
        // One read saw the whole file. A write racing it moves mtime/ctime
        // past the stat kept here, so the next check hashes the file again
        // anyway: only multi-read files are worth a second fstat.
        const state = stateOf(before);
        state.hash = `${algorithm}:${h.digest('hex')}`;
        return { id: 0, state };
      }
      const after = fs.fstatSync(fd, { bigint: true });
      last = after;
      if (unchanged(before, after)) {
        const state = stateOf(after);
        state.hash = `${algorithm}:${h.digest('hex')}`;
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

function hashRows(batch: RowBatch): RowResults {
  const n = batch.paths.length;
  const out: RowResults = {
    texts: new Array<string | null>(n),
    macs: new Uint8Array(n * 32),
    errors: new Array<string | null>(n),
    sizes: new Array<number>(n),
  };
  const mac = new EntryMac(batch.macKey);
  for (let i = 0; i < n; i++) {
    const raw = batch.paths[i]!;
    const p = typeof raw === 'string' ? raw : Buffer.from(raw);
    const r = hashFile(p, batch.algorithm, false);
    out.errors[i] = r.error ?? null;
    out.sizes[i] = r.state?.size ?? 0;
    if (!r.state) {
      out.texts[i] = null;
      continue;
    }
    if (r.error !== undefined) r.state.error = r.error;
    const text = encodeState(r.state);
    out.texts[i] = text;
    out.macs.set(mac.mac(p, text), i * 32);
  }
  return out;
}

parentPort?.on('message', (batch: HashBatch | RowBatch) => {
  parentPort!.postMessage(batch.kind === 'rows' ? hashRows(batch) : hashFiles(batch));
});
