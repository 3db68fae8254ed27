import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { encodeHead, sameStatKey, stateOf, type FileState } from './attributes.js';
import type { BaselineRow, Baseline } from './baseline.js';
import type { HashPool } from './hash-pool.js';
import type { RowResults } from './hash-worker.js';
import { MAC_BYTES } from './entry-mac.js';
import { listDir, type Entry } from './listing.js';
import {
  display,
  fromBytes,
  fromNameKey,
  joinPath,
  nameKey,
  nameOf,
  toBytes,
  type FsPath,
} from './paths.js';
import type { Policy, PolicyRule } from './policy.js';
import { readXattrs } from './xattrs.js';

/**
 * One path seen by a walk: its stored entry (`old`) and what it is now
 * (`cur`). Neither present never happens; `old` alone means it is gone.
 */
export interface WalkItem {
  path: FsPath;
  bytes: Buffer;
  rule: PolicyRule;
  old?: BaselineRow;
  cur?: FileState;
  /** Known equal to `old` (stat fields, and the hash or link target carried over). */
  unchanged?: boolean;
}

export interface WalkOptions {
  policy: Policy;
  /** Where to start, each with its rule (a policy root or a path inside one). */
  starts: Array<{ path: string; rule: PolicyRule }>;
  /** Compared against; absent for an init. */
  baseline?: Baseline;
  pool: HashPool;
  /** Hash every file even when inode, size, mtime and ctime are unchanged. */
  full: boolean;
  /** An init: regular files come back as stored rows built by the hash threads, not as items. */
  rows?: RowSink;
  onItem(item: WalkItem): void;
  /** A directory that could not be listed: its entries are neither compared nor reported gone. */
  onError?(path: string, message: string): void;
  signal?: AbortSignal;
}

export interface RowSink {
  /** The key the hash threads MAC the rows with. */
  macKey: Buffer;
  /**
   * One regular file's row, its text as UTF-8 bytes; `error` when it could
   * not be read (the row says so too).
   */
  onRow(bytes: Buffer, text: Buffer, mac: Buffer, error: string | undefined): void;
}

// Files handed to the hash pool and not yet back: bounds memory on any tree
// (and keeps four init batches in flight).
const MAX_PENDING = 4096;
// Visits between yields to the event loop, so a long unchanged walk inside
// `vigil start` does not starve the pipeline.
const YIELD_EVERY = 1024;
const HASH_YIELD_EVERY = 32;
// Files per message to a hash thread in an init: the fewer the messages,
// the less the walking thread spends on them (64 measured 2-3% slower than
// 256, and 256 about as much slower than 1024).
const ROW_BATCH = 1024;
const HASH_TAIL = /^,"hash":"([a-z0-9]+:[0-9a-f]+)"\}$/;

export interface WalkStats {
  visited: number;
  hashed: number;
  bytesHashed: number;
  errors: number;
}

