/**
 * File source: tails files named by globs (rotation, truncation, checkpoints).
 * `vigil scan` reads files once with `scanFiles` (file-scan.ts).
 *
 * Tail rules:
 * - globs are re-expanded every `poll_interval`; fs.watch on the directories
 *   wakes the loop sooner (a failed watch is counted as `watch_failures` and
 *   polling carries on);
 * - a file present at the first expansion with no checkpoint starts at its end
 *   (`start_at: beginning` reads it whole); files that appear later are read
 *   from byte 0;
 * - rename rotation (the path now names another inode): the old descriptor is
 *   drained to EOF (its unterminated last line handed over), then the new file
 *   is read from 0; a size below the read position is a truncation (copytruncate):
 *   restart at 0; a deleted file is drained and closed;
 * - every record carries `offset` (byte just past it) and the checkpoint
 *   `file:<absolute path>` = `{"dev":…,"ino":…,"offset":…}`; an unterminated last
 *   line is not handed over (nor counted in the offset) until its newline comes.
 *
 * Restart from a checkpoint: same inode and size ≥ offset → resume at offset;
 * other inode → the checkpointed inode is looked for in the same directory
 * (`auth.log.1`) and drained from the offset, then the current file is read
 * from 0; size < offset → truncated while down: read from 0.
 */
import { watch, type FSWatcher, type Stats } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { glob, globSync } from 'tinyglobby';
import type { FileSourceConfig } from '../config/schema.js';
import { LineSplitter } from './lines.js';
import type { Emit, Source, SourceContext } from './types.js';
import {
  READ_CHUNK,
  RecordBatcher,
  errCode,
  fileCheckpointKey,
  parseFileCheckpoint,
  readGzip,
  reason,
  type FileCheckpoint,
} from './file-records.js';

interface Tailed {
  /** The watched path (absolute); records carry it and its checkpoint key. */
  path: string;
  key: string;
  fh: FileHandle;
  dev: number;
  ino: number;
  splitter: LineSplitter;
}

/** Static directory part of a glob: segments before the first with a glob character. */
export function globBase(pattern: string): string {
  const parts = pattern.split('/');
  const out: string[] = [];
  for (const part of parts) {
    if (/[*?[\]{}()!]/.test(part)) break;
    out.push(part);
  }
  if (out.length === parts.length) return path.dirname(pattern);
  return out.join('/') || '/';
}

/** Rotated-away files remembered (oldest forgotten first). */
const MAX_KNOWN_INODES = 1024;

function inodeKey(dev: number, ino: number): string {
  return `${dev}:${ino}`;
}

export class FileSource implements Source {
  readonly kind = 'file';
  private readonly patterns: string[];
  private readonly ignore: string[];
  private readonly scope: string;
  private readonly tailed = new Map<string, Tailed>();
  /** .gz files already read: path → inode key. */
  private readonly gzDone = new Map<string, string>();
  /** Consumed offsets of files rotated away (so a rotated name matching the glob is not re-read). */
  private readonly knownInodes = new Map<string, number>();
  private readonly usedCheckpoints = new Set<string>();
  /** Last reported problem per path (notice once per change). */
  private readonly problems = new Map<string, string>();
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly watchFailed = new Set<string>();
  private readonly buf = Buffer.allocUnsafe(READ_CHUNK);
  private firstExpansion = true;
  private lastExpansion = 0;
  private expandSoon = false;
  private wake: (() => void) | undefined;
  private woken = false;

  constructor(
    readonly id: string,
    private readonly config: FileSourceConfig,
    private readonly ctx: SourceContext,
  ) {
    this.scope = `source:${id}`;
    // Globs run with cwd `/` and root-relative patterns, so that exclude
    // patterns without a slash (`*.gz`) can match at any depth.
    this.patterns = config.paths.map((p) => toGlobPath(path.resolve(p)));
    this.ignore = config.exclude.map((p) =>
      p.includes('/') ? toGlobPath(path.resolve(p)) : `**/${p}`,
    );
  }

  describe(): string[] {
    return this.patterns.map((pattern, i) => {
      let files: string[] = [];
      try {
        files = this.filter(globSync(pattern, GLOB_OPTIONS(this.ignore)));
      } catch {
        files = [];
      }
      const shown = files.length ? files.join(', ') : '(no file yet)';
      return `file ${this.config.paths[i]}: ${shown}`;
    });
  }

