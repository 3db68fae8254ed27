import fs from 'node:fs';
import path from 'node:path';
import type { Measurement } from './metric-event.js';
import { parseNetDev, tallySockets, emptyTally, type InterfaceCounters } from './proc-net.js';
import { fsUsage, parseMounts } from './proc-mounts.js';
import {
  cpuUsage,
  memoryUsage,
  parseLoadavg,
  parseMeminfo,
  parseProcStat,
  round2,
  type CpuTimes,
} from './proc-system.js';
import { listPids } from './proc-table.js';
import { parseUtmp } from './utmp.js';

export interface HostSamplerOptions {
  procRoot: string;
  utmp: string;
  /** Service name → port. */
  services: Readonly<Record<string, number>>;
  excludeFsTypes: readonly string[];
  excludeInterfaces: readonly string[];
}

/** Something a sample could not read: `what` is stable (for reporting it once), `why` says it. */
export interface SampleProblem {
  what: string;
  why: string;
}

export interface HostSample {
  measurements: Measurement[];
  problems: SampleProblem[];
}

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/**
 * Reads the host's state from procfs, utmp and statfs into measurements.
 * Rates (CPU share, network bytes per second) are over the time since the
 * previous sample, so the sampler keeps the previous counters; the first
 * sample after construction has no rates unless `prime` ran.
 */
export class HostSampler {
  private prevCpu: CpuTimes | undefined;
  private prevNet: { at: number; interfaces: Map<string, InterfaceCounters> } | undefined;
  private readonly ports: Map<number, string>;

  constructor(private readonly opts: HostSamplerOptions) {
    this.ports = new Map(Object.entries(opts.services).map(([name, port]) => [port, name]));
  }

  /** Takes the counters the first sample's rates are measured from. */
  prime(nowMs: number): void {
    const scratch: HostSample = { measurements: [], problems: [] };
    this.cpuAndLoad(scratch);
    this.network(scratch, nowMs);
  }

  sample(nowMs: number): HostSample {
    const out: HostSample = { measurements: [], problems: [] };
    this.users(out);
    this.processes(out);
    this.cpuAndLoad(out);
    this.memory(out);
    this.filesystems(out);
    this.network(out, nowMs);
    this.sockets(out);
    return out;
  }

  private read(rel: string, out: HostSample): string | undefined {
    const file = path.join(this.opts.procRoot, rel);
    try {
      return fs.readFileSync(file, 'latin1');
    } catch (err) {
      out.problems.push({ what: file, why: errCode(err) });
      return undefined;
    }
  }

  private bad(out: HostSample, rel: string, n: number, what = 'unreadable lines'): void {
    if (n > 0) out.problems.push({ what: path.join(this.opts.procRoot, rel), why: `${n} ${what}` });
  }

  private users(out: HostSample): void {
    let buf: Buffer;
    try {
      buf = fs.readFileSync(this.opts.utmp);
    } catch (err) {
      out.problems.push({ what: this.opts.utmp, why: errCode(err) });
      return;
    }
    const u = parseUtmp(buf);
    if (u.badRecords > 0)
      out.problems.push({ what: this.opts.utmp, why: `${u.badRecords} bad records` });
    if (u.trailingBytes > 0)
      out.problems.push({
        what: this.opts.utmp,
        why: `${u.trailingBytes} bytes after the last whole record`,
      });
    out.measurements.push({ name: 'users', value: u.sessions.length, unit: 'sessions' });
  }

  private processes(out: HostSample): void {
    let pids: number[];
    try {
      pids = listPids(this.opts.procRoot);
    } catch (err) {
      out.problems.push({ what: this.opts.procRoot, why: errCode(err) });
      return;
    }
    let total = 0;
    let root = 0;
    for (const pid of pids) {
      let uid: number;
      try {
        // /proc/<pid> belongs to the process's effective user.
        uid = fs.statSync(path.join(this.opts.procRoot, String(pid))).uid;
      } catch {
        continue; // exited since readdir
      }
      total++;
      if (uid === 0) root++;
    }
    out.measurements.push(
      { name: 'procs.total', value: total, unit: 'processes' },
      { name: 'procs.root', value: root, unit: 'processes' },
      { name: 'procs.other', value: total - root, unit: 'processes' },
    );
  }

