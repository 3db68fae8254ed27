import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { VigilError } from '../../src/errors.js';
import { Baseline } from '../../src/fim/baseline.js';
import { encodeState } from '../../src/fim/attributes.js';
import { EntryMac } from '../../src/fim/entry-mac.js';
import { hashFile } from '../../src/fim/hash-worker.js';
import { display } from '../../src/fim/paths.js';
import { FimKey } from '../../src/fim/signer.js';
import { tmpDir } from '../helpers/tmp.js';
import { makeTree, write } from './helpers.js';

test('tampering with the baseline is detected and check refuses to trust it', async (t) => {
  const tree = makeTree(t);
  write(path.join(tree.root, 'a'), 'a');
  write(path.join(tree.root, 'b'), 'b');
  await tree.init();
  const key = FimKey.load(tree.data)!;
  assert.equal(fs.statSync(FimKey.path(tree.data)).mode & 0o777, 0o600);
  assert.equal(tree.session.baseline.verify(key).ok, true);

  // An attacker edits one entry (say, to hide a new setuid bit).
  const db = new Database(tree.store);
  t.after(() => db.close());
  const a = Buffer.from(path.join(tree.root, 'a'));
  const row = db.prepare('SELECT state FROM fim_entries WHERE path = ?').get(a) as {
    state: string;
  };
  const forged = { ...JSON.parse(row.state), mode: 0o4755 };
  db.prepare('UPDATE fim_entries SET state = ? WHERE path = ?').run(encodeState(forged), a);
  const edited = tree.session.baseline.verify(key);
  assert.equal(edited.ok, false);
  assert.deepEqual(edited.badEntries, [a.toString()]);
  await assert.rejects(tree.check(), (e: VigilError) => e.code === 'VIGIL_ERR_FIM_TAMPERED');
  db.prepare('UPDATE fim_entries SET state = ? WHERE path = ?').run(row.state, a);
  assert.equal(tree.session.baseline.verify(key).ok, true);

  // Dropping an entry breaks the count and the sealed sum.
  const b = Buffer.from(path.join(tree.root, 'b'));
  db.prepare('DELETE FROM fim_entries WHERE path = ?').run(b);
  assert.deepEqual(tree.session.baseline.verify(key).problems, [
    'the seal counts 3 entries, the baseline holds 2',
    'the entries do not sum to the sealed aggregate (entries added, removed or altered)',
  ]);

  // Re-signing with a key of one's own does not pass either.
  fs.rmSync(FimKey.path(tree.data));
  const other = FimKey.loadOrCreate(tree.data);
  assert.match(tree.session.baseline.verify(other).problems.join(), /seal signature is invalid/);
  await assert.rejects(tree.check(), (e: VigilError) => e.code === 'VIGIL_ERR_FIM_TAMPERED');
  // A full init is the way back.
  await tree.init();
  assert.equal(tree.session.baseline.verify(other).ok, true);
});

test('a key readable by others is refused', async (t) => {
  const tree = makeTree(t);
  await tree.init();
  fs.chmodSync(FimKey.path(tree.data), 0o644);
  assert.throws(() => FimKey.load(tree.data), /accessible by others \(mode 644\)/);
});

test('odd names, special files, dangling links, vanished roots', async (t) => {
  const tree = makeTree(t);
  const r = tree.root;
  write(path.join(r, 'new\nline'), 'n');
  const bad = Buffer.concat([
    Buffer.from(r + '/bad-'),
    Buffer.from([0xff, 0xfe]),
    Buffer.from('.bin'),
  ]);
  fs.writeFileSync(bad, 'invalid utf-8 name');
  fs.symlinkSync('/nonexistent/target', path.join(r, 'dangling'));
  spawnSyncOk('mkfifo', [path.join(r, 'fifo')]);
  const init = await tree.init();
  assert.equal(init.entries, 5);
  assert.deepEqual(tree.session.baseline.get(bad)!.state.hash?.slice(0, 7), 'sha256:');
  assert.equal(display(bad), `${r}/bad-\\xff\\xfe.bin`);
  assert.equal(tree.session.baseline.get(Buffer.from(path.join(r, 'fifo')))!.state.type, 'fifo');
  assert.equal(
    tree.session.baseline.get(Buffer.from(path.join(r, 'dangling')))!.state.target,
    '/nonexistent/target',
  );

  fs.writeFileSync(bad, 'changed content!!');
  fs.rmSync(path.join(r, 'new\nline'));
  fs.rmSync(path.join(r, 'dangling'));
  fs.symlinkSync('/elsewhere', path.join(r, 'dangling'));
  const c = await tree.check();
  assert.deepEqual(
    c.changes.map((x) => `${x.kind} ${path.basename(x.shown)} ${x.attributes.join(',')}`).sort(),
    [
      'changed bad-\\xff\\xfe.bin size,mtime,ctime,hash',
      'changed dangling inode,size,mtime,ctime,hash',
      'removed new\\nline ',
    ],
  );

  fs.rmSync(r, { recursive: true });
  const vanished = await tree.check();
  assert.equal(vanished.changes.filter((x) => x.kind === 'removed').length, 5);
});

