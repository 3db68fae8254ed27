/**
 * journald source: runs `journalctl -o json -f --all` and turns each JSON line
 * into a record with pre-parsed `fields` (timestamp, hostname, program, pid,
 * facility, severity) and `text` = MESSAGE. The checkpoint `journald:<id>`
 * holds the journal cursor; a restart resumes with `--after-cursor`.
 * Without a cursor: `start_at: end` → `-n 0` (only new entries),
 * `beginning` → `--no-tail` (everything stored).
 *
 * If journalctl exits while not asked to, that is reported (notice + counter
 * `errors`, `restarts`) and it is started again after 1 s, 5 s, 25 s, resuming
 * after the last cursor seen; after 3 restarts without a run of at least 60 s
 * in between, the source gives up (notice) and `run` returns.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { JournaldSourceConfig } from '../config/schema.js';
import type { PreParsedFields, RawRecord } from '../event/types.js';
import { LINE_CUT, LineSplitter, cutError, cutPoint } from './lines.js';
import type { CanRun, Emit, Source, SourceContext } from './types.js';

export function journaldCheckpointKey(id: string): string {
  return `journald:${id}`;
}

/** Finds an executable: a path as given, or a bare name on PATH. */
export function findExecutable(cmd: string): string | undefined {
  const ok = (p: string): boolean => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (cmd.includes('/')) return ok(cmd) ? cmd : undefined;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && ok(path.join(dir, cmd))) return path.join(dir, cmd);
  }
  return undefined;
}

export function journaldCanRun(config: Pick<JournaldSourceConfig, 'journalctl'>): CanRun {
  if (findExecutable(config.journalctl)) return { ok: true };
  return config.journalctl === 'journalctl'
    ? { ok: false, why: 'journalctl is not installed' }
    : { ok: false, why: `journalctl not found at ${config.journalctl}` };
}

/** The journalctl arguments for a config and the cursor to resume after. */
export function journalctlArgs(config: JournaldSourceConfig, cursor: string | undefined): string[] {
  const args = ['-o', 'json', '-f', '--all', '--no-pager'];
  if (cursor !== undefined) args.push(`--after-cursor=${cursor}`);
  else if (config.start_at === 'end') args.push('-n', '0');
  else args.push('--no-tail');
  if (config.directory !== undefined) args.push('-D', config.directory);
  for (const unit of config.units) args.push('-u', unit);
  return args;
}

type JournalValue = string | number[] | null | Array<string | number[] | null>;

/** A field value as text: strings as they are, byte arrays decoded as UTF-8, first of repeated fields. */
function fieldText(v: JournalValue | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    if (v.length === 0) return '';
    if (typeof v[0] === 'number') return Buffer.from(v as number[]).toString('utf8');
    return fieldText(v[0] as JournalValue);
  }
  return undefined;
}

function fieldInt(v: JournalValue | undefined): number | undefined {
  const t = fieldText(v);
  if (t === undefined || !/^\d+$/.test(t)) return undefined;
  return Number(t);
}

export interface JournalParse {
  record: RawRecord;
  cursor?: string;
}

/**
 * One line of `journalctl -o json` → a record. Never throws: a line that is
 * not a JSON object becomes a record with `error` set and the line as text.
 */
export function parseJournalLine(
  line: string,
  opts: { sourceId: string; checkpointKey: string; maxRecordSize: number; received?: Date },
): JournalParse {
  const received = opts.received ?? new Date();
  let entry: Record<string, JournalValue>;
  try {
    const v: unknown = JSON.parse(line);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    entry = v as Record<string, JournalValue>;
  } catch {
    return {
      record: {
        source: opts.sourceId,
        text: line,
        received,
        format: 'syslog',
        error: 'journalctl output is not a JSON object',
      },
    };
  }
  let message = fieldText(entry.MESSAGE) ?? '';
  let error: string | undefined;
  const bytes = Buffer.byteLength(message);
  if (bytes > opts.maxRecordSize) {
    const buf = Buffer.from(message);
    message = buf.toString('utf8', 0, cutPoint(buf, 0, buf.length, opts.maxRecordSize));
    error = cutError(opts.maxRecordSize);
  }
  const fields: PreParsedFields = { message };
  const usec = fieldText(entry.__REALTIME_TIMESTAMP) ?? fieldText(entry._SOURCE_REALTIME_TIMESTAMP);
  if (usec !== undefined && /^\d+$/.test(usec)) {
    fields.timestamp = new Date(Number(BigInt(usec) / 1000n));
  }
  const hostname = fieldText(entry._HOSTNAME);
  if (hostname !== undefined) fields.hostname = hostname;
  const program = fieldText(entry.SYSLOG_IDENTIFIER) ?? fieldText(entry._COMM);
  if (program !== undefined) fields.program = program;
  const pid = fieldInt(entry._PID) ?? fieldInt(entry.SYSLOG_PID);
  if (pid !== undefined) fields.pid = pid;
  const facility = fieldInt(entry.SYSLOG_FACILITY);
  if (facility !== undefined) fields.facility = facility;
  const severity = fieldInt(entry.PRIORITY);
  if (severity !== undefined) fields.severity = severity;
  const cursor = fieldText(entry.__CURSOR);
  const record: RawRecord = {
    source: opts.sourceId,
    text: message,
    received,
    format: 'syslog',
    fields,
  };
  if (cursor !== undefined) record.checkpoint = { key: opts.checkpointKey, value: cursor };
  if (error !== undefined) record.error = error;
  return cursor === undefined ? { record } : { record, cursor };
}

