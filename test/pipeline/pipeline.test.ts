import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { createDecoderStage } from '../../src/decoders/index.js';
import { Counters } from '../../src/event/counters.js';
import { parseTimeZone } from '../../src/event/timezone.js';
import type { Alert, Event, RawRecord } from '../../src/event/types.js';
import type { Detector } from '../../src/pipeline/detect.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { tmpDir } from '../helpers/tmp.js';

/** A detector of the shape the detection stage will have: counts failures per source IP. */
class FailureCounter implements Detector {
  readonly name = 'failure-counter';
  private readonly counts = new Map<string, number>();
  process(event: Event, raise: (alert: Alert) => void): void {
    if (event.event.outcome !== 'failure' || !event.source?.ip) return;
    const n = (this.counts.get(event.source.ip) ?? 0) + 1;
    this.counts.set(event.source.ip, n);
    if (n === 3) raise(this.alert(event, n));
  }
  flush(raise: (alert: Alert) => void): void {
    raise({
      ...this.alert(undefined, 0),
      rule: { id: 'flush', title: 'flushed', level: 'informational' },
    });
  }
  private alert(event: Event | undefined, count: number): Alert {
    const ts = event?.['@timestamp'] ?? '2026-11-23T00:00:00.000Z';
    return {
      '@timestamp': ts,
      rule: { id: 'three-failures', title: 'three failures from one IP', level: 'medium' },
      severity: 6,
      first_seen: ts,
      last_seen: ts,
      count,
      ...(event?.source?.ip ? { source: { ip: event.source.ip } } : {}),
    };
  }
}

function decoder(counters: Counters) {
  return createDecoderStage({
    hostName: 'h',
    timezone: parseTimeZone('UTC')!,
    maxRecordSize: 65536,
    decoderDirs: [],
    counters,
  });
}

function plainPipeline(store: SqliteStore, batch: { batchSize: number; batchInterval: number }) {
  const counters = new Counters();
  return {
    counters,
    pipeline: new Pipeline({
      decoder: decoder(counters),
      detectors: [],
      store,
      counters,
      ...batch,
    }),
  };
}

function rec(i: number, text: string): RawRecord {
  return {
    source: 'auth',
    text,
    received: new Date(Date.UTC(2026, 11, 11)),
    path: '/var/log/auth.log',
    offset: (i + 1) * 100,
    checkpoint: { key: 'file:/var/log/auth.log', value: JSON.stringify({ offset: (i + 1) * 100 }) },
  };
}

for (const writerThread of [false, true]) {
  test(`decoded events, detector alerts and checkpoints are stored together (writer thread: ${writerThread})`, async (t) => {
    const store = await SqliteStore.open(path.join(tmpDir(t), 'v.db'), { writerThread });
    const counters = new Counters();
    const seen: Event[] = [];
    const raised: Alert[] = [];
    const pipeline = new Pipeline({
      decoder: decoder(counters),
      detectors: [new FailureCounter()],
      store,
      counters,
      batchSize: 2,
      batchInterval: 10_000,
      onEvents: (e) => seen.push(...e),
      onAlerts: (a) => raised.push(...a),
    });
    const lines = [
      'Dec 10 07:07:38 LabSZ sshd[24206]: Failed password for root from 52.80.34.196 port 36060 ssh2',
      'Dec 10 07:07:41 LabSZ sshd[24206]: Failed password for root from 52.80.34.196 port 36060 ssh2',
      'Dec 10 07:07:45 LabSZ sshd[24206]: Failed password for root from 52.80.34.196 port 36060 ssh2',
      'Dec 10 09:32:20 LabSZ sshd[24680]: Accepted password for fztu from 119.137.62.142 port 49116 ssh2',
      'Dec 10 09:32:21 LabSZ CRON[1]: (root) CMD (true)',
    ];
    await pipeline.ingest(lines.slice(0, 3).map((l, i) => rec(i, l)));
    await pipeline.ingest(lines.slice(3).map((l, i) => rec(i + 3, l)));
    await pipeline.flush();
    assert.equal(seen.length, 5);
    assert.deepEqual(
      raised.map((a) => a.rule.id),
      ['three-failures', 'flush'],
    );
    assert.equal(await store.countEvents(), 5);
    const alerts = await store.searchAlerts({ limit: 10 });
    assert.deepEqual(alerts.map((a) => a.rule.id).sort(), ['flush', 'three-failures']);
    assert.equal(
      (await store.checkpoints()).get('file:/var/log/auth.log'),
      JSON.stringify({ offset: 500 }),
    );
    assert.equal(counters.get('pipeline', 'events'), 5);
    assert.equal(counters.get('pipeline', 'alerts'), 1);
    assert.equal(counters.get('store', 'events_written'), 5);
    await store.close();
  });
}

test('a store write failure surfaces on the next ingest, never silently', async (t) => {
  const store = await SqliteStore.open(path.join(tmpDir(t), 'v.db'));
  const { counters, pipeline } = plainPipeline(store, { batchSize: 1, batchInterval: 10_000 });
  await store.close();
  await assert.rejects(async () => {
    await pipeline.ingest([rec(0, 'Dec 10 07:07:38 LabSZ sshd[1]: hello')]);
    await pipeline.ingest([rec(1, 'Dec 10 07:07:39 LabSZ sshd[1]: hello again')]);
    await pipeline.flush();
  }, /database connection is not open/);
  assert.equal(counters.get('store', 'write_errors'), 1);
});

test('held auditd records are handed over and stored when input goes quiet', async (t) => {
  const store = await SqliteStore.open(path.join(tmpDir(t), 'v.db'));
  const { counters, pipeline } = plainPipeline(store, { batchSize: 100, batchInterval: 30 });
  await pipeline.ingest([
    rec(
      0,
      'type=SYSCALL msg=audit(1700000000.123:4567): arch=c000003e syscall=59 success=yes exit=0 pid=4242 uid=0 auid=1000 comm="id" exe="/usr/bin/id" key="exec"',
    ),
    rec(1, 'type=EXECVE msg=audit(1700000000.123:4567): argc=1 a0="id"'),
  ]);
  await new Promise((r) => setTimeout(r, 300));
  const stored = await store.searchEvents({ limit: 5 });
  assert.equal(stored.length, 1);
  assert.equal(stored[0]!.event.vigil.decoder, 'auditd');
  assert.equal(stored[0]!.event.auditd?.sequence, 4567);
  assert.equal(counters.get('store', 'events_written'), 1);
  assert.equal(
    (await store.checkpoints()).get('file:/var/log/auth.log'),
    JSON.stringify({ offset: 200 }),
  );
  await pipeline.flush();
  await store.close();
});