  async run(signal: AbortSignal, emit: Emit): Promise<void> {
    const onAbort = (): void => this.wakeUp();
    signal.addEventListener('abort', onAbort);
    try {
      while (!signal.aborted) {
        // Followed files first: a rotation seen here tells `expand` that the
        // rotated name (if it matches too) is a file already read.
        for (const t of [...this.tailed.values()]) {
          if (signal.aborted) break;
          await this.check(t, signal, emit);
        }
        const now = Date.now();
        const due = now - this.lastExpansion >= this.config.poll_interval;
        if (!signal.aborted && (this.firstExpansion || this.expandSoon || due)) {
          this.expandSoon = false;
          this.lastExpansion = now;
          await this.expand(signal, emit);
        }
        if (signal.aborted) break;
        await this.sleep(this.config.poll_interval);
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      for (const w of this.watchers.values()) w.close();
      this.watchers.clear();
      for (const t of this.tailed.values()) await t.fh.close().catch(() => undefined);
      this.tailed.clear();
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private wakeUp(): void {
    if (this.wake) this.wake();
    else this.woken = true;
  }

  /**
   * The checkpoint committed by an earlier run, the first time a key is opened
   * only: after that this run's own position is newer.
   */
  private startupCheckpoint(key: string): string | undefined {
    if (this.usedCheckpoints.has(key)) return undefined;
    this.usedCheckpoints.add(key);
    return this.ctx.checkpoints.get(key);
  }

  private rememberInode(dev: number, ino: number, offset: number): void {
    const k = inodeKey(dev, ino);
    this.knownInodes.delete(k);
    this.knownInodes.set(k, offset);
    if (this.knownInodes.size > MAX_KNOWN_INODES) {
      const oldest = this.knownInodes.keys().next().value;
      if (oldest !== undefined) this.knownInodes.delete(oldest);
    }
  }

  private filter(files: string[]): string[] {
    const out = this.config.read_compressed ? files : files.filter((f) => !f.endsWith('.gz'));
    return out.sort();
  }

  private notice(p: string, problem: string | undefined): void {
    const prev = this.problems.get(p);
    if (problem === undefined) {
      this.problems.delete(p);
      return;
    }
    if (prev === problem) return;
    this.problems.set(p, problem);
    this.ctx.counters.add(this.scope, 'errors', 1);
    this.ctx.notice(`file source ${this.id}: cannot read ${p}: ${problem}`);
  }

  /** Expands the globs, opens new files, keeps the directory watches in step. */
  private async expand(signal: AbortSignal, emit: Emit): Promise<void> {
    const first = this.firstExpansion;
    this.firstExpansion = false;
    const found = new Set<string>();
    for (const pattern of this.patterns) {
      let files: string[];
      try {
        files = await glob(pattern, GLOB_OPTIONS(this.ignore));
      } catch (err) {
        this.notice(`/${pattern}`, reason(err));
        continue;
      }
      for (const f of this.filter(files)) found.add(f);
      // A plain path that does not exist (yet): say so once.
      if (!/[*?[\]{}]/.test(pattern) && files.length === 0) {
        try {
          await stat(`/${pattern}`);
        } catch (err) {
          this.notice(`/${pattern}`, `${reason(err)}; waiting for it to appear`);
        }
      }
    }
    for (const f of [...found].sort()) {
      if (signal.aborted) return;
      if (this.tailed.has(f)) continue;
      if (f.endsWith('.gz')) {
        await this.readCompressed(f, first, signal, emit);
        continue;
      }
      await this.openNew(f, first, signal, emit);
    }
    this.updateWatches(found);
  }

  private updateWatches(found: Set<string>): void {
    const dirs = new Set<string>();
    for (const pattern of this.patterns) dirs.add(globBase(`/${pattern}`));
    for (const f of found) dirs.add(path.dirname(f));
    for (const [dir, w] of this.watchers) {
      if (!dirs.has(dir)) {
        w.close();
        this.watchers.delete(dir);
      }
    }
    for (const dir of dirs) {
      if (this.watchers.has(dir) || this.watchFailed.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, (event) => {
          if (event === 'rename') this.expandSoon = true;
          this.wakeUp();
        });
        w.on('error', () => {
          w.close();
          this.watchers.delete(dir);
          this.watchFailed.add(dir);
          this.ctx.counters.add(this.scope, 'watch_failures', 1);
        });
        this.watchers.set(dir, w);
      } catch (err) {
        // No such directory (yet): nothing to watch, retried at the next expansion.
        if (errCode(err) === 'ENOENT') continue;
        // No inotify watches left, or not allowed: polling covers it.
        this.watchFailed.add(dir);
        this.ctx.counters.add(this.scope, 'watch_failures', 1);
      }
    }
  }

  private async openHandle(p: string): Promise<{ fh: FileHandle; st: Stats } | undefined> {
    let fh: FileHandle;
    try {
      fh = await open(p, 'r');
    } catch (err) {
      this.notice(p, reason(err));
      return undefined;
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) {
        await fh.close();
        return undefined;
      }
      this.notice(p, undefined);
      return { fh, st };
    } catch (err) {
      await fh.close().catch(() => undefined);
      this.notice(p, reason(err));
      return undefined;
    }
  }

  /** First sight of a path: decide where to start (checkpoint, end or 0). */
  private async openNew(p: string, first: boolean, signal: AbortSignal, emit: Emit): Promise<void> {
    const opened = await this.openHandle(p);
    if (!opened) return;
    const { fh, st } = opened;
    for (const other of this.tailed.values()) {
      if (other.ino === st.ino && other.dev === st.dev) {
        // Another name of a file we follow (renamed, not yet noticed): decide next poll.
        await fh.close();
        return;
      }
    }
    const key = fileCheckpointKey(p);
    const raw = this.startupCheckpoint(key);
    const cp = raw === undefined ? undefined : parseFileCheckpoint(raw);
    if (raw !== undefined && cp === undefined) {
      this.ctx.notice(`file source ${this.id}: ignoring unreadable checkpoint for ${p}: ${raw}`);
    }
    let start = 0;
    const known = this.knownInodes.get(inodeKey(st.dev, st.ino));
    if (cp && cp.dev === st.dev && cp.ino === st.ino) {
      if (st.size >= cp.offset) start = cp.offset;
      else this.ctx.counters.add(this.scope, 'truncations', 1);
    } else if (cp) {
      // Rotated while we were down: finish the old file first, if it is still here.
      await this.drainRotated(p, key, cp, signal, emit);
      this.ctx.counters.add(this.scope, 'rotations', 1);
    } else if (known !== undefined) {
      start = known <= st.size ? known : 0;
    } else if (first && this.config.start_at === 'end') {
      start = st.size;
    }
    this.knownInodes.delete(inodeKey(st.dev, st.ino));
    const splitter = new LineSplitter({ maxSize: this.ctx.maxRecordSize });
    splitter.reset(start);
    const t: Tailed = { path: p, key, fh, dev: st.dev, ino: st.ino, splitter };
    this.tailed.set(p, t);
    this.ctx.counters.add(this.scope, 'files', 1);
    await this.readToEof(t, signal, emit);
  }

  /** Looks for the checkpointed inode next to `p` and reads it from the checkpoint to EOF. */
  private async drainRotated(
    p: string,
    key: string,
    cp: FileCheckpoint,
    signal: AbortSignal,
    emit: Emit,
  ): Promise<void> {
    const dir = path.dirname(p);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      const candidate = path.join(dir, name);
      let st: Stats;
      try {
        st = await stat(candidate);
      } catch {
        continue;
      }
      if (st.ino !== cp.ino || st.dev !== cp.dev || !st.isFile()) continue;
      if (candidate.endsWith('.gz')) return; // compressed since: cannot resume inside it
      const opened = await this.openHandle(candidate);
      if (!opened) return;
      const splitter = new LineSplitter({ maxSize: this.ctx.maxRecordSize });
      splitter.reset(opened.st.size >= cp.offset ? cp.offset : 0);
      const old: Tailed = { path: p, key, fh: opened.fh, dev: st.dev, ino: st.ino, splitter };
      try {
        await this.readToEof(old, signal, emit, true);
      } finally {
        await opened.fh.close().catch(() => undefined);
      }
      this.rememberInode(st.dev, st.ino, splitter.position);
      return;
    }
    this.ctx.notice(
      `file source ${this.id}: ${p} was replaced while vigil was stopped and the old file (inode ${cp.ino}) is gone; reading the new file from the beginning`,
    );
  }

