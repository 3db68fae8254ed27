import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { configSchema, type ProcessesConfig } from '../../src/config/schema.js';
import { Counters } from '../../src/event/counters.js';
import { eventIssues } from '../../src/event/schema.js';
import type { Event } from '../../src/event/types.js';
import { parsePasswd } from '../../src/sources/passwd.js';
import { parsePidStat, parseStatusUids } from '../../src/sources/proc-table.js';
import { ProcessMonitor } from '../../src/sources/processes.js';
import { tmpDir } from '../helpers/tmp.js';

const BTIME = 1_700_000_000;
const PF_KTHREAD = 0x00200000;

interface FakeProc {
  pid: number;
  ppid: number;
  comm: string;
  uid?: number;
  euid?: number;
  /** Clock ticks after boot. */
  start: number;
  cpu?: number;
  flags?: number;
  argv?: string[];
  exe?: string;
}

/** A crafted procfs tree that tests change between diffs. */
class FakeProcfs {
  constructor(readonly root: string) {
    fs.mkdirSync(root, { recursive: true });
    fs.writeFileSync(path.join(root, 'stat'), `cpu  1 0 1 1 0 0 0 0 0 0\nbtime ${BTIME}\n`);
  }

  put(p: FakeProc): void {
    const dir = path.join(this.root, String(p.pid));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir);
    const cpu = p.cpu ?? 0;
    fs.writeFileSync(
      path.join(dir, 'stat'),
      `${p.pid} (${p.comm}) S ${p.ppid} ${p.pid} ${p.pid} 0 -1 ${p.flags ?? 4194560} 10 0 0 0 ${cpu} 0 0 0 20 0 1 0 ${p.start} 1000 100 18446744073709551615\n`,
    );
    if (p.uid !== undefined) {
      const e = p.euid ?? p.uid;
      fs.writeFileSync(
        path.join(dir, 'status'),
        `Name:\t${p.comm}\nState:\tS (sleeping)\nPid:\t${p.pid}\nPPid:\t${p.ppid}\nUid:\t${p.uid}\t${e}\t${e}\t${e}\nGid:\t0\t0\t0\t0\n`,
      );
    }
    fs.writeFileSync(path.join(dir, 'cmdline'), p.argv ? p.argv.join('\0') + '\0' : '');
    if (p.exe) fs.symlinkSync(p.exe, path.join(dir, 'exe'));
  }

  remove(pid: number): void {
    fs.rmSync(path.join(this.root, String(pid)), { recursive: true, force: true });
  }
}

function setup(t: { after: (fn: () => void) => void }, over: Record<string, unknown> = {}) {
  const dir = tmpDir(t);
  const proc = new FakeProcfs(path.join(dir, 'proc'));
  const passwd = path.join(dir, 'passwd');
  fs.writeFileSync(
    passwd,
    'root:x:0:0:root:/root:/bin/bash\n# comment\nbroken line\nalice:x:1000:1000::/home/alice:/bin/bash\nalias:x:1000:1000::/:/bin/sh\n',
  );
  const config: ProcessesConfig = configSchema.parse({
    processes: { proc_root: proc.root, passwd, ...over },
  }).processes;
  const counters = new Counters();
  const notices: string[] = [];
  const m = new ProcessMonitor({
    id: 'processes',
    config,
    hostName: 'web1',
    counters,
    notice: (s) => notices.push(s),
  });
  return { proc, m, counters, notices, passwd };
}

const INIT: FakeProc = {
  pid: 1,
  ppid: 0,
  comm: 'systemd',
  uid: 0,
  start: 10,
  argv: ['/sbin/init'],
  exe: '/usr/lib/systemd/systemd',
};
const SSHD: FakeProc = {
  pid: 200,
  ppid: 1,
  comm: 'sshd',
  uid: 0,
  start: 500,
  argv: ['sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups'],
  exe: '/usr/sbin/sshd',
};
const ALICE_SH: FakeProc = {
  pid: 300,
  ppid: 200,
  comm: 'bash',
  uid: 1000,
  start: 9000,
  cpu: 150,
  argv: ['-bash'],
  exe: '/usr/bin/bash',
};

function summary(events: Event[]): string[] {
  return events.map(
    (e) => `${e.event.action} ${e.process?.pid ?? ''} ${e.process?.name ?? e.process?.executable}`,
  );
}

