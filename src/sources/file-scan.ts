/**
 * `vigil scan`: reads files once to EOF, `.gz` ones decompressed on the fly.
 */
import { type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Counters } from '../event/counters.js';
import { VigilError } from '../errors.js';
import { LineSplitter } from './lines.js';
import type { Emit } from './types.js';
import { EmitFailure, RecordBatcher, readGzip, readPlain, reason } from './file-records.js';
export interface ScanOptions {
  sourceId: string;
  format?: string;
  maxRecordSize: number;
  counters?: Counters;
  /** Called after each chunk: bytes read so far (compressed bytes for .gz) of all files. */
  onProgress?(bytesRead: number, totalBytes: number): void;
}

export interface ScanSummary {
  files: number;
  records: number;
  /** Bytes of text read (decompressed for .gz). */
  bytes: number;
}

/**
 * Reads each file once to EOF and hands its lines to `emit` in batches of up
 * to `BATCH_RECORDS`. `.gz` files are decompressed (offsets count decompressed
 * bytes). Records carry `path` and `offset`, no checkpoint. A file that cannot
 * be opened fails the whole scan before any record is emitted
 * (`VIGIL_ERR_INPUT_READ`). Stops early, without error, when `signal` aborts.
 */
export async function scanFiles(
  paths: string[],
  opts: ScanOptions,
  emit: Emit,
  signal?: AbortSignal,
): Promise<ScanSummary> {
  const files: Array<{ path: string; size: number }> = [];
  for (const p of paths) {
    const abs = path.resolve(p);
    let st: Stats;
    try {
      st = await stat(abs);
    } catch (err) {
      throw new VigilError('VIGIL_ERR_INPUT_READ', `cannot read ${p}: ${reason(err)}`, {
        file: p,
        cause: err,
      });
    }
    if (st.isDirectory()) {
      throw new VigilError('VIGIL_ERR_INPUT_READ', `cannot read ${p}: EISDIR (is a directory)`, {
        file: p,
      });
    }
    files.push({ path: abs, size: st.size });
  }
  const total = files.reduce((n, f) => n + f.size, 0);
  const summary: ScanSummary = { files: 0, records: 0, bytes: 0 };
  const progress = { done: 0 };
  const scope = `source:${opts.sourceId}`;
  // Errors from emit pass through as they are; only read errors become VIGIL_ERR_INPUT_READ.
  const guarded: Emit = async (records) => {
    try {
      await emit(records);
    } catch (err) {
      throw new EmitFailure(err);
    }
  };
  for (const f of files) {
    if (signal?.aborted) break;
    const batcher = new RecordBatcher(
      opts.sourceId,
      f.path,
      opts.format ?? 'auto',
      opts.maxRecordSize,
    );
    const splitter = new LineSplitter({ maxSize: opts.maxRecordSize });
    const onChunk = async (chunkBytes: number, inputBytes: number): Promise<void> => {
      summary.records += batcher.records;
      summary.bytes += chunkBytes;
      await batcher.drain(guarded, opts.counters, scope, chunkBytes);
      progress.done += inputBytes;
      opts.onProgress?.(progress.done, total);
    };
    try {
      if (f.path.endsWith('.gz')) {
        await readGzip(f.path, splitter, batcher, onChunk, signal);
      } else {
        await readPlain(f.path, splitter, batcher, onChunk, signal);
      }
    } catch (err) {
      if (err instanceof EmitFailure) throw err.cause;
      throw new VigilError('VIGIL_ERR_INPUT_READ', `cannot read ${f.path}: ${reason(err)}`, {
        file: f.path,
        cause: err,
      });
    }
    opts.counters?.add(scope, 'files', 1);
    summary.files++;
  }
  return summary;
}