  /** One poll of a followed file: rotation, deletion, truncation, then new bytes. */
  private async check(t: Tailed, signal: AbortSignal, emit: Emit): Promise<void> {
    let st: Stats | undefined;
    try {
      st = await stat(t.path);
    } catch {
      st = undefined; // deleted or renamed away
    }
    if (!st || st.ino !== t.ino || st.dev !== t.dev) {
      // Finish what was written to the old file, then let go of it.
      await this.readToEof(t, signal, emit, true);
      if (signal.aborted) return;
      await t.fh.close().catch(() => undefined);
      this.tailed.delete(t.path);
      this.rememberInode(t.dev, t.ino, t.splitter.position);
      if (st) {
        this.ctx.counters.add(this.scope, 'rotations', 1);
        await this.openNew(t.path, false, signal, emit);
      }
      return;
    }
    if (st.size < t.splitter.position) {
      this.ctx.counters.add(this.scope, 'truncations', 1);
      t.splitter.reset(0);
    }
    if (st.size > t.splitter.position) await this.readToEof(t, signal, emit);
  }

  /** Reads from the splitter's position to EOF; `final` hands over an unterminated last line. */
  private async readToEof(
    t: Tailed,
    signal: AbortSignal,
    emit: Emit,
    final = false,
  ): Promise<void> {
    const batcher = new RecordBatcher(
      this.id,
      t.path,
      this.config.format,
      this.ctx.maxRecordSize,
      t.key,
      t.dev,
      t.ino,
    );
    const buf = this.buf;
    for (;;) {
      let n: number;
      try {
        ({ bytesRead: n } = await t.fh.read(buf, 0, buf.length, t.splitter.position));
      } catch (err) {
        this.notice(t.path, reason(err));
        return;
      }
      if (n === 0) break;
      batcher.received = new Date();
      t.splitter.push(n === buf.length ? buf : buf.subarray(0, n), batcher.sink);
      await batcher.drain(emit, this.ctx.counters, this.scope, n);
      if (signal.aborted) return;
    }
    if (final) {
      t.splitter.flush(batcher.sink);
      await batcher.drain(emit, this.ctx.counters, this.scope, 0);
    }
  }

