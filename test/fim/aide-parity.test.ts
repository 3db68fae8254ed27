import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { aidePath, makeAide } from '../../bench/fim/aide.js';
import { makeTree, write } from './helpers.js';

const AIDE = aidePath();

test(
  'parity with AIDE: the same files added, removed and changed',
  { skip: AIDE ? false : 'aide is not installed (apt-get install aide)' },
  async (t) => {
    const tree = makeTree(t);
    const r = tree.root;
    const f = (n: string) => path.join(r, n);
    for (const n of [
      'etc/passwd',
      'etc/hosts',
      'bin/ls',
      'bin/sh',
      'lib/libc',
      'var/log',
      'keep',
    ]) {
      write(f(n), `${n} content\n`, 1_700_000_000);
    }
    fs.symlinkSync('sh', f('bin/link'));
    const aide = makeAide(AIDE!, r, path.dirname(r));
    await tree.init();
    aide.init();

    fs.chmodSync(f('bin/sh'), 0o4755);
    fs.chownSync(f('etc/hosts'), 1000, 1000);
    fs.writeFileSync(f('bin/ls'), 'BIN/ls content\n');
    fs.utimesSync(f('bin/ls'), 1_700_000_000, 1_700_000_000);
    fs.appendFileSync(f('var/log'), 'more\n');
    fs.renameSync(f('lib/libc'), f('lib/libc.old'));
    fs.linkSync(f('etc/passwd'), f('etc/passwd-'));
    fs.rmSync(f('bin/link'));
    fs.symlinkSync('ls', f('bin/link'));
    write(f('new/dropped'), 'x');

    const vigil = await tree.check();
    const mine = (kind: string) =>
      vigil.changes
        .filter((c) => c.kind === kind)
        .map((c) => c.shown)
        .sort();
    const theirs = aide.check();
    assert.equal(theirs.status !== 0, vigil.unaccepted > 0);
    assert.deepEqual(mine('added'), theirs.added.sort());
    assert.deepEqual(mine('removed'), theirs.removed.sort());
    assert.deepEqual(mine('changed'), theirs.changed.sort());
    assert.ok(mine('changed').length >= 5);
  },
);
