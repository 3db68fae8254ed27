import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import zlib from 'node:zlib';
import { fileSourceSchema, type FileSourceConfig } from '../../src/config/schema.js';
import { VigilError } from '../../src/errors.js';
import type { RawRecord } from '../../src/event/types.js';
import { Counters } from '../../src/event/counters.js';
import { FileSource, globBase } from '../../src/sources/file.js';
import { parseFileCheckpoint } from '../../src/sources/file-records.js';
import { scanFiles } from '../../src/sources/file-scan.js';
import { committed, sleep, start, tempDir, testContext, waitFor } from './helpers.js';

const dirs: string[] = [];
function dir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function config(over: Partial<FileSourceConfig> & { paths: string[] }): FileSourceConfig {
  return fileSourceSchema.parse({ type: 'file', poll_interval: 50, ...over });
}

function source(
  over: Partial<FileSourceConfig> & { paths: string[] },
  checkpoints?: Map<string, string>,
  maxRecordSize?: number,
): { src: FileSource; t: ReturnType<typeof testContext> } {
  const t = testContext(checkpoints, maxRecordSize);
  return { src: new FileSource('f', config(over), t.ctx), t };
}

const scope = 'source:f';

describe('file source: where to start', () => {
  it('starts at the end of a file present at start (default)', async () => {
    const d = dir();
    const p = path.join(d, 'a.log');
    fs.writeFileSync(p, 'old1\nold2\n');
    const { src, t } = source({ paths: [p] });
    const run = start(src);
    try {
      await waitFor(() => t.counters.get(scope, 'files') === 1, 'the file to be opened');
      fs.appendFileSync(p, 'new1\n');
      await waitFor(() => run.records.length === 1, 'one record');
      await sleep(120);
      const r = run.records[0]!;
      assert.equal(r.text, 'new1');
      assert.equal(r.path, p);
      assert.equal(r.offset, 15);
      assert.equal(r.source, 'f');
      assert.equal(r.format, 'auto');
      assert.equal(r.checkpoint?.key, `file:${p}`);
      const cp = parseFileCheckpoint(r.checkpoint!.value)!;
      const st = fs.statSync(p);
      assert.deepEqual(cp, { dev: st.dev, ino: st.ino, offset: 15 });
      assert.deepEqual(run.texts(), ['new1']);
    } finally {
      await run.stop();
    }
  });

  it('reads a present file whole with start_at: beginning, then follows appends', async () => {
    const d = dir();
    const p = path.join(d, 'a.log');
    fs.writeFileSync(p, 'old1\nold2\n');
    const { src, t } = source({ paths: [p], start_at: 'beginning', format: 'syslog' });
    const run = start(src);
    try {
      await waitFor(() => run.records.length === 2, 'two records');
      fs.appendFileSync(p, 'new1\nnew2\n');
      await waitFor(() => run.records.length === 4, 'four records');
      assert.deepEqual(run.texts(), ['old1', 'old2', 'new1', 'new2']);
      assert.deepEqual(
        run.records.map((r) => r.offset),
        [5, 10, 15, 20],
      );
      assert.equal(run.records[0]!.format, 'syslog');
      assert.equal(t.counters.get(scope, 'records'), 4);
      assert.equal(t.counters.get(scope, 'bytes'), 20);
    } finally {
      await run.stop();
    }
  });

  it('does not hand over a partial last line until its newline arrives', async () => {
    const d = dir();
    const p = path.join(d, 'a.log');
    fs.writeFileSync(p, 'abc');
    const { src } = source({ paths: [p], start_at: 'beginning' });
    const run = start(src);
    try {
      await sleep(200);
      assert.equal(run.records.length, 0);
      fs.appendFileSync(p, 'def');
      await sleep(120);
      assert.equal(run.records.length, 0);
      fs.appendFileSync(p, '\nxyz');
      await waitFor(() => run.records.length === 1, 'one record');
      await sleep(120);
      assert.deepEqual(run.texts(), ['abcdef']);
      assert.equal(run.records[0]!.offset, 7);
    } finally {
      await run.stop();
    }
  });

  it('reads new files matching the glob from the beginning; honours exclude', async () => {
    const d = dir();
    fs.writeFileSync(path.join(d, 'present.log'), 'p1\n');
    const { src, t } = source({
      paths: [path.join(d, '*.log'), path.join(d, 'sub/**/*.log')],
      exclude: ['skip-*.log', path.join(d, 'sub/private/**')],
    });
    const run = start(src);
    try {
      await waitFor(() => t.counters.get(scope, 'files') === 1, 'the present file');
      fs.writeFileSync(path.join(d, 'new.log'), 'n1\nn2\n');
      fs.writeFileSync(path.join(d, 'skip-me.log'), 'excluded\n');
      fs.writeFileSync(path.join(d, 'other.txt'), 'not matched\n');
      fs.mkdirSync(path.join(d, 'sub/deep'), { recursive: true });
      fs.mkdirSync(path.join(d, 'sub/private'), { recursive: true });
      fs.writeFileSync(path.join(d, 'sub/deep/x.log'), 'deep\n');
      fs.writeFileSync(path.join(d, 'sub/private/y.log'), 'private\n');
      await waitFor(() => run.records.length >= 3, 'three records');
      await sleep(150);
      assert.deepEqual(run.texts().sort(), ['deep', 'n1', 'n2']);
      assert.deepEqual(src.describe(), [
        `file ${path.join(d, '*.log')}: ${path.join(d, 'new.log')}, ${path.join(d, 'present.log')}`,
        `file ${path.join(d, 'sub/**/*.log')}: ${path.join(d, 'sub/deep/x.log')}`,
      ]);
    } finally {
      await run.stop();
    }
  });

  it('fs.watch wakes the loop long before the poll interval', async () => {
    const d = dir();
    const p = path.join(d, 'a.log');
    fs.writeFileSync(p, '');
    const { src, t } = source({ paths: [path.join(d, '*.log')], poll_interval: 60_000 });
    const run = start(src);
    try {
      await waitFor(() => t.counters.get(scope, 'files') === 1, 'the file');
      fs.appendFileSync(p, 'appended\n');
      fs.writeFileSync(path.join(d, 'b.log'), 'created\n');
      await waitFor(() => run.records.length === 2, 'two records', 2000);
      assert.deepEqual(run.texts().sort(), ['appended', 'created']);
      assert.equal(t.counters.get(scope, 'watch_failures'), 0);
    } finally {
      await run.stop();
    }
  });

  it('read_compressed: a .gz that appears is read once, whole; one present at start is skipped', async () => {
    const d = dir();
    fs.writeFileSync(path.join(d, 'old.log.gz'), zlib.gzipSync('old\n'));
    const { src } = source({ paths: [path.join(d, '*.gz')], read_compressed: true });
    const run = start(src);
    try {
      await sleep(100);
      fs.writeFileSync(path.join(d, 'new.log.gz'), zlib.gzipSync('n1\nn2\n'));
      await waitFor(() => run.records.length === 2, 'two records');
      await sleep(200);
      assert.deepEqual(
        run.records.map((r) => [r.text, r.offset]),
        [
          ['n1', 3],
          ['n2', 6],
        ],
      );
    } finally {
      await run.stop();
    }
  });

  it('reports a missing plain path once and reads it when it appears', async () => {
    const d = dir();
    const p = path.join(d, 'later.log');
    const { src, t } = source({ paths: [p] });
    const run = start(src);
    try {
      await waitFor(() => t.notices.length === 1, 'a notice');
      await sleep(150);
      assert.deepEqual(t.notices, [
        `file source f: cannot read ${p}: ENOENT (no such file); waiting for it to appear`,
      ]);
      assert.deepEqual(src.describe(), [`file ${p}: (no file yet)`]);
      fs.writeFileSync(p, 'hello\n');
      await waitFor(() => run.records.length === 1, 'one record');
      assert.deepEqual(run.texts(), ['hello']);
    } finally {
      await run.stop();
    }
  });
});

