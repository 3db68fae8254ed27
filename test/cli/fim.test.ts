import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { exited, vigil, vigilSpawn, waitFor } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

test('vigil fim: init, check (exit 1, --json), accept, history, verify, digest', (t) => {
  const dir = tmpDir(t);
  const tree = path.join(dir, 'tree');
  const data = path.join(dir, 'data');
  fs.mkdirSync(tree);
  fs.writeFileSync(path.join(tree, 'tool'), '#!/bin/sh\n');
  const run = (...args: string[]) => vigil(['-d', data, 'fim', ...args], { cwd: dir });

  const none = run('check');
  assert.equal(none.status, 2);
  assert.match(none.stderr, /no FIM baseline yet: run `vigil fim init` first/);

  const init = run('init', tree);
  assert.equal(init.status, 0, init.stderr);
  assert.match(init.stdout, /^baseline: 2 entries \(1 files hashed, 0\.0 MiB\) in [\d.]+ s\n$/);
  assert.equal(fs.statSync(path.join(data, 'fim-ed25519.key')).mode & 0o777, 0o600);

  const clean = run('check');
  assert.equal(clean.status, 0, clean.stderr);
  assert.match(clean.stdout, /^no changes; 2 entries checked, 0 hashed/);

  fs.chmodSync(path.join(tree, 'tool'), 0o4755);
  const text = run('check');
  assert.equal(text.status, 1);
  assert.match(
    text.stdout,
    new RegExp(`^changed  ${tree}/tool  \\[high\\]\\n         mode 0644 → 4755; ctime `),
  );
  const json = run('--json', 'check');
  assert.equal(json.status, 1);
  const line = JSON.parse(json.stdout.trim().split('\n')[0]!);
  assert.deepEqual(
    [line.change, line.path, line.status, line.level, line.diff.mode, line.setuid_gained],
    ['changed', `${tree}/tool`, 'reported', 'high', { old: '0644', new: '4755' }, true],
  );

  const accept = run('accept', tree);
  assert.equal(accept.status, 0, accept.stderr);
  assert.match(accept.stdout, /1 change \(1 accepted\)/);
  assert.equal(run('check').status, 0);

  const hist = run('history', path.join(tree, 'tool'));
  assert.equal(hist.status, 0);
  assert.match(hist.stdout, /changed {2}reported +mode 0644 → 4755/);
  assert.match(hist.stdout, /changed {2}accepted +mode 0644 → 4755/);

  const verify = run('verify');
  assert.equal(verify.status, 0);
  assert.match(verify.stdout, /^baseline ok: 2 entries, seal #\d+ signed by key [0-9a-f]{16}\n$/);
  const d1 = run('digest');
  assert.match(d1.stdout, /^sha256:[0-9a-f]{64} {2}2 entries/);
  assert.equal(run('digest').stdout.split(' ')[0], d1.stdout.split(' ')[0]);
});

test(
  'vigil start: file integrity events reach the rules and the store',
  { timeout: 90_000 },
  async (t) => {
    const dir = tmpDir(t);
    const tree = path.join(dir, 'tree');
    fs.mkdirSync(tree);
    fs.writeFileSync(path.join(tree, 'sh'), '#!/bin/sh\n');
    const config = path.join(dir, 'vigil.yml');
    fs.writeFileSync(
      config,
      `data_dir: ${path.join(dir, 'data')}\nsources: []\nfim:\n  workers: 1\n  debounce: 50ms\n  paths:\n    - path: ${tree}\nstore:\n  batch: { interval: 50ms }\n`,
    );
    const child = vigilSpawn(['start', '--config', config]);
    t.after(() => child.kill('SIGKILL'));
    await waitFor('baseline built', () => /fim: baseline of 2 entries built/.test(child.output()));
    await waitFor('watcher ready', () => /realtime watching of 1 path/.test(child.output()));
    fs.chmodSync(path.join(tree, 'sh'), 0o4755);
    const alertLog = path.join(dir, 'data', 'alerts.jsonl');
    await waitFor(
      'setuid alert',
      () =>
        fs.existsSync(alertLog) &&
        /fim_setuid_setgid_gained|File gained the setuid/.test(fs.readFileSync(alertLog, 'utf8')),
    );
    child.kill('SIGTERM');
    assert.equal((await exited(child)).code, 0, child.output());
    const found = vigil(['--json', '--config', config, 'search', '-f', 'vigil.fim.change=changed']);
    assert.equal(found.status, 0, found.stderr);
    const event = JSON.parse(found.stdout.trim().split('\n')[0]!);
    assert.equal(event.file.path, path.join(tree, 'sh'));
    assert.equal(event.file.mode, '4755');
  },
);