  private cpuAndLoad(out: HostSample): void {
    const statText = this.read('stat', out);
    const stat = statText === undefined ? undefined : parseProcStat(statText);
    if (stat) {
      this.bad(out, 'stat', stat.badLines);
      if (stat.cpu) {
        const use = this.prevCpu && cpuUsage(this.prevCpu, stat.cpu);
        this.prevCpu = stat.cpu;
        if (use) {
          out.measurements.push(
            { name: 'cpu.used_pct', value: use.usedPct, unit: '%' },
            { name: 'cpu.iowait_pct', value: use.iowaitPct, unit: '%' },
          );
        }
      }
    }
    const loadText = this.read('loadavg', out);
    if (loadText === undefined) return;
    const load = parseLoadavg(loadText);
    if (!load) {
      this.bad(out, 'loadavg', 1);
      return;
    }
    out.measurements.push(
      { name: 'load.1m', value: load[0] },
      { name: 'load.5m', value: load[1] },
      { name: 'load.15m', value: load[2] },
    );
    if (stat && stat.cpus > 0) {
      out.measurements.push({ name: 'load.per_core.5m', value: round2(load[1] / stat.cpus) });
    }
  }

  private memory(out: HostSample): void {
    const text = this.read('meminfo', out);
    if (text === undefined) return;
    const info = parseMeminfo(text);
    this.bad(out, 'meminfo', info.badLines);
    const use = memoryUsage(info.values);
    if (use.memUsedPct !== undefined)
      out.measurements.push({ name: 'mem.used_pct', value: use.memUsedPct, unit: '%' });
    if (use.swapUsedPct !== undefined)
      out.measurements.push({ name: 'swap.used_pct', value: use.swapUsedPct, unit: '%' });
  }

  private filesystems(out: HostSample): void {
    const text = this.read('mounts', out);
    if (text === undefined) return;
    const { mounts, badLines } = parseMounts(text);
    this.bad(out, 'mounts', badLines);
    const skip = new Set(this.opts.excludeFsTypes);
    for (const m of mounts) {
      if (skip.has(m.fsType)) continue;
      let use;
      try {
        use = fsUsage(m.mountPoint);
      } catch (err) {
        out.problems.push({ what: `statfs ${m.mountPoint}`, why: errCode(err) });
        continue;
      }
      if (!use) continue;
      out.measurements.push({ name: `fs.used_pct.${m.mountPoint}`, value: use.usedPct, unit: '%' });
      if (use.inodesUsedPct !== undefined) {
        out.measurements.push({
          name: `fs.inodes_used_pct.${m.mountPoint}`,
          value: use.inodesUsedPct,
          unit: '%',
        });
      }
    }
  }

  private network(out: HostSample, nowMs: number): void {
    const text = this.read('net/dev', out);
    if (text === undefined) return;
    const { interfaces, badLines } = parseNetDev(text);
    this.bad(out, 'net/dev', badLines);
    const prev = this.prevNet;
    this.prevNet = { at: nowMs, interfaces };
    if (!prev || nowMs <= prev.at) return;
    const seconds = (nowMs - prev.at) / 1000;
    const skip = new Set(this.opts.excludeInterfaces);
    for (const [name, cur] of interfaces) {
      const before = prev.interfaces.get(name);
      if (!before || skip.has(name)) continue;
      const rate = (key: keyof InterfaceCounters, metric: string, unit: string) => {
        const delta = cur[key] - before[key];
        // A counter that went back was reset (interface re-created, driver reload).
        if (delta >= 0)
          out.measurements.push({
            name: `${metric}.${name}`,
            value: round2(delta / seconds),
            unit,
          });
      };
      rate('rxBytes', 'net.rx_bytes', 'B/s');
      rate('txBytes', 'net.tx_bytes', 'B/s');
      rate('rxPackets', 'net.rx_packets', 'packets/s');
      rate('txPackets', 'net.tx_packets', 'packets/s');
    }
  }

  private sockets(out: HostSample): void {
    if (this.ports.size === 0) return;
    const tallies = new Map([...this.ports.keys()].map((port) => [port, emptyTally()]));
    let readAny = false;
    for (const [rel, proto] of [
      ['net/tcp', 'tcp'],
      ['net/tcp6', 'tcp'],
      ['net/udp', 'udp'],
      ['net/udp6', 'udp'],
    ] as const) {
      const file = path.join(this.opts.procRoot, rel);
      let text: string;
      try {
        text = fs.readFileSync(file, 'latin1');
      } catch (err) {
        // A host without IPv6 has no tcp6/udp6: nothing to count there.
        if (errCode(err) !== 'ENOENT' || !rel.endsWith('6'))
          out.problems.push({ what: file, why: errCode(err) });
        continue;
      }
      readAny = true;
      this.bad(out, rel, tallySockets(text, proto, tallies));
    }
    if (!readAny) return;
    for (const [port, t] of tallies) {
      const svc = this.ports.get(port)!;
      out.measurements.push(
        { name: `port.${svc}.listen`, value: t.listen, unit: 'sockets' },
        {
          name: `port.${svc}.in`,
          value: t.in,
          unit: 'connections',
          distribution: Object.fromEntries(t.inBy),
        },
        { name: `port.${svc}.out`, value: t.out, unit: 'connections' },
      );
    }
  }
}
