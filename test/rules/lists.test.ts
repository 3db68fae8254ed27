import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ListRegistry, parseListFile } from '../../src/rules/lists.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { tmpDir } from '../helpers/tmp.js';

test('static and live entries, networks, case and expiry', () => {
  let now = 1_000_000;
  const lists = new ListRegistry({ now: () => now });
  lists.setStatic('blacklist', [
    '203.0.113.9',
    'Evil.Example.org',
    '198.51.100.0/24',
    '2001:db8::/32',
  ]);
  assert.equal(lists.has('blacklist', '203.0.113.9'), true);
  assert.equal(lists.has('blacklist', 'evil.example.ORG'), true);
  assert.equal(lists.has('blacklist', '198.51.100.77'), true);
  assert.equal(lists.has('blacklist', '198.51.101.1'), false);
  assert.equal(lists.has('blacklist', '2001:db8::1'), true);
  assert.equal(lists.has('blacklist', 'not an ip'), false);
  assert.equal(lists.has('nosuchlist', '203.0.113.9'), false);

  lists.add('banned', ['192.0.2.1'], new Date(now + 1000));
  lists.add('banned', ['10.9.0.0/16'], new Date(now + 1000));
  lists.add('banned', ['192.0.2.2']);
  assert.equal(lists.has('banned', '192.0.2.1'), true);
  assert.equal(lists.has('banned', '10.9.3.4'), true);
  now += 1000;
  assert.equal(lists.has('banned', '192.0.2.1'), false, 'expired at its expiry');
  assert.equal(lists.has('banned', '10.9.3.4'), false, 'network expired too');
  assert.equal(lists.has('banned', '192.0.2.2'), true, 'no expiry');
  lists.remove('banned', ['192.0.2.2']);
  assert.equal(lists.has('banned', '192.0.2.2'), false);
  assert.deepEqual(lists.names(), ['banned', 'blacklist']);
});

test('list files: one value a line, comments and blanks skipped', () => {
  assert.deepEqual(parseListFile('# bad hosts\n203.0.113.9\n\n  198.51.100.0/24  # a net\n'), [
    '203.0.113.9',
    '198.51.100.0/24',
  ]);
});

test('the store keeps live lists with expiry; refreshing an entry moves its expiry', async (t) => {
  const store = await SqliteStore.open(path.join(tmpDir(t), 'v.db'));
  const t0 = new Date(Date.UTC(2026, 10, 23, 12, 0, 0));
  await store.listAdd('banned', ['192.0.2.1', '192.0.2.2'], {
    origin: 'cli',
    expires: new Date(t0.getTime() + 60_000),
    now: t0,
  });
  await store.listAdd('allowed', ['10.0.0.0/8'], { origin: 'config', now: t0 });
  assert.deepEqual(
    (await store.listEntries(undefined, t0)).map((e) => [e.list, e.value, e.origin]),
    [
      ['allowed', '10.0.0.0/8', 'config'],
      ['banned', '192.0.2.1', 'cli'],
      ['banned', '192.0.2.2', 'cli'],
    ],
  );
  const later = new Date(t0.getTime() + 120_000);
  assert.deepEqual(
    (await store.listEntries('banned', later)).length,
    0,
    'expired entries are not listed',
  );
  await store.listAdd('banned', ['192.0.2.1'], {
    origin: 'reaction',
    expires: new Date(later.getTime() + 60_000),
    now: later,
  });
  assert.deepEqual(
    (await store.listEntries('banned', later)).map((e) => [e.value, e.origin]),
    [['192.0.2.1', 'reaction']],
  );
  assert.equal(await store.listPurge(later), 1);
  assert.equal(await store.listRemove('banned', ['192.0.2.1', 'nope']), 1);
  assert.deepEqual((await store.listEntries('banned', later)).length, 0);
  await store.close();
});
