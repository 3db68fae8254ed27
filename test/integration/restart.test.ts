import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite.js';
import { exited, vigilSpawn, waitFor } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

function line(i: number): string {
  return `Nov 23 10:00:00 web1 app[42]: line ${String(i).padStart(6, '0')}\n`;
}

async function storedMessages(db: string): Promise<string[]> {
  if (!fs.existsSync(db)) return [];
  const store = await SqliteStore.open(db);
  try {
    const n = await store.countEvents();
    return (await store.searchEvents({ limit: n + 1 })).map((s) => s.event.message ?? '');
  } finally {
    await store.close();
  }
}

test(
  'kill -9 of a real `vigil start` mid-stream, rotation while down: every line stored exactly once',
  { timeout: 120_000 },
  async (t) => {
    const dir = tmpDir(t);
    const log = path.join(dir, 'app.log');
    const db = path.join(dir, 'data', 'vigil.db');
    const config = path.join(dir, 'vigil.yml');
    fs.writeFileSync(
      config,
      [
        `data_dir: ${path.join(dir, 'data')}`,
        'timezone: UTC',
        'sources:',
        '  - type: file',
        '    id: app',
        `    paths: [${log}]`,
        '    start_at: beginning',
        '    poll_interval: 50ms',
        // Every stored event is counted below: no process or metric events.
        'processes: { enabled: false }',
        'metrics: { enabled: false }',
        'store:',
        '  batch: { size: 500, interval: 50ms }',
        '',
      ].join('\n'),
    );
    let next = 0;
    const append = (file: string, n: number) => {
      let text = '';
      for (let i = 0; i < n; i++) text += line(next++);
      fs.appendFileSync(file, text);
    };
    append(log, 2000);

    const first = vigilSpawn(['start', '--config', config]);
    let writing = true;
    const writer = (async () => {
      while (writing) {
        append(log, 200);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await waitFor(
      'some events stored',
      async () => (await storedMessages(db)).length > 3000,
      60_000,
    );
    first.kill('SIGKILL');
    assert.equal((await exited(first)).signal, 'SIGKILL');
    writing = false;
    await writer;
    const atKill = (await storedMessages(db)).length;
    assert.ok(atKill < next, `killed mid-stream (${atKill} of ${next} stored)`);

    // While vigil is down the file is rotated by rename and a new one begun.
    append(log, 500);
    fs.renameSync(log, `${log}.1`);
    append(log, 1500);

    const second = vigilSpawn(['start', '--config', config]);
    await waitFor(
      'every line stored',
      async () => (await storedMessages(db)).length >= next,
      60_000,
    );
    second.kill('SIGTERM');
    const { code } = await exited(second);
    assert.equal(code, 0, second.output());

    const messages = await storedMessages(db);
    const seen = new Map<string, number>();
    for (const m of messages) seen.set(m, (seen.get(m) ?? 0) + 1);
    const dups = [...seen].filter(([, n]) => n > 1).map(([m]) => m);
    assert.deepEqual(dups, [], 'no duplicates');
    const missing: number[] = [];
    for (let i = 0; i < next; i++)
      if (!seen.has(line(i).slice(line(i).indexOf('line ')).trim())) missing.push(i);
    assert.deepEqual(missing, [], 'no loss');
    assert.equal(messages.length, next);
  },
);
