import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchReader, BatchWriter, type EncodedBatch } from '../../src/cli/scan-batch.js';
import type { Alert } from '../../src/event/types.js';
import type { MatchRecord } from '../../src/rules/detector.js';

const alert: Alert = {
  '@timestamp': '2026-11-01T10:00:00.000Z',
  rule: { id: 'r1', title: 'one', level: 'low', tags: [] },
  severity: 5,
  first_seen: '2026-11-01T10:00:00.000Z',
  last_seen: '2026-11-01T10:00:00.000Z',
  count: 1,
};

test('scan batches: records come back as they went in, in order', () => {
  const records: MatchRecord[] = [
    { t: 1000 },
    { t: 2000, alerts: [alert] },
    {
      t: 3000,
      id: 'e-3',
      feeds: [
        [4, [{ key: '10.0.0.1' }, null, { key: 'a\u001fb', values: ['a', 'b'], value: 'bob' }]],
        [7, [{ key: 'root', value: 12.5 }]],
      ],
    },
    { t: NaN },
    { t: 4000, alerts: [alert, alert], id: 'e-4', feeds: [[0, [{ key: 'x', values: ['x', ''] }]]] },
    { t: 5000 },
  ];
  const w = new BatchWriter();
  records.forEach((r, i) => {
    if (r.alerts || r.feeds) w.add(r, 10 + i);
    else w.tick(r.t, 10 + i);
  });
  // The columns survive a structured clone (what postMessage does).
  const batch = structuredClone(w.take());
  const out: MatchRecord[] = [];
  const seqs: number[] = [];
  read(batch, (r, seq) => {
    out.push(structuredClone(r));
    seqs.push(seq);
  });
  assert.deepEqual(out, records);
  assert.deepEqual(
    seqs,
    records.map((_, i) => 10 + i),
  );
  // The writer starts afresh.
  const empty = w.take();
  assert.equal(empty.times.length, 0);
  assert.equal(new BatchReader(empty).done, true);
});

function read(b: EncodedBatch, each: (r: MatchRecord, seq: number) => void): void {
  const reader = new BatchReader(b);
  while (!reader.done) {
    const seq = reader.seq;
    each(reader.next(), seq);
  }
}