describe('file source: rotation and truncation', () => {
  it('rename rotation: every line exactly once, in order', async () => {
    const d = dir();
    const p = path.join(d, 'auth.log');
    fs.writeFileSync(p, 'a\nb\n');
    const { src, t } = source({ paths: [p], start_at: 'beginning' });
    const run = start(src);
    try {
      await waitFor(() => run.records.length === 2, 'two records');
      fs.appendFileSync(p, 'c\n');
      fs.renameSync(p, `${p}.1`);
      fs.appendFileSync(`${p}.1`, 'd\n'); // the writer had it open still
      fs.writeFileSync(p, 'e\n');
      fs.appendFileSync(p, 'f\n');
      await waitFor(() => run.records.length === 6, 'six records');
      await sleep(150);
      assert.deepEqual(run.texts(), ['a', 'b', 'c', 'd', 'e', 'f']);
      assert.deepEqual(
        run.records.map((r) => r.offset),
        [2, 4, 6, 8, 2, 4],
      );
      assert.equal(t.counters.get(scope, 'rotations'), 1);
      const newIno = fs.statSync(p).ino;
      assert.equal(parseFileCheckpoint(run.records[5]!.checkpoint!.value)!.ino, newIno);
    } finally {
      await run.stop();
    }
  });

  it('a rotated name that also matches the glob is not read twice', async () => {
    const d = dir();
    const p = path.join(d, 'app.log');
    fs.writeFileSync(p, 'a\n');
    const { src } = source({ paths: [path.join(d, 'app.log*')], start_at: 'beginning' });
    const run = start(src);
    try {
      await waitFor(() => run.records.length === 1, 'one record');
      fs.renameSync(p, `${p}.1`);
      fs.writeFileSync(p, 'b\n');
      await waitFor(() => run.records.length === 2, 'two records');
      await sleep(200);
      assert.deepEqual(run.texts(), ['a', 'b']);
    } finally {
      await run.stop();
    }
  });

  it('copytruncate: the file shrinks under us; new lines are read from 0', async () => {
    const d = dir();
    const p = path.join(d, 'app.log');
    fs.writeFileSync(p, 'line1\nline2\n');
    const { src, t } = source({ paths: [p], start_at: 'beginning' });
    const run = start(src);
    try {
      await waitFor(() => run.records.length === 2, 'two records');
      fs.copyFileSync(p, `${p}.1`);
      fs.truncateSync(p, 0);
      fs.appendFileSync(p, 'l3\n');
      await waitFor(() => run.records.length === 3, 'three records');
      assert.deepEqual(run.texts(), ['line1', 'line2', 'l3']);
      assert.equal(run.records[2]!.offset, 3);
      assert.equal(t.counters.get(scope, 'truncations'), 1);
    } finally {
      await run.stop();
    }
  });

  it('truncation to zero, then growth past the old size', async () => {
    const d = dir();
    const p = path.join(d, 'app.log');
    fs.writeFileSync(p, 'x\n');
    const { src, t } = source({ paths: [p], start_at: 'beginning' });
    const run = start(src);
    try {
      await waitFor(() => run.records.length === 1, 'one record');
      fs.truncateSync(p, 0);
      await waitFor(() => t.counters.get(scope, 'truncations') === 1, 'a truncation');
      fs.appendFileSync(p, 'longer line\n');
      await waitFor(() => run.records.length === 2, 'two records');
      assert.deepEqual(run.texts(), ['x', 'longer line']);
    } finally {
      await run.stop();
    }
  });

  it('deletion: the rest of the file is read, then it is let go', async () => {
    const d = dir();
    const p = path.join(d, 'gone.log');
    fs.writeFileSync(p, 'a\n');
    const { src, t } = source({ paths: [p], start_at: 'beginning' });
    const run = start(src);
    try {
      await waitFor(() => run.records.length === 1, 'one record');
      fs.appendFileSync(p, 'b\nunterminated');
      fs.unlinkSync(p);
      await waitFor(() => run.records.length === 3, 'three records');
      assert.deepEqual(run.texts(), ['a', 'b', 'unterminated']);
      fs.writeFileSync(p, 'again\n');
      await waitFor(() => run.records.length === 4, 'four records');
      assert.equal(run.records[3]!.text, 'again');
      assert.equal(t.counters.get(scope, 'files'), 2);
    } finally {
      await run.stop();
    }
  });
});

