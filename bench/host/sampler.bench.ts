import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { configSchema } from '../../src/config/schema.js';
import { Counters } from '../../src/event/counters.js';
import { HostSampler } from '../../src/sources/metrics-host.js';
import { emptyTally, tallySockets } from '../../src/sources/proc-net.js';
import { parseMounts } from '../../src/sources/proc-mounts.js';
import { listPids } from '../../src/sources/proc-table.js';
import { ProcessMonitor } from '../../src/sources/processes.js';
import { which } from '../common.js';

/** Mean milliseconds of `fn` over `n` runs, after two warm-up runs. */
function timeMs(n: number, fn: () => void): number {
  fn();
  fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1e6 / n;
}

function readQuietly(file: string): void {
  try {
    fs.readFileSync(file, 'latin1');
  } catch {
    // what the sampler would count as a read error costs the same to try
  }
}

/** The bytes one metrics sample reads, read and thrown away: what procfs itself costs. */
function rawHostReads(proc: string, utmp: string, excluded: ReadonlySet<string>): void {
  readQuietly(utmp);
  for (const pid of listPids(proc)) {
    try {
      fs.statSync(path.join(proc, String(pid)));
    } catch {
      // exited
    }
  }
  for (const f of [
    'stat',
    'loadavg',
    'meminfo',
    'net/dev',
    'net/tcp',
    'net/tcp6',
    'net/udp',
    'net/udp6',
  ])
    readQuietly(path.join(proc, f));
  const { mounts } = parseMounts(fs.readFileSync(path.join(proc, 'mounts'), 'latin1'));
  for (const m of mounts) {
    if (excluded.has(m.fsType)) continue;
    try {
      fs.statfsSync(m.mountPoint);
    } catch {
      // unreachable mount
    }
  }
}

/** Every process's stat file read and thrown away: the least a table diff must do. */
function rawTableReads(proc: string): void {
  for (const pid of listPids(proc)) readQuietly(path.join(proc, String(pid), 'stat'));
}

/** A socket table of `n` established connections, as a busy server's /proc/net/tcp. */
function syntheticTcp(n: number): string {
  const lines = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  ];
  for (let i = 0; i < n; i++) {
    const remote = ((0xc6336400 + (i % 250)) >>> 0).toString(16).toUpperCase().padStart(8, '0');
    const port = i % 3 === 0 ? '0016' : i % 3 === 1 ? '01BB' : 'C350';
    lines.push(
      `${String(i).padStart(5)}: 0200000A:${port} ${remote}:${(40000 + (i % 20000)).toString(16).toUpperCase()} 01 00000000:00000000 02:000A7214 00000000     0        0 ${1000 + i} 4 0000000000000000 20 4 29 10 -1`,
    );
  }
  return lines.join('\n') + '\n';
}

/**
 * The cost of one metrics sample and one process-table diff on this host,
 * each against the raw procfs reads it cannot avoid (and the diff against
 * running `ps`, the classic way, when installed); and socket tallying on a
 * 100,000-connection table against splitting it into lines.
 */
export function benchHost(samples = Number(process.env.VIGIL_BENCH_HOST_SAMPLES ?? 50)): void {
  const config = configSchema.parse({});
  const m = config.metrics;
  const sampler = new HostSampler({
    procRoot: m.proc_root,
    utmp: m.utmp,
    services: m.services,
    excludeFsTypes: m.exclude_fs_types,
    excludeInterfaces: m.exclude_interfaces,
  });
  sampler.prime(Date.now());
  let metrics = 0;
  const sampleMs = timeMs(samples, () => {
    metrics = sampler.sample(Date.now()).measurements.length;
  });
  const excluded = new Set(m.exclude_fs_types);
  const rawMs = timeMs(samples, () => rawHostReads(m.proc_root, m.utmp, excluded));
  process.stdout.write(
    `  metrics sample      ${sampleMs.toFixed(2)} ms for ${metrics} metrics; raw procfs reads ${rawMs.toFixed(2)} ms; sample / raw ${(sampleMs / rawMs).toFixed(2)}\n`,
  );

  const monitor = new ProcessMonitor({
    id: 'processes',
    config: config.processes,
    hostName: 'bench',
    counters: new Counters(),
    notice: () => undefined,
  });
  monitor.start();
  const pids = listPids(config.processes.proc_root).length;
  const diffMs = timeMs(samples, () => monitor.diff());
  const rawTableMs = timeMs(samples, () => rawTableReads(config.processes.proc_root));
  process.stdout.write(
    `  process table diff  ${diffMs.toFixed(2)} ms for ${pids} pids; raw stat reads ${rawTableMs.toFixed(2)} ms; diff / raw ${(diffMs / rawTableMs).toFixed(2)}\n`,
  );
  if (which('ps')) {
    const psMs = timeMs(Math.min(samples, 10), () => {
      spawnSync('ps', ['-e', '-o', 'pid,ppid,uid,lstart,time,args'], { stdio: 'ignore' });
    });
    process.stdout.write(
      `  ps -e (fork+exec)   ${psMs.toFixed(2)} ms; diff / ps ${(diffMs / psMs).toFixed(2)}\n`,
    );
  } else {
    process.stdout.write('  ps not installed: no comparison with ps -e\n');
  }

  const n = 100_000;
  const table = syntheticTcp(n);
  const tallyMs = timeMs(10, () => {
    tallySockets(table, 'tcp', new Map([22, 80, 443].map((p) => [p, emptyTally()])));
  });
  const splitMs = timeMs(10, () => table.split('\n'));
  process.stdout.write(
    `  socket tally        ${tallyMs.toFixed(1)} ms for ${n.toLocaleString('en-US')} connections; split into lines ${splitMs.toFixed(1)} ms; tally / split ${(tallyMs / splitMs).toFixed(1)}\n`,
  );
}
