/**
 * Bytes → lines, shared by the file tail, stdin and TCP syslog.
 *
 * Works on Buffers as they arrive: splits on LF (optionally NUL too), strips
 * one trailing CR, keeps an unterminated last line until its terminator comes
 * (or `flush()` at end of input), cuts a line longer than `maxSize` bytes to
 * its first `maxSize` bytes (at a UTF-8 character boundary) and skips to the
 * next terminator. Text is decoded as UTF-8 with U+FFFD for invalid bytes.
 *
 * Hot path (file scan): per line one `toString` and one sink call, no other
 * allocation. Memory per splitter is bounded by `maxSize + 1` bytes.
 */

/** Flag: the line was longer than `maxSize` and was cut. */
export const LINE_CUT = 1;
/** Flag: the text contains U+FFFD that came from invalid UTF-8 bytes. */
export const LINE_INVALID_UTF8 = 2;

/**
 * Receives one line: its text, the stream offset just past it (past its
 * terminator) and flags (`LINE_CUT`, `LINE_INVALID_UTF8`).
 */
export type LineSink = (text: string, end: number, flags: number) => void;

export interface LineSplitterOptions {
  /** Longest line handed on, in bytes; longer ones are cut. */
  maxSize: number;
  /** NUL ends a line too (syslog over TCP). */
  nulTerminates?: boolean;
  /**
   * Hand a cut line over as soon as it exceeds `maxSize` (network peers that
   * may never send a terminator), rather than when its terminator arrives.
   */
  cutEarly?: boolean;
}

/** The error text a source sets on a record that was cut. */
export function cutError(maxSize: number): string {
  return `record exceeds ${maxSize} bytes; cut`;
}

const REPLACEMENT = '\uFFFD';

/**
 * True when `text` (decoded from `buf[start, end)`) holds a U+FFFD that came
 * from invalid bytes rather than from a valid encoded U+FFFD (EF BF BD).
 */
export function hasInvalidUtf8(text: string, buf: Uint8Array, start: number, end: number): boolean {
  let i = text.indexOf(REPLACEMENT);
  if (i === -1) return false;
  let inText = 0;
  while (i !== -1) {
    inText++;
    i = text.indexOf(REPLACEMENT, i + 1);
  }
  let inBytes = 0;
  for (let j = start; j + 2 < end; j++) {
    if (buf[j] === 0xef && buf[j + 1] === 0xbf && buf[j + 2] === 0xbd) inBytes++;
  }
  return inText > inBytes;
}

/** Largest end ≤ `start + maxSize` that does not split a UTF-8 character. */
export function cutPoint(buf: Uint8Array, start: number, end: number, maxSize: number): number {
  let cut = start + maxSize;
  if (cut >= end) return end;
  // buf[cut] is the first byte left out; if it continues a character, leave the whole character out.
  const floor = Math.max(start, cut - 3);
  while (cut > floor && (buf[cut]! & 0xc0) === 0x80) cut--;
  return cut;
}

/** Decodes `buf[start, end)` and returns text plus `LINE_INVALID_UTF8` when bytes were replaced. */
export function decodeBytes(buf: Buffer, start: number, end: number): [string, number] {
  const text = buf.toString('utf8', start, end);
  return [text, hasInvalidUtf8(text, buf, start, end) ? LINE_INVALID_UTF8 : 0];
}

export class LineSplitter {
  /** Bytes fed so far (stream offset of the next byte). */
  position = 0;
  private readonly max: number;
  private readonly nul: boolean;
  private readonly cutEarly: boolean;
  private carry: Buffer | undefined;
  private carryLen = 0;
  private skipping = false;
  private pendingCut: string | undefined;
  private pendingFlags = 0;

  constructor(opts: LineSplitterOptions) {
    if (!(opts.maxSize > 0)) throw new RangeError(`maxSize must be positive, got ${opts.maxSize}`);
    this.max = opts.maxSize;
    this.nul = opts.nulTerminates ?? false;
    this.cutEarly = opts.cutEarly ?? false;
  }

  /** Bytes held for an unterminated line (or being skipped after a cut). */
  get pending(): boolean {
    return this.carryLen > 0 || this.skipping;
  }

  /** Forgets any partial line and restarts counting at `position`. */
  reset(position = 0): void {
    this.position = position;
    this.carryLen = 0;
    this.skipping = false;
    this.pendingCut = undefined;
    this.pendingFlags = 0;
  }