export interface JournaldOptions {
  /** Delays before restarts after journalctl exits on its own (ms). */
  restartDelays?: number[];
  /** A run this long (ms) resets the restart budget. */
  healthyRun?: number;
}

export class JournaldSource implements Source {
  readonly kind = 'journald';
  private readonly scope: string;
  private readonly key: string;
  private cursor: string | undefined;
  private readonly restartDelays: number[];
  private readonly healthyRun: number;

  constructor(
    readonly id: string,
    private readonly config: JournaldSourceConfig,
    private readonly ctx: SourceContext,
    opts: JournaldOptions = {},
  ) {
    this.scope = `source:${id}`;
    this.key = journaldCheckpointKey(id);
    this.cursor = ctx.checkpoints.get(this.key);
    this.restartDelays = opts.restartDelays ?? [1000, 5000, 25_000];
    this.healthyRun = opts.healthyRun ?? 60_000;
  }

  describe(): string[] {
    const where = this.config.directory ? `journal in ${this.config.directory}` : 'system journal';
    const units = this.config.units.length ? ` units ${this.config.units.join(', ')}` : '';
    return [`journald ${where}${units} via ${this.config.journalctl}`];
  }

  async run(signal: AbortSignal, emit: Emit): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      const started = Date.now();
      const outcome = await this.runOnce(signal, emit);
      if (signal.aborted) return;
      if (Date.now() - started >= this.healthyRun) failures = 0;
      this.ctx.counters.add(this.scope, 'errors', 1);
      const delay = this.restartDelays[failures];
      if (delay === undefined) {
        this.ctx.notice(
          `journald source ${this.id}: ${outcome}; giving up after ${failures} restarts`,
        );
        return;
      }
      failures++;
      this.ctx.notice(
        `journald source ${this.id}: ${outcome}; restarting in ${delay} ms (${failures}/${this.restartDelays.length})`,
      );
      this.ctx.counters.add(this.scope, 'restarts', 1);
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, delay);
        function done(): void {
          clearTimeout(t);
          signal.removeEventListener('abort', done);
          resolve();
        }
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  /** Runs journalctl until it exits or the signal aborts; returns what happened. */
  private runOnce(signal: AbortSignal, emit: Emit): Promise<string> {
    const { counters, maxRecordSize } = this.ctx;
    const args = journalctlArgs(this.config, this.cursor);
    // JSON escaping can double a message; the line bound leaves room for the other fields.
    const splitter = new LineSplitter({ maxSize: maxRecordSize * 2 + 16 * 1024 });
    let child: ChildProcess;
    try {
      child = spawn(this.config.journalctl, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      return Promise.resolve(`cannot start ${this.config.journalctl}: ${(err as Error).message}`);
    }
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString('utf8')).slice(-2000);
    });
    const onAbort = (): void => {
      child.kill('SIGTERM');
    };
    signal.addEventListener('abort', onAbort, { once: true });

    return new Promise<string>((resolve, reject) => {
      let spawnError: string | undefined;
      child.on('error', (err) => {
        spawnError = `cannot start ${this.config.journalctl}: ${(err as NodeJS.ErrnoException).code ?? err.message}`;
      });
      const stdout = child.stdout!;
      let chain = Promise.resolve();
      let emitError: unknown;
      let batch: RawRecord[] = [];
      const received = { at: new Date() };
      const sink = (text: string, _end: number, flags: number): void => {
        if (text.length === 0) return;
        const { record, cursor } = parseJournalLine(text, {
          sourceId: this.id,
          checkpointKey: this.key,
          maxRecordSize,
          received: received.at,
        });
        if (flags & LINE_CUT) record.error = cutError(maxRecordSize);
        if (cursor !== undefined) this.cursor = cursor;
        if (record.error !== undefined) {
          counters.add(this.scope, 'errors', 1);
          if (record.error.startsWith('record exceeds')) counters.add(this.scope, 'oversized', 1);
        }
        batch.push(record);
      };
      stdout.on('data', (chunk: Buffer) => {
        received.at = new Date();
        counters.add(this.scope, 'bytes', chunk.length);
        splitter.push(chunk, sink);
        if (batch.length === 0) return;
        const out = batch;
        batch = [];
        counters.add(this.scope, 'records', out.length);
        stdout.pause();
        chain = chain
          .then(async () => {
            if (emitError !== undefined) return;
            await emit(out);
            stdout.resume();
          })
          .catch((err: unknown) => {
            emitError ??= err;
            child.kill('SIGTERM');
          });
      });
      child.on('close', (code, sig) => {
        signal.removeEventListener('abort', onAbort);
        splitter.flush(sink);
        if (batch.length > 0) {
          const out = batch;
          batch = [];
          counters.add(this.scope, 'records', out.length);
          chain = chain
            .then(() => (emitError === undefined ? emit(out) : undefined))
            .catch((err: unknown) => {
              emitError ??= err;
            });
        }
        void chain.then(() => {
          if (emitError !== undefined) {
            reject(emitError as Error);
            return;
          }
          const why =
            spawnError ??
            (sig ? `journalctl was killed by ${sig}` : `journalctl exited with code ${code}`);
          const detail = stderr.trim()
            ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}`
            : '';
          resolve(`${why}${detail}`);
        });
      });
    });
  }
}
