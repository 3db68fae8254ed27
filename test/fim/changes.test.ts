import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { makeTree, write } from './helpers.js';

const T0 = 1_700_000_000;

test('every attribute change is detected, with old → new', async (t) => {
  const tree = makeTree(t);
  const f = (n: string) => path.join(tree.root, n);
  for (const n of ['suid', 'owned', 'touched', 'same-size', 'renamed', 'linked', 'kept']) {
    write(f(n), `content of ${n}\n`, T0);
  }
  fs.mkdirSync(f('dir'));
  const init = await tree.init();
  assert.equal(init.entries, 9);
  assert.deepEqual(tree.lines((await tree.check()).changes), []);

  fs.chmodSync(f('suid'), 0o4755);
  fs.chownSync(f('owned'), 1234, 4321);
  fs.utimesSync(f('touched'), T0 + 60, T0 + 60);
  // Same size, mtime put back: only ctime and the content tell.
  fs.writeFileSync(f('same-size'), 'CONTENT of same-size\n');
  fs.utimesSync(f('same-size'), T0, T0);
  fs.renameSync(f('renamed'), f('renamed-to'));
  fs.linkSync(f('linked'), f('dir/hardlink'));

  const r = await tree.check();
  assert.deepEqual(tree.lines(r.changes), [
    'added dir/hardlink',
    'added renamed-to',
    'changed linked nlink,ctime',
    'changed owned uid,gid,ctime',
    'changed same-size ctime,hash',
    'changed suid mode,ctime',
    'changed touched mtime,ctime',
    'removed renamed',
  ]);
  assert.equal(r.unaccepted, 8);
  const suid = r.changes.find((c) => c.shown.endsWith('/suid'))!;
  assert.equal(suid.setuidGained, true);
  assert.deepEqual(suid.old!.mode, 0o644);
  assert.deepEqual(suid.new!.mode, 0o4755);
  const owned = r.changes.find((c) => c.shown.endsWith('/owned'))!;
  assert.deepEqual([owned.old!.uid, owned.new!.uid, owned.new!.gid], [0, 1234, 4321]);
  const same = r.changes.find((c) => c.shown.endsWith('/same-size'))!;
  assert.notEqual(same.old!.hash, same.new!.hash);
  assert.match(same.new!.hash!, /^sha256:[0-9a-f]{64}$/);
});

test('unchanged stat key skips re-hashing; --full re-hashes and still finds nothing', async (t) => {
  const tree = makeTree(t);
  for (let i = 0; i < 20; i++) write(path.join(tree.root, `f${i}`), `x${i}`);
  await tree.init();
  const quick = await tree.check();
  assert.equal(quick.stats.hashed, 0);
  const full = await tree.check({ full: true });
  assert.equal(full.stats.hashed, 20);
  assert.deepEqual(full.changes, []);
});

test('policy: allowed changes are taken in quietly, others reported', async (t) => {
  const tree = makeTree(t, { include: ['**/*.log'], allow: ['grow'] });
  const log = path.join(tree.root, 'app.log');
  write(log, 'line 1\n');
  write(path.join(tree.root, 'ignored.txt'), 'not included\n');
  await tree.init();
  fs.appendFileSync(log, 'line 2\n');
  fs.appendFileSync(path.join(tree.root, 'ignored.txt'), 'more\n');
  const grown = await tree.check();
  assert.deepEqual(grown.changes, []);
  assert.equal(grown.allowed, 1);
  // The grown state is the new baseline: no change the next time.
  assert.equal((await tree.check()).allowed, 0);
  fs.truncateSync(log, 3);
  const shrunk = await tree.check();
  assert.deepEqual(tree.lines(shrunk.changes), ['changed app.log size,mtime,ctime,hash']);
  assert.equal(shrunk.unaccepted, 1);
});

test('policy: content may change, owner may not', async (t) => {
  const tree = makeTree(t, { allow: ['hash', 'size', 'mtime', 'ctime'] });
  const conf = path.join(tree.root, 'app.conf');
  write(conf, 'a=1\n');
  await tree.init();
  write(conf, 'a=2 changed\n');
  assert.deepEqual((await tree.check()).changes, []);
  fs.chownSync(conf, 1000, 0);
  assert.deepEqual(tree.lines((await tree.check()).changes), ['changed app.conf uid,ctime']);
});