test('a file that cannot be opened is recorded with its error; one that keeps changing is not guessed at', async (t) => {
  const tree = makeTree(t);
  const link = path.join(tree.root, 'link');
  fs.symlinkSync('/etc/hostname', link);
  // Opening a symlink without following it: what a file swapped for a link
  // between the walk's stat and the hash looks like.
  assert.deepEqual(hashFile(link, 'sha256', false), { id: 0, error: 'ELOOP' });

  const busy = path.join(tree.root, 'busy');
  fs.writeFileSync(busy, Buffer.alloc(64 << 20));
  const writer = spawn('sh', ['-c', `while :; do echo x >> '${busy}'; done`], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 200));
  const r = hashFile(busy, 'sha256', false);
  writer.kill();
  await new Promise((r) => writer.once('exit', r));
  assert.equal(r.error, 'changed while being read (3 attempts)');
  assert.equal(r.state!.type, 'file');
});

test('sha512 and blake2b512 are honoured', async (t) => {
  for (const hash of ['sha512', 'blake2b512'] as const) {
    const tree = makeTree(t, {}, { hash });
    write(path.join(tree.root, 'f'), 'abc');
    await tree.init();
    const st = tree.session.baseline.get(Buffer.from(path.join(tree.root, 'f')))!.state;
    assert.match(st.hash!, new RegExp(`^${hash}:[0-9a-f]{128}$`));
  }
});

function spawnSyncOk(cmd: string, args: string[]): void {
  const { status } = spawnSync(cmd, args);
  assert.equal(status, 0);
}

const GETFATTR = spawnSync('getfattr', ['--version']).status === 0;

test(
  'xattrs (and ACLs) are recorded and compared when the rule asks for them',
  { skip: GETFATTR ? false : 'getfattr is not installed (apt-get install attr)' },
  async (t) => {
    const tree = makeTree(t, { attributes: 'all' });
    const f = path.join(tree.root, 'f');
    write(f, 'x');
    spawnSyncOk('setfattr', ['-n', 'user.origin', '-v', 'pkg', f]);
    await tree.init();
    const st = tree.session.baseline.get(Buffer.from(f))!.state;
    assert.deepEqual(st.xattrs, { 'user.origin': '0x706b67' });
    spawnSyncOk('setfattr', ['-n', 'user.origin', '-v', 'evil', f]);
    const c = await tree.check();
    assert.deepEqual(tree.lines(c.changes), ['changed f ctime,xattrs']);
    assert.equal(c.changes[0]!.new!.xattrs!['user.origin'], '0x6576696c');
  },
);

test('entry MACs are HMAC-SHA256 of path, NUL and text, for any key and length, in place too', () => {
  for (const key of [crypto.randomBytes(32), crypto.randomBytes(100)]) {
    const mac = new EntryMac(key);
    const bad = Buffer.from([0x2f, 0xff, 0xfe, 0x0a]);
    const cases: Array<[string | Buffer, string]> = [
      ['/etc/passwd', '{"type":"file"}'],
      [bad, 'é'.repeat(5000)],
      ['/tmp/ü', ''],
    ];
    for (const [p, text] of cases) {
      const want = crypto
        .createHmac('sha256', key)
        .update(typeof p === 'string' ? Buffer.from(p) : p)
        .update('\0')
        .update(text)
        .digest();
      assert.deepEqual(mac.mac(p, text), want);
      const out = Buffer.alloc(40);
      mac.macInto(p, text, out, 5);
      assert.deepEqual(out, Buffer.concat([Buffer.alloc(5), want, Buffer.alloc(3)]));
    }
  }
});

