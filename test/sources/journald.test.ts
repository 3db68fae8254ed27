import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { journaldSourceSchema, type JournaldSourceConfig } from '../../src/config/schema.js';
import {
  JournaldSource,
  findExecutable,
  journalctlArgs,
  journaldCanRun,
  parseJournalLine,
} from '../../src/sources/journald.js';
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

function config(over: Record<string, unknown> = {}): JournaldSourceConfig {
  return journaldSourceSchema.parse({ type: 'journald', ...over });
}

const opts = { sourceId: 'j', checkpointKey: 'journald:j', maxRecordSize: 64 };

// Lines as `journalctl -o json` prints them (systemd 252).
const SSHD =
  '{"__CURSOR":"s=2713;i=1;b=0123;m=3e8;t=60a24181e4000;x=824d","__REALTIME_TIMESTAMP":"1700000000123456","__MONOTONIC_TIMESTAMP":"1000","_BOOT_ID":"0123","PRIORITY":"5","SYSLOG_FACILITY":"10","SYSLOG_IDENTIFIER":"sshd","_PID":"4242","_COMM":"sshd","_HOSTNAME":"web1","MESSAGE":"Accepted password for alice from 10.0.0.1 port 2222 ssh2"}';
const BYTES =
  '{"__CURSOR":"s=2713;i=2","__REALTIME_TIMESTAMP":"1700000001000000","_COMM":"cron","_PID":"99","PRIORITY":"6","MESSAGE":[104,105,255,10,33]}';

describe('parseJournalLine', () => {
  it('pre-parses the header fields and carries the cursor', () => {
    const received = new Date(0);
    const { record, cursor } = parseJournalLine(SSHD, { ...opts, maxRecordSize: 1000, received });
    assert.equal(cursor, 's=2713;i=1;b=0123;m=3e8;t=60a24181e4000;x=824d');
    assert.deepEqual(record, {
      source: 'j',
      text: 'Accepted password for alice from 10.0.0.1 port 2222 ssh2',
      received,
      format: 'syslog',
      fields: {
        message: 'Accepted password for alice from 10.0.0.1 port 2222 ssh2',
        timestamp: new Date(1700000000123),
        hostname: 'web1',
        program: 'sshd',
        pid: 4242,
        facility: 10,
        severity: 5,
      },
      checkpoint: { key: 'journald:j', value: 's=2713;i=1;b=0123;m=3e8;t=60a24181e4000;x=824d' },
    });
  });

  it('decodes a MESSAGE given as bytes; _COMM when there is no SYSLOG_IDENTIFIER', () => {
    const { record } = parseJournalLine(BYTES, opts);
    assert.equal(record.text, 'hi\uFFFD\n!');
    assert.equal(record.fields?.program, 'cron');
    assert.equal(record.fields?.severity, 6);
    assert.equal(record.fields?.facility, undefined);
  });

  it('takes the first of a repeated field and cuts a long message', () => {
    const line = JSON.stringify({ __CURSOR: 'c', MESSAGE: ['x'.repeat(100), 'second'] });
    const { record } = parseJournalLine(line, opts);
    assert.equal(record.text, 'x'.repeat(64));
    assert.equal(record.error, 'record exceeds 64 bytes; cut');
  });

  it('turns a line that is not JSON into a record with an error', () => {
    const { record, cursor } = parseJournalLine('Failed to open', opts);
    assert.equal(cursor, undefined);
    assert.equal(record.text, 'Failed to open');
    assert.equal(record.error, 'journalctl output is not a JSON object');
  });
});

describe('journalctl arguments and canRun', () => {
  it('builds the command line from the config and cursor', () => {
    assert.deepEqual(journalctlArgs(config(), undefined), [
      '-o',
      'json',
      '-f',
      '--all',
      '--no-pager',
      '-n',
      '0',
    ]);
    assert.deepEqual(
      journalctlArgs(
        config({ start_at: 'beginning', units: ['ssh.service', 'cron'], directory: '/j' }),
        undefined,
      ),
      [
        '-o',
        'json',
        '-f',
        '--all',
        '--no-pager',
        '--no-tail',
        '-D',
        '/j',
        '-u',
        'ssh.service',
        '-u',
        'cron',
      ],
    );
    assert.deepEqual(journalctlArgs(config(), 's=1;i=2'), [
      '-o',
      'json',
      '-f',
      '--all',
      '--no-pager',
      '--after-cursor=s=1;i=2',
    ]);
  });

  it('says when journalctl is missing', () => {
    assert.deepEqual(journaldCanRun({ journalctl: 'vigil-no-such-journalctl' }), {
      ok: false,
      why: 'journalctl not found at vigil-no-such-journalctl',
    });
    assert.deepEqual(journaldCanRun({ journalctl: '/nonexistent/journalctl' }), {
      ok: false,
      why: 'journalctl not found at /nonexistent/journalctl',
    });
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      assert.deepEqual(journaldCanRun({ journalctl: 'journalctl' }), {
        ok: false,
        why: 'journalctl is not installed',
      });
    } finally {
      process.env.PATH = saved;
    }
  });
});

