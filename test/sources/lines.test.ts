import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LINE_CUT, LINE_INVALID_UTF8, LineSplitter, cutPoint } from '../../src/sources/lines.js';

type Line = [string, number, number];

function split(
  chunks: Buffer[],
  opts: ConstructorParameters<typeof LineSplitter>[0],
  flush = false,
): Line[] {
  const s = new LineSplitter(opts);
  const out: Line[] = [];
  const sink = (t: string, e: number, f: number): void => {
    out.push([t, e, f]);
  };
  for (const c of chunks) s.push(c, sink);
  if (flush) s.flush(sink);
  return out;
}

describe('LineSplitter', () => {
  it('splits on LF, strips one CR, reports offsets past the terminator', () => {
    assert.deepEqual(split([Buffer.from('a\r\nbb\n\nccc\r\r\n')], { maxSize: 100 }), [
      ['a', 3, 0],
      ['bb', 6, 0],
      ['', 7, 0],
      ['ccc\r', 13, 0],
    ]);
  });

  it('gives the same lines whatever the chunk boundaries', () => {
    const text = Buffer.from('héllo wörld\r\nsecond line that is long\n€uro\nlast');
    const whole = split([text], { maxSize: 13 }, true);
    for (let i = 0; i <= text.length; i++) {
      for (let j = i; j <= text.length; j++) {
        const parts = [text.subarray(0, i), text.subarray(i, j), text.subarray(j)];
        assert.deepEqual(split(parts, { maxSize: 13 }, true), whole, `split at ${i},${j}`);
      }
    }
    assert.deepEqual(whole, [
      ['héllo wörld', 15, 0],
      ['second line t', 40, LINE_CUT],
      ['€uro', 47, 0],
      ['last', 51, 0],
    ]);
  });

  it('keeps an unterminated line until its newline, or until flush', () => {
    const s = new LineSplitter({ maxSize: 100 });
    const out: string[] = [];
    s.push(Buffer.from('abc'), (t) => out.push(t));
    assert.equal(out.length, 0);
    assert.equal(s.pending, true);
    s.push(Buffer.from('def\n'), (t) => out.push(t));
    assert.deepEqual(out, ['abcdef']);
    assert.equal(s.pending, false);
  });

  it('cuts at a character boundary and skips to the next newline', () => {
    // 'aé' = 61 c3 a9: a cut after 2 bytes must not split é.
    assert.deepEqual(split([Buffer.from('aéxyz\nok\n')], { maxSize: 2 }), [
      ['a', 7, LINE_CUT],
      ['ok', 10, 0],
    ]);
    assert.equal(cutPoint(Buffer.from('aé'), 0, 3, 2), 1);
  });

  it('a line of exactly maxSize followed by CRLF across chunks is not cut', () => {
    assert.deepEqual(split([Buffer.from('abcd\r'), Buffer.from('\nx\n')], { maxSize: 4 }), [
      ['abcd', 6, 0],
      ['x', 8, 0],
    ]);
  });

  it('cutEarly hands a cut line over before its terminator and bounds memory', () => {
    const s = new LineSplitter({ maxSize: 8, cutEarly: true });
    const out: Line[] = [];
    const sink = (t: string, e: number, f: number): void => {
      out.push([t, e, f]);
    };
    for (let i = 0; i < 100; i++) s.push(Buffer.alloc(1000, 0x61), sink);
    assert.deepEqual(out, [['aaaaaaaa', 1000, LINE_CUT]]);
    s.push(Buffer.from('tail\nnext\n'), sink);
    assert.deepEqual(out.slice(1), [['next', 100_010, 0]]);
  });

  it('NUL terminates lines when asked', () => {
    assert.deepEqual(split([Buffer.from('a\0b\nc')], { maxSize: 10, nulTerminates: true }, true), [
      ['a', 2, 0],
      ['b', 4, 0],
      ['c', 5, 0],
    ]);
  });

  it('flags invalid UTF-8 but not an encoded U+FFFD', () => {
    const bytes = Buffer.concat([
      Buffer.from('a'),
      Buffer.from([0xff]),
      Buffer.from('b\n\uFFFD ok\n'),
    ]);
    assert.deepEqual(split([bytes], { maxSize: 100 }), [
      ['a\uFFFDb', 4, LINE_INVALID_UTF8],
      ['\uFFFD ok', 11, 0],
    ]);
  });
});
