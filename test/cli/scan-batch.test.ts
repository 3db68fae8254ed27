import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchReader, BatchWriter, type EncodedBatch } from '../../src/cli/scan-batch.js';
import { buildAlert, type MatchRecord } from '../../src/rules/detector.js';
import { compileYaml, decodeOne } from '../rules/helpers.js';

const rule = (id: string, title: string, tags: string) =>
  compileYaml(`
title: ${title}
id: ${id}
level: high
tags: [${tags}]
logsource: {product: linux}
detection:
  sel: {event.outcome: failure}
  condition: sel
`);
const rules = [
  rule('r1', 'one', 'attack.t1110'),
  rule('r2', 'two', ''),
  // A rule set with errors may repeat an id: the alert's rule part tells them apart.
  rule('r2', 'two again', 'attack.t1078'),
];
const event = decodeOne(
  'Mar 15 10:00:01 web1 sshd[1234]: Failed password for root from 203.0.113.5 port 4242 ssh2',
);
const bare = decodeOne('Mar 15 10:00:02 kernel: usb 1-1: new device');

test('scan batches: records come back as they went in, in order', () => {
  const records: MatchRecord[] = [
    { t: 1000 },
    { t: 2000, alerts: [buildAlert(rules[0]!, event)] },
    {
      t: 3000,
      id: 'e-3',
      feeds: [
        [4, [{ key: '10.0.0.1' }, null, { key: 'a\u001fb', values: ['a', 'b'], value: 'bob' }]],
        [7, [{ key: 'root', value: 12.5 }]],
      ],
    },
    { t: NaN },
    {
      t: 4000,
      alerts: [buildAlert(rules[2]!, event), buildAlert(rules[1]!, bare)],
      id: 'e-4',
      feeds: [[0, [{ key: 'x', values: ['x', ''] }]]],
    },
    { t: 5000 },
  ];
  const w = new BatchWriter(rules);
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
  // Same keys in the same order: the alert log is byte for byte the same.
  const alerts = (list: MatchRecord[]) => JSON.stringify(list.map((r) => r.alerts));
  assert.equal(alerts(out), alerts(records));
  assert.deepEqual(
    seqs,
    records.map((_, i) => 10 + i),
  );
  // The writer starts afresh.
  const empty = w.take();
  assert.equal(empty.times.length, 0);
  assert.equal(new BatchReader(empty, rules).done, true);
});

test('scan batches: an alert of an unknown rule is refused', () => {
  const w = new BatchWriter(rules.slice(0, 1));
  assert.throws(
    () => w.add({ t: 1, alerts: [buildAlert(rules[1]!, event)] }, 0),
    /not a single-event alert of a known rule \(r2\)/,
  );
});

function read(b: EncodedBatch, each: (r: MatchRecord, seq: number) => void): void {
  const reader = new BatchReader(b, rules);
  while (!reader.done) {
    const seq = reader.seq;
    each(reader.next(), seq);
  }
}