test('attribute groups: permissions compares only type, mode and owner', async (t) => {
  const tree = makeTree(t, { attributes: 'permissions' });
  const f = path.join(tree.root, 'f');
  write(f, 'one');
  await tree.init();
  write(f, 'two, longer');
  assert.deepEqual((await tree.check()).changes, []);
  fs.chmodSync(f, 0o600);
  assert.deepEqual(tree.lines((await tree.check()).changes), ['changed f mode']);
});

test('auto_accept takes changes in, purge drops vanished entries; both recorded in history', async (t) => {
  const tree = makeTree(t, { auto_accept: true, purge: true });
  const a = path.join(tree.root, 'a');
  const b = path.join(tree.root, 'b');
  write(a, 'a');
  write(b, 'b');
  await tree.init();
  fs.chmodSync(a, 0o600);
  fs.rmSync(b);
  write(path.join(tree.root, 'c'), 'c');
  const r = await tree.check();
  assert.deepEqual(tree.lines(r.changes, true), [
    'added c auto_accepted',
    'changed a mode,ctime auto_accepted',
    'removed b purged',
  ]);
  assert.equal(r.unaccepted, 0);
  assert.deepEqual((await tree.check()).changes, []);
  assert.equal(tree.session.baseline.get(Buffer.from(b)), undefined);
  assert.deepEqual(
    tree.session.baseline.history(Buffer.from(b)).map((h) => `${h.change} ${h.status}`),
    ['removed purged'],
  );
});

test('reported changes stay reported until accepted; history keeps each once', async (t) => {
  const tree = makeTree(t);
  const f = path.join(tree.root, 'f');
  const gone = path.join(tree.root, 'gone');
  write(f, 'v1');
  write(gone, 'x');
  await tree.init();
  fs.chmodSync(f, 0o700);
  fs.rmSync(gone);
  assert.equal((await tree.check()).unaccepted, 2);
  assert.equal((await tree.check()).unaccepted, 2);
  fs.chmodSync(f, 0o701);
  await tree.check();
  const accepted = await tree.accept([f]);
  assert.deepEqual(tree.lines(accepted.changes, true), ['changed f mode,ctime accepted']);
  assert.deepEqual(tree.lines((await tree.check()).changes, true), ['removed gone reported']);
  const hist = tree.session.baseline.history(Buffer.from(f));
  assert.deepEqual(
    hist.map(
      (h) => `${h.change} ${h.status} ${h.old!.mode.toString(8)}→${h.new!.mode.toString(8)}`,
    ),
    ['changed reported 644→700', 'changed reported 644→701', 'changed accepted 644→701'],
  );
  await tree.accept();
  assert.equal((await tree.check()).unaccepted, 0);
});

test('a deleted and recreated directory: its old entries removed, new ones added', async (t) => {
  const tree = makeTree(t);
  const d = path.join(tree.root, 'd');
  write(path.join(d, 'x'), 'x');
  write(path.join(d, 'deep/y'), 'y');
  await tree.init();
  fs.rmSync(d, { recursive: true });
  assert.deepEqual(tree.lines((await tree.check()).changes), [
    'removed d',
    'removed d/deep',
    'removed d/deep/y',
    'removed d/x',
  ]);
  write(path.join(d, 'z'), 'z');
  // The new directory may or may not get the old inode back.
  const back = tree.lines((await tree.check()).changes).filter((l) => l !== 'changed d inode');
  assert.deepEqual(back, ['added d/z', 'removed d/deep', 'removed d/deep/y', 'removed d/x']);
});

test('max_depth and exclude limit what is recorded', async (t) => {
  const tree = makeTree(t, { max_depth: 1, exclude: ['cache'] });
  write(path.join(tree.root, 'top'), '1');
  write(path.join(tree.root, 'sub/deeper'), '2');
  write(path.join(tree.root, 'cache/junk'), '3');
  const r = await tree.init();
  assert.equal(r.entries, 3); // root, top, sub
  write(path.join(tree.root, 'sub/new'), 'n');
  write(path.join(tree.root, 'cache/more'), 'm');
  assert.deepEqual((await tree.check()).changes, []);
});