describe('file source: checkpoints across restarts', () => {
  it('resumes with no loss and no duplicates, including rotation and truncation while down', async () => {
    const d = dir();
    const p = path.join(d, 'auth.log');
    fs.writeFileSync(p, '1\n2\n3\n');
    const seen: RawRecord[] = [];

    const runOnce = async (
      checkpoints: Map<string, string>,
      expect: number,
      maxRecordSize?: number,
    ): Promise<string[]> => {
      const { src } = source({ paths: [p] }, checkpoints, maxRecordSize);
      const run = start(src);
      try {
        await waitFor(() => run.records.length === expect, `${expect} records`);
        await sleep(150);
      } finally {
        await run.stop();
      }
      seen.push(...run.records);
      return run.texts();
    };

    // A first run reads the file whole.
    fs.writeFileSync(p, '1\n2\n3\n');
    const first = source({ paths: [p], start_at: 'beginning' });
    const run1 = start(first.src);
    await waitFor(() => run1.records.length === 3, 'three records');
    fs.appendFileSync(p, '4\npartial');
    await waitFor(() => run1.records.length === 4, 'four records');
    await sleep(120);
    await run1.stop();
    seen.push(...run1.records);
    assert.deepEqual(run1.texts(), ['1', '2', '3', '4']);

    // Appended while down; the partial line is completed.
    fs.appendFileSync(p, ' done\n5\n');
    assert.deepEqual(await runOnce(committed(seen), 2), ['partial done', '5']);

    // Rotated while down: the old file is drained from the checkpoint, then the new one read.
    fs.appendFileSync(p, '6\n');
    fs.renameSync(p, `${p}.1`);
    fs.writeFileSync(p, '7\n8\n');
    assert.deepEqual(await runOnce(committed(seen), 3), ['6', '7', '8']);

    // Truncated while down (copytruncate): read from 0.
    fs.writeFileSync(`${p}.2`, fs.readFileSync(p));
    fs.truncateSync(p, 0);
    fs.appendFileSync(p, '9\n');
    assert.deepEqual(await runOnce(committed(seen), 1), ['9']);

    // Nothing new: nothing emitted.
    const { src } = source({ paths: [p] }, committed(seen));
    const idle = start(src);
    await sleep(200);
    await idle.stop();
    assert.equal(idle.records.length, 0);
  });

  it('after resuming from a checkpoint, a rotation while running is read once', async () => {
    const d = dir();
    const p = path.join(d, 'auth.log');
    fs.writeFileSync(p, 'a\nb\n');
    const st = fs.statSync(p);
    const cp = new Map([[`file:${p}`, JSON.stringify({ dev: st.dev, ino: st.ino, offset: 2 })]]);
    const { src, t } = source({ paths: [p] }, cp);
    const run = start(src);
    try {
      await waitFor(() => run.records.length === 1, 'one record');
      fs.appendFileSync(p, 'c\n');
      fs.renameSync(p, `${p}.1`);
      fs.writeFileSync(p, 'd\n');
      await waitFor(() => run.records.length === 3, 'three records');
      await sleep(200);
      assert.deepEqual(run.texts(), ['b', 'c', 'd']);
      assert.equal(t.counters.get(scope, 'rotations'), 1);
    } finally {
      await run.stop();
    }
  });

  it('ignores an unreadable checkpoint value with a notice', async () => {
    const d = dir();
    const p = path.join(d, 'x.log');
    fs.writeFileSync(p, 'old\n');
    const { src, t } = source({ paths: [p] }, new Map([[`file:${p}`, 'garbage']]));
    const run = start(src);
    try {
      await waitFor(() => t.counters.get(scope, 'files') === 1, 'the file');
      assert.deepEqual(t.notices, [
        `file source f: ignoring unreadable checkpoint for ${p}: garbage`,
      ]);
    } finally {
      await run.stop();
    }
  });
});

