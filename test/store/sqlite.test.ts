import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { Event } from '../../src/event/types.js';
import { VigilError } from '../../src/errors.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { tmpDir } from '../helpers/tmp.js';

function ev(i: number, over: Partial<Event> = {}): Event {
  return {
    '@timestamp': new Date(Date.UTC(2026, 10, 23, 10, 0, i)).toISOString(),
    message: `Failed password for user${i % 3} from 10.0.0.${i % 5} port ${2000 + i} ssh2`,
    event: {
      kind: 'event',
      category: ['authentication'],
      type: ['start'],
      action: 'ssh_login',
      outcome: i % 2 ? 'failure' : 'success',
    },
    host: { name: 'web1' },
    source: { ip: `10.0.0.${i % 5}`, port: 2000 + i },
    user: { name: `user${i % 3}` },
    vigil: { source: 'test' },
    ...over,
  };
}

test('stores events with checkpoints in one batch and reads them back', async (t) => {
  const dir = tmpDir(t);
  const store = await SqliteStore.open(path.join(dir, 'v.db'));
  const events = Array.from({ length: 20 }, (_, i) => ev(i));
  await store.write({ events, alerts: [], checkpoints: new Map([['file:/x', '{"offset":10}']]) });
  assert.equal(await store.countEvents(), 20);
  assert.deepEqual(await store.checkpoints(), new Map([['file:/x', '{"offset":10}']]));
  const newest = await store.searchEvents({ limit: 1 });
  assert.deepEqual(newest[0]!.event, events[19]);
  await store.close();
});

test('search: full text, fields, arrays, numbers, wildcards and time range', async (t) => {
  const dir = tmpDir(t);
  const store = await SqliteStore.open(path.join(dir, 'v.db'));
  await store.write({
    events: Array.from({ length: 30 }, (_, i) => ev(i)),
    alerts: [],
    checkpoints: new Map(),
  });
  assert.equal(await store.countEvents({ text: 'user1' }), 10);
  assert.equal(await store.countEvents({ text: '"Failed password" AND user2' }), 10);
  assert.equal(await store.countEvents({ fields: [{ field: 'source.ip', value: '10.0.0.3' }] }), 6);
  assert.equal(
    await store.countEvents({ fields: [{ field: 'event.category', value: 'authentication' }] }),
    30,
  );
  assert.equal(await store.countEvents({ fields: [{ field: 'source.port', value: '2007' }] }), 1);
  assert.equal(await store.countEvents({ fields: [{ field: 'user.name', value: 'user*' }] }), 30);
  assert.equal(
    await store.countEvents({
      fields: [
        { field: 'event.outcome', value: 'failure' },
        { field: 'user.name', value: 'user0' },
      ],
    }),
    5,
  );
  const since = new Date(Date.UTC(2026, 10, 23, 10, 0, 25));
  assert.equal(await store.countEvents({ since }), 5);
  const hits = await store.searchEvents({ text: 'user1', limit: 3 });
  assert.deepEqual(
    hits.map((h) => h.event.source?.port),
    [2028, 2025, 2022],
  );
  await store.close();
});

test('a malformed full-text query is a clear VigilError, not a crash', async (t) => {
  const store = await SqliteStore.open(path.join(tmpDir(t), 'v.db'));
  await store.write({ events: [ev(1)], alerts: [], checkpoints: new Map() });
  await assert.rejects(store.searchEvents({ text: '"unbalanced', limit: 5 }), (err: unknown) => {
    assert.ok(err instanceof VigilError);
    assert.equal(err.code, 'VIGIL_ERR_SEARCH_QUERY');
    assert.match(err.message, /cannot parse search query "\\?"unbalanced"/);
    return true;
  });
  await assert.rejects(
    store.countEvents({ fields: [{ field: 'x; drop table', value: '1' }] }),
    /not a field name/,
  );
  await store.close();
});

test('retention by age deletes old events and their full-text entries', async (t) => {
  const store = await SqliteStore.open(path.join(tmpDir(t), 'v.db'));
  await store.write({
    events: Array.from({ length: 10 }, (_, i) => ev(i)),
    alerts: [],
    checkpoints: new Map(),
  });
  const now = new Date(Date.UTC(2026, 10, 23, 10, 0, 5) + 60_000);
  const r = await store.applyRetention({ maxAgeMs: 60_000, maxBytes: 1 << 30, now });
  assert.deepEqual(r, { deletedByAge: 5, deletedBySize: 0 });
  assert.equal(await store.countEvents(), 5);
  assert.equal(await store.countEvents({ text: 'Failed' }), 5);
  await store.close();
});

test('retention by size keeps the live data under the budget, oldest first', async (t) => {
  const store = await SqliteStore.open(path.join(tmpDir(t), 'v.db'));
  const big = 'x'.repeat(2000);
  for (let b = 0; b < 10; b++) {
    const events = Array.from({ length: 200 }, (_, i) =>
      ev(b * 200 + i, { message: `${big} ${b}` }),
    );
    await store.write({ events, alerts: [], checkpoints: new Map() });
  }
  const budget = 1_500_000;
  const r = await store.applyRetention({ maxAgeMs: 1e15, maxBytes: budget });
  assert.ok(r.deletedBySize > 0, 'deleted something');
  const left = await store.countEvents();
  assert.equal(left, 2000 - r.deletedBySize);
  const oldest = await store.searchEvents({ limit: left });
  const kept = oldest.map((s) => Date.parse(s.event['@timestamp']));
  const minKept = Math.min(...kept);
  assert.ok(minKept > Date.UTC(2026, 10, 23, 10, 0, 0), 'the oldest went first');
  await store.close();
});

test('reopening an existing store runs no migration twice and keeps data', async (t) => {
  const file = path.join(tmpDir(t), 'v.db');
  const a = await SqliteStore.open(file);
  await a.write({ events: [ev(1)], alerts: [], checkpoints: new Map() });
  await a.close();
  const b = await SqliteStore.open(file);
  assert.equal(await b.countEvents(), 1);
  const info = await b.info();
  assert.equal(info.events, 1);
  assert.equal(info.oldest, ev(1)['@timestamp']);
  await b.close();
});
