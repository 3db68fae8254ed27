import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { configSchema, type MetricsConfig } from '../../src/config/schema.js';
import { Counters } from '../../src/event/counters.js';
import { eventIssues } from '../../src/event/schema.js';
import type { Alert, Event } from '../../src/event/types.js';
import { MetricsMonitor } from '../../src/sources/metrics.js';
import { parseNetDev, procAddress, tallySockets, emptyTally } from '../../src/sources/proc-net.js';
import { parseMounts } from '../../src/sources/proc-mounts.js';
import {
  cpuUsage,
  memoryUsage,
  parseLoadavg,
  parseMeminfo,
  parseProcStat,
} from '../../src/sources/proc-system.js';
import { parseUtmp, UTMP_RECORD_SIZE, USER_PROCESS } from '../../src/sources/utmp.js';
import { tmpDir } from '../helpers/tmp.js';

const FIXTURE = path.join(import.meta.dirname, '..', 'fixtures', 'proc', 'host');

function utmpRecord(r: {
  type: number;
  pid?: number;
  line?: string;
  user?: string;
  host?: string;
  seconds?: number;
}): Buffer {
  const b = Buffer.alloc(UTMP_RECORD_SIZE);
  b.writeInt32LE(r.type, 0);
  b.writeInt32LE(r.pid ?? 0, 4);
  b.write(r.line ?? '', 8, 32, 'utf8');
  b.write(r.user ?? '', 44, 32, 'utf8');
  b.write(r.host ?? '', 76, 256, 'utf8');
  b.writeUInt32LE(r.seconds ?? 0, 340);
  return b;
}

function metricsConfig(over: Record<string, unknown>): MetricsConfig {
  return configSchema.parse({ metrics: over }).metrics;
}

function monitor(config: MetricsConfig, host = 'web1') {
  const counters = new Counters();
  const notices: string[] = [];
  const m = new MetricsMonitor({
    id: 'metrics',
    config,
    hostName: host,
    counters,
    notice: (s) => notices.push(s),
  });
  return { m, counters, notices };
}

function byName(events: Event[]): Map<string, Event> {
  return new Map(events.map((e) => [e.metric!.name, e]));
}

function values(events: Event[]): Record<string, number> {
  return Object.fromEntries(events.map((e) => [e.metric!.name, e.metric!.value]));
}

/** A writable copy of the fixture tree, with a utmp file beside it. */
function fixtureCopy(t: { after: (fn: () => void) => void }): { proc: string; utmp: string } {
  const dir = tmpDir(t);
  const proc = path.join(dir, 'proc');
  fs.cpSync(FIXTURE, proc, { recursive: true });
  const utmp = path.join(dir, 'utmp');
  fs.writeFileSync(
    utmp,
    Buffer.concat([
      utmpRecord({ type: 2, user: 'reboot', line: '~' }), // BOOT_TIME
      utmpRecord({ type: 6, pid: 700, user: 'LOGIN', line: 'tty1' }), // LOGIN_PROCESS
      utmpRecord({
        type: USER_PROCESS,
        pid: 801,
        user: 'alice',
        line: 'pts/0',
        host: '203.0.113.5',
        seconds: 1700000100,
      }),
      utmpRecord({ type: USER_PROCESS, pid: 802, user: 'root', line: 'tty2' }),
      utmpRecord({ type: 8, pid: 803, line: 'pts/1' }), // DEAD_PROCESS
    ]),
  );
  return { proc, utmp };
}