test('an init leaves no staging table behind, and drops those of a killed init', async (t) => {
  const tree = makeTree(t);
  write(path.join(tree.root, 'f'), 'x');
  await tree.init();
  const db = new Database(tree.store);
  t.after(() => db.close());
  const staging = () =>
    db.prepare("SELECT name FROM sqlite_schema WHERE name LIKE 'fim_staging_%'").pluck().all();
  assert.deepEqual(staging(), []);
  // A pid that is not running (beyond the kernel's maximum).
  db.exec('CREATE TABLE fim_staging_99999999_1 (path BLOB PRIMARY KEY)');
  await tree.init();
  assert.deepEqual(staging(), []);
  assert.equal(tree.session.baseline.verify(FimKey.load(tree.data)).ok, true);
  assert.equal((await tree.check()).changes.length, 0);
});

test('overlapping paths in one init stage each file once', async (t) => {
  const tree = makeTree(t);
  const sub = path.join(tree.root, 'sub');
  // More than one INSERT's worth of rows, so repeats land inside one statement too.
  for (let i = 0; i < 150; i++) write(path.join(sub, `f${i}`), `${i}`);
  const r = await tree.init([tree.root, sub]);
  assert.equal(r.entries, 152);
  const report = tree.session.baseline.verify(FimKey.load(tree.data));
  assert.deepEqual([report.ok, report.entries], [true, 152]);
  assert.equal((await tree.check()).changes.length, 0);
});

test('the names of a hard-linked file share one hash, taken again once the content moves', async (t) => {
  const tree = makeTree(t);
  const a = path.join(tree.root, 'a');
  write(a, 'same bytes');
  fs.linkSync(a, path.join(tree.root, 'b'));
  fs.linkSync(a, path.join(tree.root, 'c'));
  await tree.init();
  const want = `sha256:${crypto.createHash('sha256').update('same bytes').digest('hex')}`;
  for (const name of ['a', 'b', 'c']) {
    const row = tree.session.baseline.get(Buffer.from(path.join(tree.root, name)))!;
    assert.equal(row.state.hash, want, name);
    // The hash threads' rows are the one serialization, byte for byte.
    assert.equal(row.text, encodeState(row.state), name);
  }
  // Within one thread's memory of the inode: a write between two names'
  // reads moves ctime, so the second name is read again, not given the old hash.
  const first = hashFile(a, 'sha256', false);
  fs.writeFileSync(a, 'other byte');
  const second = hashFile(path.join(tree.root, 'b'), 'sha256', false);
  assert.notEqual(second.state!.hash, first.state!.hash);
  assert.equal(
    second.state!.hash,
    `sha256:${crypto.createHash('sha256').update('other byte').digest('hex')}`,
  );
  const c = await tree.check({ full: true });
  assert.deepEqual(tree.lines(c.changes), [
    'changed a mtime,ctime,hash',
    'changed b mtime,ctime,hash',
    'changed c mtime,ctime,hash',
  ]);
});

/** Indexes a store keeps on fim_entries beside its primary key. */
function entryIndexes(db: Database.Database): string[] {
  return db
    .prepare(
      "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'fim_entries' AND sql IS NOT NULL",
    )
    .pluck()
    .all() as string[];
}

