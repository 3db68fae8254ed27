/**
 * What the file tail and the file scan share: read sizes, the checkpoint
 * format, readable reasons for I/O errors, and the batcher that turns lines
 * into records.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { Counters } from '../event/counters.js';
import type { RawRecord } from '../event/types.js';
import { LINE_CUT, LINE_INVALID_UTF8, LineSplitter, cutError, type LineSink } from './lines.js';
import type { Emit } from './types.js';

/** Bytes per read. */
export const READ_CHUNK = 256 * 1024;
/** Most records handed to one `emit` call. */
export const BATCH_RECORDS = 1000;

/** Checkpoint value of a file: which file (device + inode) and how far. */
export interface FileCheckpoint {
  dev: number;
  ino: number;
  offset: number;
}

export function fileCheckpointKey(absPath: string): string {
  return `file:${absPath}`;
}

export function parseFileCheckpoint(value: string): FileCheckpoint | undefined {
  try {
    const v = JSON.parse(value) as Partial<FileCheckpoint>;
    if (
      typeof v.dev === 'number' &&
      typeof v.ino === 'number' &&
      typeof v.offset === 'number' &&
      Number.isInteger(v.offset) &&
      v.offset >= 0
    ) {
      return { dev: v.dev, ino: v.ino, offset: v.offset };
    }
  } catch {
    // fall through
  }
  return undefined;
}

export function errCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : String((err as Error | undefined)?.message ?? err);
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
};

export function reason(err: unknown): string {
  const code = errCode(err);
  const text = REASONS[code];
  return text ? `${code} (${text})` : code;
}

/**
 * Turns split lines into records and batches them. One instance per read of
 * one file; `key`/`dev`/`ino` set the checkpoint (none in scan mode).
 */
export class RecordBatcher {
  batch: RawRecord[] = [];
  records = 0;
  cut = 0;
  invalid = 0;
  received = new Date();
  /** Records ending at or before this offset are dropped (resume inside a .gz). */
  skipUntil = -1;
  checkpointPrefix: string | undefined;
  readonly sink: LineSink;
  readonly key: string | undefined;

  constructor(
    readonly sourceId: string,
    readonly filePath: string,
    readonly format: string,
    readonly maxSize: number,
    key?: string,
    dev?: number,
    ino?: number,
  ) {
    this.key = key;
    if (key !== undefined) this.checkpointPrefix = `{"dev":${dev},"ino":${ino},"offset":`;
    const error = cutError(maxSize);
    this.sink = (text, end, flags) => {
      if (end <= this.skipUntil) return;
      const rec: RawRecord = {
        source: this.sourceId,
        text,
        received: this.received,
        path: this.filePath,
        offset: end,
        format: this.format,
      };
      if (this.checkpointPrefix !== undefined) {
        rec.checkpoint = { key: this.key!, value: `${this.checkpointPrefix}${end}}` };
      }
      if (flags !== 0) {
        if (flags & LINE_CUT) {
          rec.error = error;
          this.cut++;
        }
        if (flags & LINE_INVALID_UTF8) this.invalid++;
      }
      this.batch.push(rec);
      this.records++;
    };
  }

  /** Hands the batch over and adds the counters. */
  async drain(
    emit: Emit,
    counters: Counters | undefined,
    scope: string,
    bytes: number,
  ): Promise<void> {
    if (counters) {
      if (this.records) counters.add(scope, 'records', this.records);
      if (bytes) counters.add(scope, 'bytes', bytes);
      if (this.cut) {
        counters.add(scope, 'oversized', this.cut);
        counters.add(scope, 'errors', this.cut);
      }
      if (this.invalid) counters.add(scope, 'invalid_utf8', this.invalid);
    }
    this.records = this.cut = this.invalid = 0;
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    if (batch.length <= BATCH_RECORDS) {
      await emit(batch);
      return;
    }
    for (let i = 0; i < batch.length; i += BATCH_RECORDS) {
      await emit(batch.slice(i, i + BATCH_RECORDS));
    }
  }
}

export class EmitFailure extends Error {
  constructor(override readonly cause: unknown) {
    super('emit failed');
  }
}

export type ChunkDone = (textBytes: number, inputBytes: number) => Promise<void>;

export async function readPlain(
  file: string,
  splitter: LineSplitter,
  batcher: RecordBatcher,
  onChunk: ChunkDone,
  signal?: AbortSignal,
): Promise<void> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    for (;;) {
      if (signal?.aborted) return;
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      batcher.received = new Date();
      splitter.push(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead), batcher.sink);
      await onChunk(bytesRead, bytesRead);
    }
    splitter.flush(batcher.sink);
    await onChunk(0, 0);
  } finally {
    await fh.close();
  }
}

/** Decompresses a .gz file through the splitter; offsets count decompressed bytes. */
export async function readGzip(
  file: string,
  splitter: LineSplitter,
  batcher: RecordBatcher,
  onChunk: ChunkDone,
  signal?: AbortSignal,
): Promise<void> {
  const input = createReadStream(file, { highWaterMark: READ_CHUNK });
  const gunzip = createGunzip({ chunkSize: 64 * 1024 });
  let compressed = 0;
  let reported = 0;
  input.on('data', (c: Buffer | string) => {
    compressed += c.length;
  });
  input.on('error', (err) => gunzip.destroy(err));
  input.pipe(gunzip);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      if (signal?.aborted) return;
      batcher.received = new Date();
      splitter.push(chunk, batcher.sink);
      const inputBytes = compressed - reported;
      reported = compressed;
      await onChunk(chunk.length, inputBytes);
    }
    splitter.flush(batcher.sink);
    await onChunk(0, compressed - reported);
  } finally {
    input.destroy();
    gunzip.destroy();
  }
}