describe('metrics sampler on crafted /proc files', () => {
  test('every measurement from the fixture tree, rates over the interval', (t) => {
    const { proc, utmp } = fixtureCopy(t);
    fs.chownSync(path.join(proc, '4242'), 1000, 1000);
    const { m, counters, notices } = monitor(metricsConfig({ proc_root: proc, utmp }));
    const t0 = Date.parse('2026-03-15T10:00:00Z');
    m.prime(t0);
    // One minute later: 600 ticks user, 200 system, 600 idle, 100 iowait more;
    // eth0 received 6 MB and 6000 packets, sent 60 kB and 600 packets.
    fs.writeFileSync(
      path.join(proc, 'stat'),
      fs
        .readFileSync(path.join(proc, 'stat'), 'utf8')
        .replace('cpu  1000 0 500 8000 500 0 0 0 0 0', 'cpu  1600 0 700 8600 600 0 0 0 0 0'),
    );
    fs.writeFileSync(
      path.join(proc, 'net/dev'),
      fs
        .readFileSync(path.join(proc, 'net/dev'), 'utf8')
        .replace(
          '  eth0: 1000000    2000    0    0    0     0          0         0   500000    1000',
          '  eth0: 7000000    8000    0    0    0     0          0         0   560000    1600',
        ),
    );
    const events = m.sample(t0 + 60_000);
    const v = values(events);
    const fsRoot = v['fs.used_pct./'];
    assert.ok(fsRoot !== undefined && fsRoot >= 0 && fsRoot <= 100, `fs.used_pct./ = ${fsRoot}`);
    delete v['fs.used_pct./'];
    delete v['fs.inodes_used_pct./'];
    assert.deepEqual(v, {
      users: 2,
      'procs.total': 2,
      'procs.root': 1,
      'procs.other': 1,
      'cpu.used_pct': 53.33,
      'cpu.iowait_pct': 6.67,
      'load.1m': 2.5,
      'load.5m': 3,
      'load.15m': 1.25,
      'load.per_core.5m': 1.5,
      'mem.used_pct': 75,
      'swap.used_pct': 95,
      'net.rx_bytes.eth0': 100_000,
      'net.tx_bytes.eth0': 1000,
      'net.rx_packets.eth0': 100,
      'net.tx_packets.eth0': 10,
      ...Object.fromEntries(
        [
          'ftp',
          'ssh',
          'smtp',
          'dns',
          'www',
          'netbios_ns',
          'netbios_dgm',
          'netbios_ssn',
          'irc',
          'ldap',
          'wwws',
          'nfs',
        ].flatMap((s) => [
          [`port.${s}.listen`, 0],
          [`port.${s}.in`, 0],
          [`port.${s}.out`, 0],
        ]),
      ),
      'port.ssh.listen': 2,
      'port.ssh.in': 5,
      'port.www.out': 1,
      'port.dns.listen': 1,
      'port.dns.out': 1,
    });
    const named = byName(events);
    assert.deepEqual(named.get('port.ssh.in')!.metric, {
      name: 'port.ssh.in',
      value: 5,
      unit: 'connections',
      distribution: { '203.0.113.5': 2, '198.51.100.7': 2, '2001:db8::5': 1 },
    });
    const load = named.get('load.1m')!;
    assert.deepEqual(load, {
      '@timestamp': '2026-03-15T10:01:00.000Z',
      message: 'load.1m 2.5',
      event: { kind: 'metric', dataset: 'vigil.metrics', module: 'system' },
      host: { name: 'web1' },
      metric: { name: 'load.1m', value: 2.5 },
      vigil: { source: 'metrics' },
    });
    for (const e of events) {
      assert.deepEqual(eventIssues(e), [], e.metric!.name);
      assert.ok(Number.isFinite(e.metric!.value), e.metric!.name);
    }
    // The unreadable parts are counted and told once each, naming what and
    // why; a host without IPv6 (no udp6 here) is not a problem.
    assert.deepEqual(notices.sort(), [
      `metrics: cannot read ${path.join(proc, 'mounts')}: 1 unreadable lines (counted in read_errors)`,
      `metrics: cannot read ${path.join(proc, 'net/dev')}: 1 unreadable lines (counted in read_errors)`,
      `metrics: cannot read ${path.join(proc, 'net/tcp')}: 1 unreadable lines (counted in read_errors)`,
      'metrics: cannot read statfs /nonexistent vigil dir: ENOENT (counted in read_errors)',
    ]);
    assert.equal(counters.get('monitor:metrics', 'read_errors'), 4);
    m.sample(t0 + 120_000);
    assert.equal(notices.length, 4, 'told once');
    assert.equal(counters.get('monitor:metrics', 'read_errors'), 8);
    assert.equal(counters.get('monitor:metrics', 'samples'), 2);
  });

  test('a counter that went back gives no rate for that interval; a new interface waits one', (t) => {
    const { proc, utmp } = fixtureCopy(t);
    const { m } = monitor(metricsConfig({ proc_root: proc, utmp, services: {} }));
    m.prime(0);
    fs.writeFileSync(
      path.join(proc, 'net/dev'),
      'Inter-|\n face |\n  eth0: 10 1 0 0 0 0 0 0 500000 1000 0 0 0 0 0 0\n  eth2: 5 5 0 0 0 0 0 0 5 5 0 0 0 0 0 0\n',
    );
    const v = values(m.sample(10_000));
    assert.equal(v['net.rx_bytes.eth0'], undefined);
    assert.equal(v['net.tx_bytes.eth0'], 0);
    assert.equal(v['net.rx_bytes.eth2'], undefined);
    assert.equal(v['port.ssh.listen'], undefined, 'no services configured');
  });

  test('a missing proc root and utmp: counted and told, no crash, nothing made up', (t) => {
    const dir = tmpDir(t);
    const { m, counters, notices } = monitor(
      metricsConfig({ proc_root: path.join(dir, 'nope'), utmp: path.join(dir, 'utmp') }),
    );
    m.prime(0);
    assert.deepEqual(m.sample(60_000), []);
    assert.ok(counters.get('monitor:metrics', 'read_errors') >= 9);
    assert.ok(
      notices.every((n) => /ENOENT/.test(n)),
      notices.join('\n'),
    );
  });

  test('garbage in every file: counted, no crash, only sound values', (t) => {
    const dir = tmpDir(t);
    const proc = path.join(dir, 'proc');
    fs.mkdirSync(path.join(proc, 'net'), { recursive: true });
    const junk = 'cpu  x y\n\0\0\xff garbage (\n';
    for (const f of [
      'stat',
      'loadavg',
      'meminfo',
      'mounts',
      'net/dev',
      'net/tcp',
      'net/tcp6',
      'net/udp',
      'net/udp6',
    ])
      fs.writeFileSync(path.join(proc, f), junk);
    fs.writeFileSync(path.join(dir, 'utmp'), Buffer.alloc(UTMP_RECORD_SIZE + 7, 0xff));
    const { m, counters } = monitor(
      metricsConfig({ proc_root: proc, utmp: path.join(dir, 'utmp') }),
    );
    m.prime(0);
    const events = m.sample(60_000);
    for (const e of events) assert.ok(Number.isFinite(e.metric!.value));
    assert.deepEqual(values(events).users, 0);
    assert.ok(counters.get('monitor:metrics', 'read_errors') >= 8);
  });

  test('event rates: per host, category and outcome; alerts per rule; zeros once seen', () => {
    const { m } = monitor(
      metricsConfig({ proc_root: FIXTURE, utmp: '/nonexistent', services: {} }),
      'mgr',
    );
    const ev = (
      host: string | undefined,
      category: string[],
      outcome?: 'success' | 'failure',
    ): Event => ({
      '@timestamp': '2026-03-15T10:00:00Z',
      event: { kind: 'event', category, ...(outcome ? { outcome } : {}) },
      ...(host ? { host: { name: host } } : {}),
      vigil: { source: 't' },
    });
    m.observeEvents([
      ev('web1', ['authentication'], 'failure'),
      ev('web1', ['authentication'], 'failure'),
      ev('web1', ['authentication', 'session'], 'success'),
      ev(undefined, ['process']),
      ev('web1', []),
      { ...ev('web1', ['host']), event: { kind: 'metric', category: ['host'] } },
    ]);
    const alert = {
      rule: { id: 'r-1', title: 'x', level: 'high' },
      host: { name: 'web1' },
    } as Alert;
    m.observeAlerts([alert, alert]);
    const rates = (events: Event[]) =>
      events
        .filter((e) => e.event.module === 'pipeline')
        .map((e) => `${e.host!.name} ${e.metric!.name}=${e.metric!.value} ${e.metric!.unit}`)
        .sort();
    assert.deepEqual(rates(m.sample(60_000)), [
      'mgr events.process=1 events',
      'web1 alerts.r-1=2 alerts',
      'web1 events.authentication.failure=2 events',
      'web1 events.authentication.success=1 events',
      'web1 events.authentication=3 events',
      'web1 events.session.success=1 events',
      'web1 events.session=1 events',
    ]);
    m.observeEvents([ev('web1', ['authentication'], 'failure')]);
    assert.deepEqual(rates(m.sample(120_000)), [
      'mgr events.process=0 events',
      'web1 alerts.r-1=0 alerts',
      'web1 events.authentication.failure=1 events',
      'web1 events.authentication.success=0 events',
      'web1 events.authentication=1 events',
      'web1 events.session.success=0 events',
      'web1 events.session=0 events',
    ]);
  });

  test('event rates: only the configured categories and rules, at most max_keys keys', () => {
    const { m, counters } = monitor(
      metricsConfig({
        proc_root: FIXTURE,
        utmp: '/nonexistent',
        services: {},
        event_rates: { categories: ['authentication'], rules: [], max_keys: 2 },
      }),
    );
    const ev = (host: string, category: string): Event => ({
      '@timestamp': '2026-03-15T10:00:00Z',
      event: { kind: 'event', category: [category] },
      host: { name: host },
      vigil: { source: 't' },
    });
    m.observeEvents([
      ev('a', 'authentication'),
      ev('a', 'process'),
      ev('b', 'authentication'),
      ev('c', 'authentication'),
    ]);
    m.observeAlerts([{ rule: { id: 'r-1', title: 'x', level: 'high' } } as Alert]);
    const names = m
      .sample(60_000)
      .filter((e) => e.event.module === 'pipeline')
      .map((e) => `${e.host!.name} ${e.metric!.name}`);
    assert.deepEqual(names, ['a events.authentication', 'b events.authentication']);
    assert.equal(counters.get('monitor:metrics', 'rate_keys_dropped'), 1);
  });

  test('run: primes, samples every interval, returns promptly on abort', async () => {
    const { m } = monitor(
      metricsConfig({ proc_root: FIXTURE, utmp: '/nonexistent', interval: '50ms' }),
    );
    const ac = new AbortController();
    const batches: Event[][] = [];
    const done = m.run(ac.signal, async (events) => {
      batches.push(events);
      if (batches.length === 2) ac.abort();
    });
    await done;
    assert.equal(batches.length, 2);
    assert.equal(values(batches[1]!)['load.1m'], 2.5);
    const ac2 = new AbortController();
    const t0 = Date.now();
    const { m: slow } = monitor(
      metricsConfig({ proc_root: FIXTURE, utmp: '/nonexistent', interval: '1h' }),
    );
    const running = slow.run(ac2.signal, async () => undefined);
    setTimeout(() => ac2.abort(), 20);
    await running;
    assert.ok(Date.now() - t0 < 5000);
  });
});