test("a directory's entries are its range of the path key, stepping over each subdirectory's", async (t) => {
  const tree = makeTree(t);
  // Names that sort between a subdirectory and its entries ('-' and '.'
  // come before '/') or right after them ('0' follows '/').
  for (const f of ['d/sub/x', 'd/sub/deep/y', 'd/sub-x', 'd/sub.x', 'd/sub0', 'd/z', 'e/f']) {
    write(path.join(tree.root, f), f);
  }
  await tree.init();
  const names = (dir: string) =>
    [...tree.session.baseline.children(Buffer.from(path.join(tree.root, dir))).keys()].sort();
  assert.deepEqual(names('d'), ['sub', 'sub-x', 'sub.x', 'sub0', 'z']);
  assert.deepEqual(names('d/sub'), ['deep', 'x']);
  assert.deepEqual(names('.'), ['d', 'e']);
  assert.deepEqual(names('e/f'), []);
  fs.rmSync(path.join(tree.root, 'd', 'sub0'));
  fs.rmSync(path.join(tree.root, 'd', 'sub', 'deep'), { recursive: true });
  assert.deepEqual(tree.lines((await tree.check()).changes), [
    'removed d/sub/deep',
    'removed d/sub/deep/y',
    'removed d/sub0',
  ]);
  // Only the path key is left to keep up: no index beside it.
  const db = new Database(tree.store);
  t.after(() => db.close());
  assert.deepEqual(entryIndexes(db), []);
});

test('the root directory is not among its own entries', (t) => {
  const dir = tmpDir(t, 'vigil-fim-root-');
  const baseline = Baseline.open(path.join(dir, 'vigil.db'));
  t.after(() => baseline.close());
  const key = FimKey.loadOrCreate(dir);
  const text = encodeState({
    type: 'dir',
    mode: 0o755,
    inode: '2',
    nlink: 2,
    uid: 0,
    gid: 0,
    size: 0,
    mtime: '0',
    ctime: '0',
  });
  const paths = ['/', '/a', '/a/b', '/a-b', '/a0'];
  baseline.apply(
    paths.map((p) => ({ op: 'put' as const, path: Buffer.from(p), text })),
    key,
  );
  assert.deepEqual([...baseline.children(Buffer.from('/')).keys()].sort(), ['a', 'a-b', 'a0']);
  assert.deepEqual(
    baseline.below(Buffer.from('/')).map((r) => r.path.toString()),
    ['/a', '/a-b', '/a/b', '/a0'],
  );
});

test('migration 0005 drops the dir column and its index, whatever an init named it', async (t) => {
  const tree = makeTree(t);
  write(path.join(tree.root, 'd', 'f'), 'x');
  await tree.init();
  const key = FimKey.load(tree.data);
  // The store as schema 4 left it: a dir column, indexed under a staging name.
  const db = new Database(tree.store);
  db.function('dir_of', (p: Buffer) => p.subarray(0, Math.max(p.lastIndexOf(0x2f), 1)));
  db.exec(`CREATE TABLE old (path BLOB PRIMARY KEY, dir BLOB NOT NULL, state TEXT NOT NULL,
      mac BLOB NOT NULL, updated INTEGER NOT NULL) WITHOUT ROWID;
    INSERT INTO old SELECT path, dir_of(path), state, mac, updated FROM fim_entries;
    DROP TABLE fim_entries;
    ALTER TABLE old RENAME TO fim_entries;
    CREATE INDEX fim_entries_dir_0badcafe ON fim_entries(dir);
    PRAGMA user_version = 4;`);
  db.close();
  const reopened = Baseline.open(tree.store);
  t.after(() => reopened.close());
  assert.equal(reopened.verify(key).ok, true);
  assert.deepEqual([...reopened.children(Buffer.from(path.join(tree.root, 'd'))).keys()], ['f']);
  const after = new Database(tree.store, { readonly: true });
  t.after(() => after.close());
  const columns = after.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('fim_entries');
  assert.deepEqual(columns, ['path', 'state', 'mac', 'updated']);
  assert.equal(after.pragma('user_version', { simple: true }), 5);
  assert.deepEqual(entryIndexes(after), []);
});

test('a state encodes exactly as JSON.stringify of its fields in order, whatever its strings hold', () => {
  const base = {
    type: 'file' as const,
    mode: 0o644,
    inode: '12',
    nlink: 1,
    uid: 0,
    gid: 0,
    size: 3,
    mtime: '1700000000123456789',
    ctime: '1700000000123456789',
  };
  for (const hash of ['sha256:00ff', 'sha256:"quoted"\\', 'x\u0001\u2028', '']) {
    const s = { ...base, hash, target: 'a"b', error: 'EACCES' };
    assert.equal(encodeState(s), JSON.stringify(s));
  }
});