describe('journald source with a stand-in journalctl that crashes', () => {
  it('reports the exit, restarts with backoff after the last cursor, then gives up', async () => {
    const d = dir();
    const script = path.join(d, 'fake-journalctl');
    const argsLog = path.join(d, 'args');
    fs.writeFileSync(
      script,
      `#!/bin/sh\necho "$*" >> ${argsLog}\necho '${SSHD}'\necho 'boom' >&2\nexit 3\n`,
      { mode: 0o755 },
    );
    const t = testContext();
    const src = new JournaldSource('j', config({ journalctl: script }), t.ctx, {
      restartDelays: [10, 20],
    });
    const run = start(src);
    await run.done;
    assert.equal(run.records.length, 3);
    assert.deepEqual(t.notices, [
      'journald source j: journalctl exited with code 3: boom; restarting in 10 ms (1/2)',
      'journald source j: journalctl exited with code 3: boom; restarting in 20 ms (2/2)',
      'journald source j: journalctl exited with code 3: boom; giving up after 2 restarts',
    ]);
    const cursor = 's=2713;i=1;b=0123;m=3e8;t=60a24181e4000;x=824d';
    assert.deepEqual(fs.readFileSync(argsLog, 'utf8').trim().split('\n'), [
      '-o json -f --all --no-pager -n 0',
      `-o json -f --all --no-pager --after-cursor=${cursor}`,
      `-o json -f --all --no-pager --after-cursor=${cursor}`,
    ]);
    assert.equal(t.counters.get('source:j', 'restarts'), 2);
    assert.equal(t.counters.get('source:j', 'records'), 3);
  });

  it('kills journalctl when the signal aborts', async () => {
    const d = dir();
    const script = path.join(d, 'fake-journalctl');
    fs.writeFileSync(script, `#!/bin/sh\necho '${SSHD}'\nexec sleep 60\n`, { mode: 0o755 });
    const t = testContext();
    const run = start(new JournaldSource('j', config({ journalctl: script }), t.ctx));
    await waitFor(() => run.records.length === 1, 'one record');
    const t0 = Date.now();
    await run.stop();
    assert.ok(Date.now() - t0 < 2000);
    assert.deepEqual(t.notices, []);
  });
});

/** Export-format entries → a .journal file via systemd-journal-remote. */
function exportEntry(fields: Array<[string, string | Buffer]>): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of fields) {
    if (typeof v === 'string') {
      parts.push(Buffer.from(`${k}=${v}\n`));
    } else {
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(v.length));
      parts.push(Buffer.from(`${k}\n`), len, v, Buffer.from('\n'));
    }
  }
  parts.push(Buffer.from('\n'));
  return Buffer.concat(parts);
}

const journalRemote = [
  '/lib/systemd/systemd-journal-remote',
  '/usr/lib/systemd/systemd-journal-remote',
].find((p) => fs.existsSync(p));
const journalctl = findExecutable('journalctl');
const skipReal =
  !journalctl || !journalRemote
    ? 'needs journalctl and systemd-journal-remote (apt-get install systemd-journal-remote)'
    : false;

describe('journald source against a real journal file', { skip: skipReal }, () => {
  it('reads entries with journalctl -D, resumes after the cursor, start_at end skips old ones', async () => {
    const d = dir();
    const jdir = path.join(d, 'journal');
    fs.mkdirSync(jdir);
    const common: Array<[string, string]> = [
      ['_BOOT_ID', '0123456789abcdef0123456789abcdef'],
      ['_HOSTNAME', 'web1'],
    ];
    const input = Buffer.concat([
      exportEntry([
        ['__REALTIME_TIMESTAMP', '1700000000000000'],
        ['__MONOTONIC_TIMESTAMP', '1000'],
        ...common,
        ['SYSLOG_IDENTIFIER', 'sshd'],
        ['_PID', '4242'],
        ['PRIORITY', '5'],
        ['SYSLOG_FACILITY', '10'],
        ['MESSAGE', 'Accepted password for alice from 10.0.0.1 port 2222 ssh2'],
      ]),
      exportEntry([
        ['__REALTIME_TIMESTAMP', '1700000001000000'],
        ['__MONOTONIC_TIMESTAMP', '2000'],
        ...common,
        ['_COMM', 'cron'],
        ['_PID', '99'],
        ['PRIORITY', '6'],
        ['MESSAGE', Buffer.from([0x62, 0x69, 0x6e, 0xff, 0x0a, 0x21])],
      ]),
    ]);
    execFileSync(journalRemote!, ['-o', path.join(jdir, 'test.journal'), '-'], {
      input,
      stdio: ['pipe', 'ignore', 'ignore'],
    });

    const t = testContext();
    const run = start(
      new JournaldSource('j', config({ directory: jdir, start_at: 'beginning' }), t.ctx),
    );
    try {
      await waitFor(() => run.records.length === 2, 'two records');
    } finally {
      await run.stop();
    }
    const [a, b] = run.records;
    assert.equal(a!.text, 'Accepted password for alice from 10.0.0.1 port 2222 ssh2');
    assert.deepEqual(a!.fields, {
      message: 'Accepted password for alice from 10.0.0.1 port 2222 ssh2',
      timestamp: new Date(1700000000000),
      hostname: 'web1',
      program: 'sshd',
      pid: 4242,
      facility: 10,
      severity: 5,
    });
    assert.equal(a!.checkpoint?.key, 'journald:j');
    assert.match(a!.checkpoint!.value, /^s=[0-9a-f]+;i=1;/);
    assert.equal(b!.text, 'bin\uFFFD\n!');
    assert.equal(b!.fields?.program, 'cron');

    // Resume after the first entry's cursor: only the second comes.
    const t2 = testContext(committed([a!]));
    const run2 = start(new JournaldSource('j', config({ directory: jdir }), t2.ctx));
    try {
      await waitFor(() => run2.records.length === 1, 'one record');
      await sleep(200);
    } finally {
      await run2.stop();
    }
    assert.deepEqual(run2.texts(), ['bin\uFFFD\n!']);

    // No cursor, start_at end: nothing old.
    const run3 = start(new JournaldSource('j', config({ directory: jdir }), testContext().ctx));
    await sleep(300);
    await run3.stop();
    assert.equal(run3.records.length, 0);
  });
});