describe('metrics sampler on this machine', () => {
  test('one sample of the real /proc: sound values for the basics', () => {
    const { m } = monitor(metricsConfig({}));
    m.prime(Date.now() - 1000);
    const events = m.sample();
    const v = values(events);
    assert.ok(v['procs.total']! >= 1, `procs.total ${v['procs.total']}`);
    assert.equal(v['procs.total'], v['procs.root']! + v['procs.other']!);
    assert.ok(v['load.1m']! >= 0);
    assert.ok(v['mem.used_pct']! > 0 && v['mem.used_pct']! <= 100);
    assert.ok(v['fs.used_pct./']! >= 0 && v['fs.used_pct./']! <= 100);
    assert.ok('port.ssh.listen' in v);
    for (const e of events) {
      assert.deepEqual(eventIssues(e), [], e.metric!.name);
      assert.ok(Number.isFinite(e.metric!.value), e.metric!.name);
    }
  });
});

describe('procfs parsers', () => {
  test('/proc/stat: cpu line, cpus, btime; garbage counted', () => {
    assert.deepEqual(parseProcStat(fs.readFileSync(path.join(FIXTURE, 'stat'), 'utf8')), {
      cpus: 2,
      badLines: 0,
      cpu: { total: 10_000, idle: 8500, iowait: 500 },
      btime: 1_700_000_000,
    });
    assert.deepEqual(parseProcStat('cpu  1 2\nbtime x\ncpu 5'), { cpus: 0, badLines: 3 });
    assert.deepEqual(parseProcStat(''), { cpus: 0, badLines: 0 });
    // Counters that went back (or did not move) give no usage.
    const a = { total: 100, idle: 50, iowait: 5 };
    assert.equal(cpuUsage(a, a), undefined);
    assert.equal(cpuUsage(a, { total: 200, idle: 40, iowait: 5 }), undefined);
  });

  test('/proc/loadavg and /proc/meminfo', () => {
    assert.deepEqual(parseLoadavg('0.52 0.58 0.59 1/467 12345\n'), [0.52, 0.58, 0.59]);
    assert.equal(parseLoadavg('0.52 0.58'), undefined);
    assert.equal(parseLoadavg('a b c'), undefined);
    assert.equal(parseLoadavg(''), undefined);
    const mi = parseMeminfo(
      'MemTotal: 100 kB\nMemFree: 10 kB\nBuffers: 5 kB\nCached: 5 kB\nbroken line\nSwapTotal: 0 kB\n',
    );
    assert.equal(mi.badLines, 1);
    // No MemAvailable (kernels before 3.14): free + buffers + cache; no swap: nothing to exhaust.
    assert.deepEqual(memoryUsage(mi.values), { memUsedPct: 80 });
    assert.deepEqual(memoryUsage(new Map([['MemTotal', 0]])), {});
  });

  test('/proc/mounts: escapes, remounts, garbage', () => {
    const r = parseMounts(
      'a /x ext4 rw 0 0\nb /x xfs rw 0 0\n/dev/sdc /mnt/my\\040disk vfat rw 0 0\nnot a mount\n\n',
    );
    assert.deepEqual(r, {
      mounts: [
        { device: 'b', mountPoint: '/x', fsType: 'xfs' },
        { device: '/dev/sdc', mountPoint: '/mnt/my disk', fsType: 'vfat' },
      ],
      badLines: 1,
    });
  });

  test('/proc/net/dev: header skipped, truncated lines counted', () => {
    const r = parseNetDev(fs.readFileSync(path.join(FIXTURE, 'net/dev'), 'utf8'));
    assert.equal(r.badLines, 1);
    assert.deepEqual([...r.interfaces.keys()], ['lo', 'eth0']);
    assert.deepEqual(r.interfaces.get('eth0'), {
      rxBytes: 1_000_000,
      rxPackets: 2000,
      txBytes: 500_000,
      txPackets: 1000,
    });
    assert.deepEqual(parseNetDev('\0\0\0').badLines, 1);
  });

  test('socket tables: addresses, states, truncated and garbage lines', () => {
    assert.equal(procAddress('0100007F'), '127.0.0.1');
    assert.equal(procAddress('00000000000000000000000001000000'), '::1');
    assert.equal(procAddress('0000000000000000FFFF0000076433C6'), '198.51.100.7');
    assert.equal(procAddress('B80D0120000000000000000005000000'), '2001:db8::5');
    assert.equal(procAddress('B80D01200000000000000000'), undefined);
    assert.equal(procAddress('ZZZZZZZZ'), undefined);
    const tallies = new Map([[22, emptyTally()]]);
    const bad = tallySockets(
      'header\n 0: 0100007F:0016 00000000:0000 0A\n 1: 0100007F:0016 ZZ:0001 01 x\n 2: 0100007F:FFFFF 00000000:0000 0A\n 3:\n',
      'tcp',
      tallies,
    );
    assert.equal(bad, 3);
    assert.equal(tallies.get(22)!.listen, 1);
    assert.equal(tallySockets('', 'tcp', tallies), 0);
    assert.equal(tallySockets('no newline at all', 'udp', tallies), 1);
  });

  test('utmp: user sessions only; odd sizes and bad records counted', () => {
    const alice = utmpRecord({
      type: USER_PROCESS,
      pid: 801,
      user: 'alice',
      line: 'pts/0',
      host: '203.0.113.5',
      seconds: 1700000100,
    });
    const r = parseUtmp(Buffer.concat([alice, utmpRecord({ type: 8 }), alice.subarray(0, 100)]));
    assert.deepEqual(r, {
      sessions: [
        {
          pid: 801,
          line: 'pts/0',
          user: 'alice',
          host: '203.0.113.5',
          time: new Date(1700000100_000),
        },
      ],
      badRecords: 0,
      trailingBytes: 100,
    });
    assert.deepEqual(parseUtmp(Buffer.alloc(0)), { sessions: [], badRecords: 0, trailingBytes: 0 });
    assert.deepEqual(
      parseUtmp(Buffer.alloc(UTMP_RECORD_SIZE - 1)).trailingBytes,
      UTMP_RECORD_SIZE - 1,
    );
    // A user name that fills its field has no terminating NUL.
    const long = utmpRecord({ type: USER_PROCESS, user: 'u'.repeat(32), line: 'l'.repeat(32) });
    assert.equal(parseUtmp(long).sessions[0]!.user, 'u'.repeat(32));
    assert.equal(parseUtmp(long).sessions[0]!.line, 'l'.repeat(32));
    const garbage = Buffer.alloc(UTMP_RECORD_SIZE * 3 + 1, 0xff);
    assert.deepEqual(parseUtmp(garbage), { sessions: [], badRecords: 3, trailingBytes: 1 });
    assert.equal(parseUtmp(utmpRecord({ type: USER_PROCESS })).badRecords, 1, 'no user name');
  });
});