describe('file source: damaged lines', () => {
  it('cuts an oversized line and counts it', async () => {
    const d = dir();
    const p = path.join(d, 'big.log');
    fs.writeFileSync(p, `${'x'.repeat(25)}\nok\n`);
    const { src, t } = source({ paths: [p], start_at: 'beginning' }, undefined, 10);
    const run = start(src);
    try {
      await waitFor(() => run.records.length === 2, 'two records');
      // Also a long line arriving in pieces while followed.
      fs.appendFileSync(p, 'y'.repeat(6));
      await sleep(100);
      fs.appendFileSync(p, 'y'.repeat(6));
      await sleep(100);
      fs.appendFileSync(p, 'y\nend\n');
      await waitFor(() => run.records.length === 4, 'four records');
      assert.deepEqual(
        run.records.map((r) => [r.text, r.offset, r.error]),
        [
          ['x'.repeat(10), 26, 'record exceeds 10 bytes; cut'],
          ['ok', 29, undefined],
          ['y'.repeat(10), 43, 'record exceeds 10 bytes; cut'],
          ['end', 47, undefined],
        ],
      );
      assert.equal(t.counters.get(scope, 'oversized'), 2);
    } finally {
      await run.stop();
    }
  });

  it('replaces invalid UTF-8 and counts it', async () => {
    const d = dir();
    const p = path.join(d, 'bin.log');
    fs.writeFileSync(
      p,
      Buffer.concat([Buffer.from('a'), Buffer.from([0xc3, 0x28]), Buffer.from('b\nfine ü\n')]),
    );
    const { src, t } = source({ paths: [p], start_at: 'beginning' });
    const run = start(src);
    try {
      await waitFor(() => run.records.length === 2, 'two records');
      assert.deepEqual(run.texts(), ['a\uFFFD(b', 'fine ü']);
      assert.equal(t.counters.get(scope, 'invalid_utf8'), 1);
    } finally {
      await run.stop();
    }
  });
});