describe('process monitor on crafted /proc trees', () => {
  test('the first table is silent; starts and exits after it are events', (t) => {
    const { proc, m, counters } = setup(t);
    for (const p of [INIT, SSHD, ALICE_SH]) proc.put(p);
    m.start();
    assert.deepEqual(m.diff(Date.parse('2026-03-15T10:00:00Z')), []);

    proc.remove(300);
    proc.put({
      pid: 400,
      ppid: 200,
      comm: 'bash',
      uid: 0,
      start: 12_345,
      cpu: 7,
      argv: ['-bash'],
      exe: '/usr/bin/bash',
    });
    const events = m.diff(Date.parse('2026-03-15T10:00:05Z'));
    assert.deepEqual(events, [
      {
        '@timestamp': '2026-03-15T10:00:05.000Z',
        message: 'process ended: -bash (pid 300, user alice)',
        event: {
          kind: 'event',
          category: ['process'],
          type: ['end'],
          action: 'process_ended',
          dataset: 'vigil.processes',
          module: 'system',
        },
        host: { name: 'web1' },
        process: {
          pid: 300,
          ppid: 200,
          name: 'bash',
          executable: '/usr/bin/bash',
          command_line: '-bash',
          start: new Date((BTIME + 90) * 1000).toISOString(),
          parent: { pid: 200, name: 'sshd', executable: '/usr/sbin/sshd' },
          cpu: { time: 1.5 },
          end: '2026-03-15T10:00:05.000Z',
        },
        vigil: { source: 'processes' },
        user: { id: '1000', name: 'alice', effective: { id: '1000', name: 'alice' } },
      },
      {
        // Event time of a start is the kernel's start time.
        '@timestamp': new Date((BTIME + 123.45) * 1000).toISOString(),
        message: 'process started: -bash (pid 400, user root)',
        event: {
          kind: 'event',
          category: ['process'],
          type: ['start'],
          action: 'process_started',
          dataset: 'vigil.processes',
          module: 'system',
        },
        host: { name: 'web1' },
        process: {
          pid: 400,
          ppid: 200,
          name: 'bash',
          executable: '/usr/bin/bash',
          command_line: '-bash',
          start: new Date((BTIME + 123.45) * 1000).toISOString(),
          parent: { pid: 200, name: 'sshd', executable: '/usr/sbin/sshd' },
          cpu: { time: 0.07 },
        },
        vigil: { source: 'processes' },
        user: { id: '0', name: 'root', effective: { id: '0', name: 'root' } },
      },
    ]);
    for (const e of events) assert.deepEqual(eventIssues(e), []);
    assert.deepEqual(m.diff(), [], 'nothing changed');
    assert.equal(counters.get('monitor:processes', 'process_started'), 1);
    assert.equal(counters.get('monitor:processes', 'process_ended'), 1);
    assert.equal(counters.get('monitor:processes', 'processes'), 3);
  });

  test('a reused pid and an exec are an end and a start; cpu and reparenting are not', (t) => {
    const { proc, m } = setup(t);
    for (const p of [INIT, SSHD, ALICE_SH]) proc.put(p);
    m.start();
    proc.put({ ...ALICE_SH, start: 20_000, argv: ['bash', '-c', 'make'] });
    assert.deepEqual(summary(m.diff()), ['process_ended 300 bash', 'process_started 300 bash']);
    proc.put({ ...ALICE_SH, start: 20_000, comm: 'make', argv: ['make'], exe: '/usr/bin/make' });
    const exec = m.diff();
    assert.deepEqual(summary(exec), ['process_ended 300 bash', 'process_started 300 make']);
    assert.equal(exec[1]!.process!.executable, '/usr/bin/make');
    proc.put({ ...ALICE_SH, start: 20_000, comm: 'make', ppid: 1, cpu: 999_999, argv: ['make'] });
    assert.deepEqual(m.diff(), []);
  });

  test('runaway: reported once when CPU time passes the limit', (t) => {
    const { proc, m, counters } = setup(t, { runaway_cpu_time: '1h' });
    proc.put(INIT);
    proc.put({ ...SSHD, cpu: 359_900 });
    m.start();
    assert.deepEqual(m.diff(), []);
    proc.put({ ...SSHD, cpu: 360_001 });
    const events = m.diff(Date.parse('2026-03-15T10:00:00Z'));
    assert.equal(events.length, 1);
    assert.equal(events[0]!.event.action, 'process_cpu_time_exceeded');
    assert.deepEqual(events[0]!.event.type, ['info']);
    assert.equal(events[0]!.process!.cpu!.time, 3600.01);
    assert.equal(
      events[0]!.message,
      'process used 3600s of CPU time: sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups (pid 200, user root)',
    );
    proc.put({ ...SSHD, cpu: 720_000 });
    assert.deepEqual(m.diff(), [], 'once per process');
    assert.equal(counters.get('monitor:processes', 'process_cpu_time_exceeded'), 1);
  });

  test('a process already past the limit at start is reported at the first diff', (t) => {
    const { proc, m } = setup(t, { runaway_cpu_time: '1d' });
    proc.put({ ...SSHD, cpu: 86_400 * 100 + 1 });
    m.start();
    assert.deepEqual(summary(m.diff()), ['process_cpu_time_exceeded 200 sshd']);
  });

  test('watched daemons: missing once when the last one goes, again after it came back', (t) => {
    const { proc, m } = setup(t, { watch: ['sshd', '/usr/sbin/cron', 'a-very-long-daemon-name'] });
    for (const p of [INIT, SSHD, { ...ALICE_SH, comm: 'sshd', pid: 201, ppid: 200 }]) proc.put(p);
    proc.put({
      pid: 90,
      ppid: 1,
      comm: 'a-very-long-dae',
      uid: 0,
      start: 20,
      exe: '/opt/x/bin/run',
    });
    m.start();
    const first = m.diff(Date.parse('2026-03-15T10:00:00Z'));
    assert.deepEqual(first, [
      {
        '@timestamp': '2026-03-15T10:00:00.000Z',
        message: 'watched process /usr/sbin/cron is not running',
        event: {
          kind: 'event',
          category: ['process'],
          type: ['info'],
          action: 'watched_process_missing',
          dataset: 'vigil.processes',
          module: 'system',
        },
        host: { name: 'web1' },
        process: { executable: '/usr/sbin/cron' },
        vigil: { source: 'processes' },
      },
    ]);
    assert.deepEqual(eventIssues(first[0]), []);
    assert.deepEqual(m.diff(), [], 'not repeated while still missing');
    proc.remove(200);
    assert.deepEqual(summary(m.diff()), ['process_ended 200 sshd'], 'one sshd is left');
    proc.remove(201);
    assert.deepEqual(summary(m.diff()), [
      'process_ended 201 sshd',
      'watched_process_missing  sshd',
    ]);
    proc.put({ ...SSHD, start: 30_000 });
    assert.deepEqual(summary(m.diff()), ['process_started 200 sshd']);
    proc.remove(200);
    assert.deepEqual(summary(m.diff()), [
      'process_ended 200 sshd',
      'watched_process_missing  sshd',
    ]);
  });

  test('garbage and half-readable processes: counted or left out, never a crash', (t) => {
    const { proc, m, counters, passwd } = setup(t);
    proc.put(INIT);
    m.start();
    // Kernel threads are not processes anyone starts.
    proc.put({ pid: 2, ppid: 0, comm: 'kthreadd', uid: 0, start: 11, flags: PF_KTHREAD });
    // Unreadable status, cmdline and exe: the event says what is known.
    proc.put({ pid: 500, ppid: 77, comm: 'ghost', start: 600 });
    fs.rmSync(path.join(proc.root, '500', 'cmdline'));
    // A truncated stat, a pid dir with no stat, a stat of another pid, a
    // comm with spaces and parentheses.
    fs.mkdirSync(path.join(proc.root, '600'));
    fs.writeFileSync(path.join(proc.root, '600', 'stat'), '600 (trunc) S 1 600');
    fs.mkdirSync(path.join(proc.root, '601'));
    fs.mkdirSync(path.join(proc.root, '602'));
    fs.writeFileSync(
      path.join(proc.root, '602', 'stat'),
      fs.readFileSync(path.join(proc.root, '1', 'stat')),
    );
    proc.put({
      pid: 700,
      ppid: 1,
      comm: 'a (b) c',
      uid: 4242,
      start: 700,
      argv: ['x'.repeat(10_000)],
    });
    fs.mkdirSync(path.join(proc.root, 'self-ish'));
    fs.rmSync(passwd);
    const events = m.diff(Date.parse('2026-03-15T10:00:00Z'));
    assert.deepEqual(summary(events), ['process_started 500 ghost', 'process_started 700 a (b) c']);
    assert.deepEqual(events[0]!.process, {
      pid: 500,
      ppid: 77,
      name: 'ghost',
      start: new Date((BTIME + 6) * 1000).toISOString(),
      parent: { pid: 77 },
      cpu: { time: 0 },
    });
    assert.equal(events[0]!.user, undefined);
    assert.equal(events[0]!.message, 'process started: ghost (pid 500, user unknown)');
    assert.deepEqual(events[1]!.user, { id: '4242', effective: { id: '4242' } });
    assert.equal(events[1]!.process!.command_line!.length, 4096);
    assert.equal(counters.get('monitor:processes', 'bad_stat'), 2);
    for (const e of events) assert.deepEqual(eventIssues(e), []);
  });

  test('max_processes bounds the table; the rest is counted', (t) => {
    const { proc, m, counters } = setup(t, { max_processes: 2 });
    for (const p of [INIT, SSHD, ALICE_SH]) proc.put(p);
    m.start();
    assert.equal(counters.get('monitor:processes', 'untracked'), 1);
  });

  test('a proc root that cannot be listed stops the monitor with the reason', (t) => {
    const dir = tmpDir(t);
    const m = new ProcessMonitor({
      id: 'processes',
      config: configSchema.parse({ processes: { proc_root: path.join(dir, 'none') } }).processes,
      hostName: 'h',
      counters: new Counters(),
      notice: () => undefined,
    });
    assert.throws(() => m.start(), /cannot list .*none: ENOENT/);
  });

  test('run: returns promptly on abort; submits only changes', async (t) => {
    const { proc, m } = setup(t, { interval: '20ms' });
    proc.put(INIT);
    const ac = new AbortController();
    const batches: Event[][] = [];
    const running = m.run(ac.signal, async (events) => {
      batches.push(events);
      ac.abort();
    });
    await new Promise((r) => setTimeout(r, 60));
    proc.put(SSHD);
    await running;
    assert.deepEqual(batches.map(summary), [['process_started 200 sshd']]);
  });
});

