import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Event } from '../../src/event/types.js';
import { exited, vigilSpawn, waitFor } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const FIXTURE = path.join(import.meta.dirname, '..', 'fixtures', 'proc', 'host');

async function stored(db: string): Promise<Event[]> {
  if (!fs.existsSync(db)) return [];
  const store = await SqliteStore.open(db);
  try {
    return (await store.searchEvents({ limit: 10_000 })).map((s) => s.event);
  } finally {
    await store.close();
  }
}

test(
  '`vigil start` runs both monitors on a crafted /proc: metric and process events stored, alerts from their rules, prompt stop',
  { timeout: 120_000 },
  async (t) => {
    const dir = tmpDir(t);
    const proc = path.join(dir, 'proc');
    fs.cpSync(FIXTURE, proc, { recursive: true });
    const db = path.join(dir, 'data', 'vigil.db');
    const config = path.join(dir, 'vigil.yml');
    fs.writeFileSync(
      config,
      [
        `data_dir: ${path.join(dir, 'data')}`,
        'host: { name: fixture }',
        'sources: []',
        'metrics:',
        '  interval: 300ms',
        `  proc_root: ${proc}`,
        `  utmp: ${path.join(dir, 'utmp')}`,
        '  services: { ssh: 22 }',
        'processes:',
        '  interval: 100ms',
        `  proc_root: ${proc}`,
        '  watch: [cron]',
        'store:',
        '  batch: { interval: 50ms }',
        '',
      ].join('\n'),
    );
    const child = vigilSpawn(['start', '--config', config]);
    t.after(() => child.kill('SIGKILL'));
    // Stored metrics mean both monitors run: the first process table (read
    // silently) is taken before anything is sampled.
    await waitFor(
      'the first metric sample',
      async () => (await stored(db)).some((e) => e.event.kind === 'metric'),
      60_000,
    );
    // A root shell from the web server, with a program outside /usr.
    const pidDir = path.join(proc, '5000');
    fs.mkdirSync(pidDir);
    fs.writeFileSync(
      path.join(pidDir, 'stat'),
      '5000 (sh) S 4242 5000 5000 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 90000 1000 100 0\n',
    );
    fs.writeFileSync(path.join(pidDir, 'status'), 'Name:\tsh\nUid:\t0\t0\t0\t0\n');
    fs.writeFileSync(path.join(pidDir, 'cmdline'), 'sh\0');
    fs.symlinkSync('/tmp/.x/sh', path.join(pidDir, 'exe'));

    let events: Event[] = [];
    await waitFor(
      'a metric sample and the process start stored',
      async () => {
        events = await stored(db);
        return (
          events.some((e) => e.metric?.name === 'port.ssh.in') &&
          events.some((e) => e.event.action === 'process_started')
        );
      },
      60_000,
    );
    child.kill('SIGTERM');
    const stopAsked = Date.now();
    assert.equal((await exited(child)).code, 0, child.output());
    assert.ok(Date.now() - stopAsked < 20_000, 'stops promptly');

    events = await stored(db);
    const ssh = events.find((e) => e.metric?.name === 'port.ssh.in')!;
    assert.deepEqual(ssh.metric, {
      name: 'port.ssh.in',
      value: 5,
      unit: 'connections',
      distribution: { '203.0.113.5': 2, '198.51.100.7': 2, '2001:db8::5': 1 },
    });
    assert.equal(ssh.host?.name, 'fixture');
    const started = events.find((e) => e.event.action === 'process_started')!;
    assert.equal(started.process?.pid, 5000);
    assert.equal(started.process?.parent?.name, 'sshd');
    assert.ok(events.some((e) => e.event.action === 'watched_process_missing'));

    const alerts = fs
      .readFileSync(path.join(dir, 'data', 'alerts.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { rule: { title: string } }).rule.title);
    for (const title of [
      'Watched daemon is not running',
      "New root process outside the system's program directories",
      'Program executed from outside the allowed program directories',
      'Swap almost exhausted',
    ])
      assert.ok(alerts.includes(title), `${title} in ${alerts.join(', ')}`);
  },
);