  /** A .gz file matched (read_compressed): read it once, whole, unless it was there at start. */
  private async readCompressed(
    p: string,
    first: boolean,
    signal: AbortSignal,
    emit: Emit,
  ): Promise<void> {
    let st: Stats;
    try {
      st = await stat(p);
    } catch (err) {
      this.notice(p, reason(err));
      return;
    }
    const ik = inodeKey(st.dev, st.ino);
    if (this.gzDone.get(p) === ik) return;
    this.gzDone.set(p, ik);
    const key = fileCheckpointKey(p);
    const raw = this.startupCheckpoint(key);
    const cp = raw === undefined ? undefined : parseFileCheckpoint(raw);
    let skipUntil = -1;
    if (cp && cp.dev === st.dev && cp.ino === st.ino) skipUntil = cp.offset;
    else if (first && this.config.start_at === 'end') return;
    const batcher = new RecordBatcher(
      this.id,
      p,
      this.config.format,
      this.ctx.maxRecordSize,
      key,
      st.dev,
      st.ino,
    );
    batcher.skipUntil = skipUntil;
    const splitter = new LineSplitter({ maxSize: this.ctx.maxRecordSize });
    try {
      await readGzip(
        p,
        splitter,
        batcher,
        (bytes) => batcher.drain(emit, this.ctx.counters, this.scope, bytes),
        signal,
      );
      this.ctx.counters.add(this.scope, 'files', 1);
    } catch (err) {
      this.notice(p, reason(err));
    }
  }
}

/** An absolute path as a pattern relative to `/` (POSIX hosts only). */
function toGlobPath(p: string): string {
  return p.replace(/^\/+/, '');
}

function GLOB_OPTIONS(ignore: string[]): {
  cwd: string;
  absolute: true;
  ignore: string[];
  dot: true;
} {
  return { cwd: '/', absolute: true, ignore, dot: true };
}