describe('process monitor on this machine', () => {
  test('a real child process: its start and its exit, with pid, user, executable and arguments', async (t) => {
    const m = new ProcessMonitor({
      id: 'processes',
      config: configSchema.parse({}).processes,
      hostName: 'h',
      counters: new Counters(),
      notice: () => undefined,
    });
    m.start();
    const child = spawn('sleep', ['30']);
    t.after(() => child.kill('SIGKILL'));
    await new Promise((r) => child.once('spawn', r));
    // spawn resolves after fork; give exec a moment to replace the image.
    let started: Event | undefined;
    for (let i = 0; i < 100 && !started; i++) {
      started = m
        .diff()
        .find((e) => e.event.action === 'process_started' && e.process!.pid === child.pid);
      if (!started || started.process!.name !== 'sleep') {
        started = undefined;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    assert.ok(started, 'start seen');
    assert.equal(started.process!.command_line, 'sleep 30');
    assert.match(started.process!.executable ?? '', /\/(sleep|coreutils)$/);
    assert.equal(started.process!.ppid, process.pid);
    assert.equal(started.process!.parent!.name, 'node');
    assert.equal(started.user!.id, String(process.getuid!()));
    assert.ok(
      Math.abs(Date.parse(started['@timestamp']) - Date.now()) < 60_000,
      started['@timestamp'],
    );
    assert.deepEqual(eventIssues(started), []);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const ended = m
      .diff()
      .find((e) => e.event.action === 'process_ended' && e.process!.pid === child.pid);
    assert.ok(ended, 'exit seen');
    assert.equal(ended.process!.command_line, 'sleep 30');
  });
});

describe('parsers', () => {
  test('/proc/<pid>/stat', () => {
    assert.deepEqual(
      parsePidStat(
        '4242 (a) b) (c) R 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 777 1000 100 18446744073709551615\n',
      ),
      {
        pid: 4242,
        comm: 'a) b) (c',
        state: 'R',
        ppid: 1,
        kernelThread: false,
        cpuTicks: 300,
        startTicks: 777,
      },
    );
    for (const bad of [
      '',
      '(x)',
      '42 (x',
      '42 (x) S 1 2 3',
      '0 (x) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5',
      'x (y) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5',
      '42 (x) S 1 1 1 0 -1 0 0 0 0 0 -1 1 0 0 20 0 1 0 5',
    ])
      assert.equal(parsePidStat(bad), undefined, bad);
  });

  test('status uids and passwd', () => {
    assert.deepEqual(parseStatusUids('Name:\tx\nUid:\t1000\t0\t0\t0\n'), { uid: 1000, euid: 0 });
    assert.equal(parseStatusUids('Name:\tx\nUid:\tgarbage\n'), undefined);
    assert.deepEqual(
      [
        ...parsePasswd(
          'root:x:0:0::/:/bin/sh\nbad\nx:x:notanumber:0::/:\nalice:x:1000:1000::/:\ndup:x:1000:1::/:\n',
        ),
      ],
      [
        [0, 'root'],
        [1000, 'alice'],
      ],
    );
  });
});
