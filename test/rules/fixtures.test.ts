import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import type { Alert } from '../../src/event/types.js';
import { SigmaDetector } from '../../src/rules/detector.js';
import { loadRules } from '../../src/rules/loader.js';
import { decodeLines } from './helpers.js';

/*
 * One walker over test/fixtures/rules/<case>/: rule.yml (one or more rules,
 * many excerpted from SigmaHQ), events.log (raw lines run through the real
 * decode stage) and alerts.json (the exact alerts, correlation alerts
 * included, flushed at the end). UPDATE_FIXTURES=1 writes
 * alerts.json instead of comparing.
 */

const DIR = fileURLToPath(new URL('../fixtures/rules/', import.meta.url));

describe('rule fixtures', () => {
  for (const name of readdirSync(DIR).sort()) {
    const dir = join(DIR, name);
    if (!existsSync(join(dir, 'rule.yml'))) continue;
    test(name, () => {
      const loaded = loadRules([join(dir, 'rule.yml')]);
      assert.deepEqual(
        loaded.errors.map((e) => e.message),
        [],
      );
      assert.deepEqual(loaded.inactive, []);
      const lines = readFileSync(join(dir, 'events.log'), 'utf8')
        .split('\n')
        .filter((l) => l !== '');
      const events = decodeLines(lines);
      const detector = new SigmaDetector(loaded.rules, { correlations: loaded.correlations });
      const alerts: Alert[] = [];
      for (const e of events) detector.process(e, (a) => alerts.push(a));
      detector.flush((a) => alerts.push(a));
      const file = join(dir, 'alerts.json');
      if (process.env.UPDATE_FIXTURES === '1') {
        writeFileSync(file, JSON.stringify(alerts, null, 2) + '\n');
        return;
      }
      assert.deepEqual(alerts, JSON.parse(readFileSync(file, 'utf8')) as Alert[]);
    });
  }
});
