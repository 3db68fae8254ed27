import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { stdinSourceSchema } from '../../src/config/schema.js';
import { StdinSource } from '../../src/sources/stdin.js';
import { start, testContext, waitFor } from './helpers.js';

describe('stdin source', () => {
  it('reads lines until EOF with the shared limits', async () => {
    const t = testContext(new Map(), 8);
    const input = Readable.from([
      Buffer.from('one\r\ntw'),
      Buffer.from('o\nthis line is too long\n'),
      Buffer.from([0x61, 0xff, 0x0a]),
      Buffer.from('last'),
    ]);
    const src = new StdinSource(
      'in',
      stdinSourceSchema.parse({ type: 'stdin', format: 'json' }),
      t.ctx,
      input,
    );
    const run = start(src);
    await run.done;
    assert.deepEqual(
      run.records.map((r) => [r.text, r.offset, r.format, r.source, r.error]),
      [
        ['one', 5, 'json', 'in', undefined],
        ['two', 9, 'json', 'in', undefined],
        ['this lin', 31, 'json', 'in', 'record exceeds 8 bytes; cut'],
        ['a\uFFFD', 34, 'json', 'in', undefined],
        ['last', 38, 'json', 'in', undefined],
      ],
    );
    assert.equal(t.counters.get('source:in', 'records'), 5);
    assert.equal(t.counters.get('source:in', 'bytes'), 38);
    assert.equal(t.counters.get('source:in', 'oversized'), 1);
    assert.equal(t.counters.get('source:in', 'invalid_utf8'), 1);
  });

  it('returns when the signal aborts while input is still open', async () => {
    const t = testContext();
    const input = new PassThrough();
    const src = new StdinSource('in', stdinSourceSchema.parse({ type: 'stdin' }), t.ctx, input);
    const run = start(src);
    input.write('hello\n');
    await waitFor(() => run.records.length === 1, 'one record');
    await run.stop();
    assert.deepEqual(run.texts(), ['hello']);
    assert.equal(input.destroyed, true);
  });
});
