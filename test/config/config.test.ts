import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { parseDuration, parseSize } from '../../src/config/units.js';
import { VigilError } from '../../src/errors.js';
import { parseTimeZone } from '../../src/event/timezone.js';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures', 'config');

for (const name of fs.readdirSync(path.join(FIXTURES, 'valid'))) {
  test(`valid config ${name} loads`, () => {
    const { config } = loadConfig({ file: path.join(FIXTURES, 'valid', name) });
    assert.ok(config.sources && config.sources.length > 0);
  });
}

for (const name of fs.readdirSync(path.join(FIXTURES, 'invalid'))) {
  test(`invalid config ${name} is rejected with its path and reason`, () => {
    const file = path.join(FIXTURES, 'invalid', name);
    const expected = /^# expect-error: (.*)$/m.exec(fs.readFileSync(file, 'utf8'))?.[1];
    assert.ok(expected, 'fixture has an expect-error header');
    assert.throws(
      () => loadConfig({ file }),
      (err: unknown) => {
        assert.ok(err instanceof VigilError);
        assert.equal(err.exitCode, 2);
        assert.ok(err.message.includes(file), `names the file: ${err.message}`);
        assert.ok(err.message.includes(expected), `"${err.message}" includes "${expected}"`);
        return true;
      },
    );
  });
}

test('defaults fill every key; --data-dir overrides the file', () => {
  const { config } = loadConfig({
    file: path.join(FIXTURES, 'valid', 'full.yaml'),
    dataDir: '/tmp/x',
  });
  assert.equal(config.data_dir, '/tmp/x');
  assert.equal(config.limits.max_record_size, 128 * 1024);
  assert.equal(config.store.retention.max_age, 90 * 86_400_000);
  assert.equal(config.store.batch.interval, 1000);
  const syslog = config.sources?.find((s) => s.type === 'syslog');
  assert.deepEqual(syslog, {
    type: 'syslog',
    id: 'net',
    udp: { host: '0.0.0.0', port: 514 },
    tcp: null,
    max_message_size: 8192,
    max_connections: 256,
    idle_timeout: 300_000,
    format: 'auto',
  });
  const none = loadConfig({});
  assert.equal(none.file, undefined);
  assert.equal(none.config.store.retention.max_size, 1024 ** 3);
});

test('a missing config file is a clear error', () => {
  assert.throws(
    () => loadConfig({ file: '/nonexistent/vigil.yml' }),
    /cannot read config \/nonexistent\/vigil.yml: ENOENT/,
  );
});

test('units and zones', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('2w'), 2 * 604_800_000);
  assert.equal(parseDuration('5 minutes'), undefined);
  assert.equal(parseSize('64KiB'), 65536);
  assert.equal(parseSize('1.5MB'), 1_500_000);
  assert.equal(parseSize('12 parsecs'), undefined);
  assert.equal(
    parseTimeZone('+02:00')!.instant(2026, 0, 1, 12, 0, 0).toISOString(),
    '2026-01-01T10:00:00.000Z',
  );
  assert.equal(
    parseTimeZone('Europe/Berlin')!.instant(2026, 6, 1, 12, 0, 0).toISOString(),
    '2026-07-01T10:00:00.000Z',
  );
  assert.equal(
    parseTimeZone('Europe/Berlin')!.instant(2026, 0, 1, 12, 0, 0).toISOString(),
    '2026-01-01T11:00:00.000Z',
  );
  assert.equal(
    parseTimeZone('America/New_York')!.instant(2026, 2, 8, 3, 30, 0).toISOString(),
    '2026-03-08T07:30:00.000Z',
  );
  assert.equal(parseTimeZone('Nowhere/Special'), undefined);
});
