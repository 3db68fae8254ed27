import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { AlertLog } from '../../src/alerts/jsonl-log.js';
import type { Alert } from '../../src/event/types.js';
import { tmpDir } from '../helpers/tmp.js';

function alert(i: number): Alert {
  const ts = new Date(Date.UTC(2026, 10, 23, 0, 0, i)).toISOString();
  return {
    '@timestamp': ts,
    rule: { id: `r${i}`, title: 'test', level: 'low' },
    severity: 5,
    first_seen: ts,
    last_seen: ts,
    count: 1,
  };
}

test('alerts are appended one per line and rotated by size, keeping N files', (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'alerts.jsonl');
  const one = Buffer.byteLength(JSON.stringify(alert(0)) + '\n');
  const log = new AlertLog({ file, maxSize: one * 3, keep: 2 });
  for (let i = 0; i < 10; i++) log.write([alert(i)]);
  log.close();
  const ids = (f: string) =>
    fs
      .readFileSync(f, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as Alert).rule.id);
  assert.deepEqual(ids(file), ['r9']);
  assert.deepEqual(ids(`${file}.1`), ['r6', 'r7', 'r8']);
  assert.deepEqual(ids(`${file}.2`), ['r3', 'r4', 'r5']);
  assert.equal(fs.existsSync(`${file}.3`), false);
  const again = new AlertLog({ file, maxSize: one * 3, keep: 2 });
  again.write([alert(10)]);
  again.close();
  assert.deepEqual(ids(file), ['r9', 'r10']);
});