describe('scanFiles', () => {
  it('reads plain and .gz files once, with offsets and progress', async () => {
    const d = dir();
    const plain = path.join(d, 'a.log');
    const gz = path.join(d, 'b.log.gz');
    fs.writeFileSync(plain, 'p1\r\np2\nlast');
    const gzText = Array.from({ length: 5000 }, (_, i) => `gz line ${i}`).join('\n') + '\n';
    fs.writeFileSync(gz, zlib.gzipSync(gzText));
    const counters = new Counters();
    const progress: Array<[number, number]> = [];
    const records: RawRecord[] = [];
    const summary = await scanFiles(
      [plain, gz],
      {
        sourceId: 'scan',
        format: 'syslog',
        maxRecordSize: 1000,
        counters,
        onProgress: (done, total) => progress.push([done, total]),
      },
      async (batch) => {
        assert.ok(batch.length <= 1000);
        records.push(...batch);
      },
    );
    assert.equal(records.length, 5003);
    assert.deepEqual(
      records.slice(0, 4).map((r) => [r.text, r.path, r.offset, r.format, r.checkpoint]),
      [
        ['p1', plain, 4, 'syslog', undefined],
        ['p2', plain, 7, 'syslog', undefined],
        ['last', plain, 11, 'syslog', undefined],
        ['gz line 0', gz, 10, 'syslog', undefined],
      ],
    );
    assert.equal(records.at(-1)!.text, 'gz line 4999');
    assert.equal(records.at(-1)!.offset, Buffer.byteLength(gzText));
    const total = fs.statSync(plain).size + fs.statSync(gz).size;
    assert.deepEqual(progress.at(-1), [total, total]);
    assert.deepEqual(summary, { files: 2, records: 5003, bytes: 11 + Buffer.byteLength(gzText) });
    assert.equal(counters.get('source:scan', 'records'), 5003);
  });

  it('fails before reading anything when a file is missing', async () => {
    const d = dir();
    const p = path.join(d, 'a.log');
    fs.writeFileSync(p, 'x\n');
    const missing = path.join(d, 'nope.log');
    let emitted = 0;
    await assert.rejects(
      scanFiles([p, missing], { sourceId: 's', maxRecordSize: 100 }, async (b) => {
        emitted += b.length;
      }),
      (err: unknown) => {
        assert.ok(err instanceof VigilError);
        assert.equal(err.code, 'VIGIL_ERR_INPUT_READ');
        assert.equal(err.message, `cannot read ${missing}: ENOENT (no such file)`);
        return true;
      },
    );
    assert.equal(emitted, 0);
  });
});

describe('globBase', () => {
  it('is the directory part before the first glob character', () => {
    assert.equal(globBase('/var/log/*.log'), '/var/log');
    assert.equal(globBase('/var/log/**/x.log'), '/var/log');
    assert.equal(globBase('/var/log/auth.log'), '/var/log');
    assert.equal(globBase('/*.log'), '/');
  });
});
