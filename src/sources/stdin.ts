/**
 * stdin source: reads a stream (process.stdin unless another is injected)
 * line by line with the shared splitter and limits; `run` returns at EOF, or
 * when the signal aborts (the stream is then destroyed). Records carry the
 * byte `offset` just past them; there is no checkpoint (a pipe cannot resume).
 */
import type { Readable } from 'node:stream';
import type { StdinSourceConfig } from '../config/schema.js';
import type { RawRecord } from '../event/types.js';
import { LINE_CUT, LINE_INVALID_UTF8, LineSplitter, cutError, type LineSink } from './lines.js';
import type { Emit, Source, SourceContext } from './types.js';

export class StdinSource implements Source {
  readonly kind = 'stdin';
  private readonly scope: string;

  constructor(
    readonly id: string,
    private readonly config: StdinSourceConfig,
    private readonly ctx: SourceContext,
    private readonly input: Readable = process.stdin,
  ) {
    this.scope = `source:${id}`;
  }

  describe(): string[] {
    return ['stdin: standard input, line by line, until end of input'];
  }

  async run(signal: AbortSignal, emit: Emit): Promise<void> {
    if (signal.aborted) return;
    const { counters, maxRecordSize } = this.ctx;
    const splitter = new LineSplitter({ maxSize: maxRecordSize });
    const error = cutError(maxRecordSize);
    let batch: RawRecord[] = [];
    let received = new Date();
    let cut = 0;
    let invalid = 0;
    const sink: LineSink = (text, end, flags) => {
      const rec: RawRecord = {
        source: this.id,
        text,
        received,
        offset: end,
        format: this.config.format,
      };
      if (flags & LINE_CUT) {
        rec.error = error;
        cut++;
      }
      if (flags & LINE_INVALID_UTF8) invalid++;
      batch.push(rec);
    };
    const hand = async (bytes: number): Promise<void> => {
      if (bytes) counters.add(this.scope, 'bytes', bytes);
      if (cut) {
        counters.add(this.scope, 'oversized', cut);
        counters.add(this.scope, 'errors', cut);
      }
      if (invalid) counters.add(this.scope, 'invalid_utf8', invalid);
      cut = invalid = 0;
      if (batch.length === 0) return;
      const out = batch;
      batch = [];
      counters.add(this.scope, 'records', out.length);
      await emit(out);
    };

    const it = (this.input as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<'aborted'>((resolve) => {
      onAbort = () => resolve('aborted');
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      for (;;) {
        const pending = it.next();
        const next = await Promise.race([pending, aborted]);
        if (next === 'aborted') {
          pending.catch(() => undefined); // settles when the stream is destroyed below
          break;
        }
        if (next.done) break;
        const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
        received = new Date();
        splitter.push(chunk, sink);
        await hand(chunk.length);
      }
      if (!signal.aborted) {
        splitter.flush(sink);
        await hand(0);
      }
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
      if (signal.aborted) this.input.destroy();
    }
  }
}