  /** Index of the next terminator at or after `from`, or -1. */
  findTerminator(buf: Uint8Array, from: number): number {
    if (!this.nul) return buf.indexOf(10, from);
    for (let i = from; i < buf.length; i++) {
      const b = buf[i];
      if (b === 10 || b === 0) return i;
    }
    return -1;
  }

  push(chunk: Buffer, sink: LineSink): void {
    const len = chunk.length;
    const base = this.position;
    this.position += len;
    let pos = 0;

    if (this.skipping) {
      const t = this.findTerminator(chunk, 0);
      if (t < 0) return;
      this.skipping = false;
      if (this.pendingCut !== undefined) {
        const text = this.pendingCut;
        this.pendingCut = undefined;
        sink(text, base + t + 1, this.pendingFlags);
      }
      pos = t + 1;
    }

    if (this.carryLen > 0) {
      const t = this.findTerminator(chunk, pos);
      if (t < 0) {
        this.appendCarry(chunk, pos, len, base + len, sink);
        return;
      }
      this.emitCarried(chunk, pos, t, base + t + 1, sink);
      pos = t + 1;
    }

    const max = this.max;
    for (;;) {
      const t = this.findTerminator(chunk, pos);
      if (t < 0) break;
      let e = t;
      if (e > pos && chunk[e - 1] === 13) e--;
      if (e - pos <= max) {
        const text = chunk.toString('utf8', pos, e);
        let flags = 0;
        if (text.indexOf(REPLACEMENT) !== -1 && hasInvalidUtf8(text, chunk, pos, e)) {
          flags = LINE_INVALID_UTF8;
        }
        sink(text, base + t + 1, flags);
      } else {
        const c = cutPoint(chunk, pos, e, max);
        const [text, flags] = decodeBytes(chunk, pos, c);
        sink(text, base + t + 1, flags | LINE_CUT);
      }
      pos = t + 1;
    }
    if (pos < len) this.appendCarry(chunk, pos, len, base + len, sink);
  }

  /** End of input: hands over an unterminated last line (or a pending cut one). */
  flush(sink: LineSink): void {
    if (this.pendingCut !== undefined) {
      const text = this.pendingCut;
      this.pendingCut = undefined;
      this.skipping = false;
      sink(text, this.position, this.pendingFlags);
      return;
    }
    this.skipping = false;
    if (this.carryLen === 0) return;
    const carry = this.carry!;
    const n = this.carryLen;
    this.carryLen = 0;
    if (n <= this.max) {
      const [text, flags] = decodeBytes(carry, 0, n);
      sink(text, this.position, flags);
    } else {
      const [text, flags] = decodeBytes(carry, 0, cutPoint(carry, 0, n, this.max));
      sink(text, this.position, flags | LINE_CUT);
    }
  }

  private carryBuffer(): Buffer {
    // max + 1: a line of exactly max bytes may still be waiting for its CR LF.
    this.carry ??= Buffer.allocUnsafe(this.max + 1);
    return this.carry;
  }

  private appendCarry(chunk: Buffer, s: number, e: number, endPos: number, sink: LineSink): void {
    const carry = this.carryBuffer();
    const room = carry.length - this.carryLen;
    if (e - s <= room) {
      chunk.copy(carry, this.carryLen, s, e);
      this.carryLen += e - s;
      return;
    }
    // Longer than max + 1 and still no terminator: cut now, skip to the terminator.
    chunk.copy(carry, this.carryLen, s, s + room);
    const [text, flags] = decodeBytes(carry, 0, cutPoint(carry, 0, carry.length, this.max));
    this.carryLen = 0;
    this.skipping = true;
    if (this.cutEarly) {
      sink(text, endPos, flags | LINE_CUT);
    } else {
      this.pendingCut = text;
      this.pendingFlags = flags | LINE_CUT;
    }
  }

  private emitCarried(chunk: Buffer, s: number, t: number, endPos: number, sink: LineSink): void {
    const carry = this.carryBuffer();
    const room = carry.length - this.carryLen;
    const take = Math.min(room, t - s);
    chunk.copy(carry, this.carryLen, s, s + take);
    let n = this.carryLen + take;
    this.carryLen = 0;
    const overflow = t - s > room;
    if (!overflow && n > 0 && carry[n - 1] === 13) n--;
    if (!overflow && n <= this.max) {
      const [text, flags] = decodeBytes(carry, 0, n);
      sink(text, endPos, flags);
    } else {
      const [text, flags] = decodeBytes(carry, 0, cutPoint(carry, 0, n, this.max));
      sink(text, endPos, flags | LINE_CUT);
    }
  }
}