/** Walks the starts depth-first, in name order, comparing as it goes. */
export async function walk(opts: WalkOptions): Promise<WalkStats> {
  const stats: WalkStats = { visited: 0, hashed: 0, bytesHashed: 0, errors: 0 };
  const pending = new Set<Promise<void>>();
  const algorithm = opts.pool.algorithm;
  opts.pool.beginWalk();
  // dev:ino of the directories on the current path, when links are followed.
  const stack = new Set<string>();

  const emit = (item: WalkItem): void => {
    if (item.cur?.error !== undefined) stats.errors++;
    opts.onItem(item);
  };

  const track = (job: Promise<void>): void => {
    pending.add(job);
    void job.finally(() => pending.delete(job));
  };

  /** A stored entry with nothing on disk any more. */
  const removed = (row: BaselineRow, rule: PolicyRule): void =>
    emit({ path: fromBytes(row.path), bytes: row.path, rule, old: row });

  const gone = (row: BaselineRow, rule: PolicyRule): void => {
    removed(row, rule);
    if (row.state.type === 'dir' && opts.baseline) {
      for (const below of opts.baseline.below(row.path)) removed(below, rule);
    }
  };

  const statOf = (
    p: FsPath,
    follow: boolean,
  ): { st?: fs.BigIntStats; error?: string; gone?: boolean } => {
    try {
      return { st: follow ? fs.statSync(p, { bigint: true }) : fs.lstatSync(p, { bigint: true }) };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      if (follow && code === 'ENOENT') {
        // A dangling symlink: recorded as the link it is.
        try {
          return { st: fs.lstatSync(p, { bigint: true }), error: 'ENOENT (dangling symlink)' };
        } catch {
          return { gone: true };
        }
      }
      if (code === 'ENOENT' || code === 'ENOTDIR') return { gone: true };
      return { error: code };
    }
  };

  /**
   * The common case of a check, decided on the stored text without parsing
   * it: every stat field as stored, and after them only the hash (of this
   * algorithm, carried over as for an unchanged stat key) or the same link
   * target. Anything else takes the full comparison.
   */
  const unchangedText = (text: string, cur: FileState, rule: PolicyRule): boolean => {
    const head = encodeHead(cur);
    if (!text.startsWith(head)) return false;
    const rest = text.slice(head.length);
    if (cur.type === 'symlink') return rest === `,"target":${JSON.stringify(cur.target)}}`;
    if (cur.type !== 'file' || !rule.attributes.has('hash')) return rest === '}';
    const m = HASH_TAIL.exec(rest);
    if (!m || !m[1]!.startsWith(`${algorithm}:`)) return false;
    cur.hash = m[1]!;
    return true;
  };

  /**
   * An init's regular files (the listing says so), gathered for the hash
   * threads, which fstat, hash, encode and MAC each: the walk spends no
   * lstat and no per-file message on them.
   */
  let batch: { paths: FsPath[]; rule: PolicyRule | undefined } = { paths: [], rule: undefined };

  const sendRows = async (sink: RowSink): Promise<void> => {
    const { paths, rule } = batch;
    if (paths.length === 0) return;
    batch = { paths: [], rule: undefined };
    stats.hashed += paths.length;
    track(opts.pool.rows(paths, sink.macKey).then((r) => takeRows(sink, paths, rule!, r)));
    // Answers arrive as messages, which only a real turn of the event loop
    // delivers: without one the threads sit idle while the walk runs on.
    await yieldToLoop();
    await opts.pool.below(MAX_PENDING);
  };

  /** Adds a file to the batch; true when the batch is full and due to be sent. */
  const queueRow = (p: FsPath, rule: PolicyRule): boolean => {
    batch.rule = rule;
    batch.paths.push(p);
    return batch.paths.length >= ROW_BATCH;
  };

  const takeRows = (sink: RowSink, paths: FsPath[], rule: PolicyRule, r: RowResults): void => {
    const bytes = Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength);
    let at = 0;
    for (let i = 0; i < paths.length; i++) {
      const pathEnd = r.ends[2 * i]!;
      const textEnd = r.ends[2 * i + 1]!;
      const row = at;
      at = textEnd + MAC_BYTES;
      const error = r.errors[i] ?? undefined;
      if (textEnd === pathEnd) {
        // Not opened at all: what it is now comes from an lstat.
        const p = paths[i]!;
        const { st, error: statError, gone: vanished } = statOf(p, false);
        if (vanished) continue;
        const cur = st ? stateOf(st) : unreadable(statError!);
        if (error !== undefined) cur.error = error;
        emit({ path: p, bytes: toBytes(p), rule, cur });
        continue;
      }
      if (error !== undefined) stats.errors++;
      stats.bytesHashed += r.sizes[i]!;
      sink.onRow(
        bytes.subarray(row, pathEnd),
        bytes.subarray(pathEnd, textEnd),
        bytes.subarray(textEnd, at),
        error,
      );
    }
  };

  const visit = async (
    p: FsPath,
    bytes: Buffer,
    depth: number,
    rel: string,
    rule: PolicyRule,
    old: BaselineRow | undefined,
  ): Promise<void> => {
    if (opts.signal?.aborted) return;
    if (++stats.visited % YIELD_EVERY === 0) await yieldToLoop();
    const { st, error, gone: vanished } = statOf(p, rule.followSymlinks);
    if (vanished) {
      if (old) gone(old, rule);
      return;
    }
    if (!st) {
      emit({ path: p, bytes, rule, ...(old ? { old } : {}), cur: unreadable(error!) });
      return;
    }
    const cur = stateOf(st);
    if (error) cur.error = error;
    if (cur.type === 'symlink') {
      try {
        cur.target = display(fs.readlinkSync(p, { encoding: 'buffer' }));
      } catch (err) {
        cur.error = (err as NodeJS.ErrnoException).code ?? String(err);
      }
    }
    if (rule.attributes.has('xattrs')) {
      const x = readXattrs(p);
      if ('xattrs' in x) cur.xattrs = x.xattrs;
      else cur.error = x.error;
    }
    const item: WalkItem = { path: p, bytes, rule, ...(old ? { old } : {}), cur };
    if (old && !opts.full && !cur.error && !cur.xattrs && unchangedText(old.text, cur, rule)) {
      item.unchanged = true;
      emit(item);
    } else if (cur.type === 'file' && rule.attributes.has('hash')) {
      const prev = old?.state;
      if (
        !opts.full &&
        prev?.type === 'file' &&
        prev.error === undefined &&
        prev.hash?.startsWith(`${algorithm}:`) &&
        sameStatKey(prev, cur)
      ) {
        cur.hash = prev.hash;
        emit(item);
      } else {
        stats.hashed++;
        stats.bytesHashed += cur.size;
        const job = opts.pool.hash(p, rule.followSymlinks, cur.size).then((r) => {
          // The worker's own fstat is the state the hash belongs to.
          const next: FileState = r.state ?? cur;
          if (cur.xattrs) next.xattrs = cur.xattrs;
          if (cur.error !== undefined) next.error = cur.error;
          if (r.error !== undefined) {
            next.error = r.error;
            delete next.hash;
          }
          item.cur = next;
          emit(item);
        });
        track(job);
        // Results arrive as messages, which only a real turn of the event
        // loop delivers: without one the threads sit idle while the walk
        // runs on in microtasks.
        if (stats.hashed % HASH_YIELD_EVERY === 0) await yieldToLoop();
        await opts.pool.below(MAX_PENDING);
      }
    } else {
      emit(item);
    }
    if (cur.type !== 'dir' || depth >= rule.maxDepth) return;
    const key = `${st.dev}:${st.ino}`;
    if (rule.followSymlinks) {
      if (stack.has(key)) {
        opts.onError?.(display(p), 'symlink loop: not descended again');
        return;
      }
      stack.add(key);
    }
    await walkDir(p, bytes, depth, rel, rule, old?.state.type === 'dir');
    stack.delete(key);
  };

  const walkDir = async (
    dir: FsPath,
    dirBytes: Buffer,
    depth: number,
    rel: string,
    rule: PolicyRule,
    hadOld: boolean,
  ): Promise<void> => {
    let entries: Entry[];
    try {
      entries = listDir(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      if ((code === 'ENOENT' || code === 'ENOTDIR') && hadOld && opts.baseline) {
        // Vanished between its stat and its listing: what it held is gone.
        for (const row of opts.baseline.below(dirBytes)) removed(row, rule);
        return;
      }
      stats.errors++;
      opts.onError?.(display(dir), `cannot list: ${code}`);
      return;
    }
    const oldChildren =
      hadOld && opts.baseline ? opts.baseline.children(dirBytes) : new Map<string, BaselineRow>();
    // Per directory, not per entry: which checks can apply at all.
    const nested = typeof dir === 'string' && opts.policy.nestedBelow(dir, rule);
    const rows =
      opts.rows &&
      !rule.followSymlinks &&
      rule.attributes.has('hash') &&
      !rule.attributes.has('xattrs')
        ? opts.rows
        : undefined;
    for (const e of entries) {
      if (opts.signal?.aborted) return;
      const name = typeof e.name === 'string' ? e.name : nameOf(e.name);
      const key = nameKey(name);
      const oldChild = oldChildren.get(key);
      oldChildren.delete(key);
      const child = joinPath(dir, name);
      if (nested && opts.policy.ownedByOther(child as string, rule)) continue;
      const isDir = e.isDirectory() || (rule.followSymlinks && e.isSymbolicLink());
      const childRel = rule.filtered ? relOf(rel, name) : '';
      if (rule.filtered && rule.excluded(childRel, isDir)) continue;
      if (rows && e.isFile()) {
        if (++stats.visited % YIELD_EVERY === 0) await yieldToLoop();
        // A batch holds the files of one rule.
        if (batch.rule !== rule) await sendRows(rows);
        if (queueRow(child, rule)) await sendRows(rows);
        continue;
      }
      await visit(child, toBytes(child), depth + 1, childRel, rule, oldChild);
    }
    for (const [key, row] of oldChildren) {
      const childRel = relOf(rel, fromNameKey(key));
      const childPath = row.path.toString();
      if (
        opts.policy.ownedByOther(childPath, rule) ||
        rule.excluded(childRel, row.state.type === 'dir')
      )
        continue;
      gone(row, rule);
    }
  };

  for (const start of opts.starts) {
    const rel = path.relative(start.rule.root, start.path);
    const depth = rel === '' ? 0 : rel.split('/').length;
    const bytes = toBytes(start.path);
    await visit(start.path, bytes, depth, rel, start.rule, opts.baseline?.get(bytes));
  }
  if (opts.rows) await sendRows(opts.rows);
  while (pending.size > 0) await Promise.all([...pending]);
  return stats;
}

/** A path relative to its rule's root, as include and exclude patterns see it. */
function relOf(rel: string, name: FsPath): string {
  const shown = typeof name === 'string' ? name : display(name);
  return rel === '' ? shown : `${rel}/${shown}`;
}

function unreadable(error: string): FileState {
  return {
    type: 'unknown',
    mode: 0,
    inode: '0',
    nlink: 0,
    uid: 0,
    gid: 0,
    size: 0,
    mtime: '0',
    ctime: '0',
    error,
  };
}
