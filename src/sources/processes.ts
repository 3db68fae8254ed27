import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProcessesConfig } from '../config/schema.js';
import type { Counters } from '../event/counters.js';
import type { Event } from '../event/types.js';
import { UserNames } from './passwd.js';
import { parseProcStat } from './proc-system.js';
import {
  CLOCK_TICKS,
  listPids,
  parsePidStat,
  parseStatusUids,
  readCommandLine,
  readExecutable,
  readProcFile,
} from './proc-table.js';
import type { Monitor, Submit } from './types.js';

export const PROCESSES_DATASET = 'vigil.processes';

/** What the monitor knows of one running process. */
interface Tracked {
  pid: number;
  ppid: number;
  comm: string;
  /** With pid, the identity of the process: a reused pid has another start. */
  startTicks: number;
  cpuTicks: number;
  uid?: number;
  euid?: number;
  executable?: string;
  commandLine?: string;
  runawayReported: boolean;
}

export interface ProcessMonitorOptions {
  id: string;
  config: ProcessesConfig;
  hostName: string;
  counters: Counters;
  notice(message: string): void;
}

/**
 * Diffs the process table every `interval` and emits process start and exit
 * events, a runaway event when a process's CPU time passes the limit, and a
 * missing event when the last process of a watched name is gone. The table
 * found at start is recorded silently: only changes are events. Processes
 * that start and exit between two reads are not seen (auditd's execve
 * records see every one).
 */
export class ProcessMonitor implements Monitor {
  readonly kind = 'processes';
  readonly id: string;
  private readonly opts: ProcessMonitorOptions;
  private readonly scope: string;
  private readonly users: UserNames;
  private table = new Map<number, Tracked>();
  private bootMs: number | undefined;
  /** Watched name → whether a process of it ran at the last diff (absent: not judged yet). */
  private readonly watched = new Map<string, boolean>();

  constructor(opts: ProcessMonitorOptions) {
    this.opts = opts;
    this.id = opts.id;
    this.scope = `monitor:${opts.id}`;
    this.users = new UserNames(opts.config.passwd);
  }

  describe(): string[] {
    const c = this.opts.config;
    const lines = [
      `process starts and exits every ${c.interval / 1000}s from ${c.proc_root} (users from ${c.passwd})`,
    ];
    if (c.watch.length > 0) lines.push(`watched processes: ${c.watch.join(' ')}`);
    if (c.runaway_cpu_time > 0)
      lines.push(`runaway: more than ${c.runaway_cpu_time / 1000}s of CPU time`);
    return lines;
  }

  /** Reads the first table; what runs now is not reported as started. */
  start(): void {
    const statText = readFile(path.join(this.opts.config.proc_root, 'stat'));
    const btime = statText === undefined ? undefined : parseProcStat(statText).btime;
    this.bootMs = btime === undefined ? undefined : btime * 1000;
    if (this.bootMs === undefined)
      this.opts.notice(`${this.id}: no boot time in /proc/stat: process start times are unknown`);
    this.users.refresh();
    this.table = this.read(this.table);
    if ([...this.table.values()].some((p) => p.comm === 'auditd')) {
      this.opts.notice(
        `${this.id}: auditd is running: its execve records are the better source of process starts (every execution, with arguments); this table diff misses processes shorter than ${this.opts.config.interval / 1000}s`,
      );
    }
  }

  /** Reads the table again and returns the changes since the last read as events. */
  diff(nowMs = Date.now()): Event[] {
    this.users.refresh();
    const before = this.table;
    const now = this.read(before);
    this.table = now;
    const at = new Date(nowMs).toISOString();
    const events: Event[] = [];
    // `read` carries an entry over only for the same process running the
    // same program, so a different object under a pid is a change.
    for (const [pid, p] of before) {
      if (now.get(pid) !== p) events.push(this.ended(p, at, before));
    }
    const limitTicks = (this.opts.config.runaway_cpu_time / 1000) * CLOCK_TICKS;
    for (const [pid, p] of now) {
      if (before.get(pid) !== p) events.push(this.started(p, at, now));
      if (limitTicks > 0 && !p.runawayReported && p.cpuTicks > limitTicks) {
        p.runawayReported = true;
        events.push(this.runaway(p, at, now));
      }
    }
    for (const name of this.opts.config.watch) {
      const running = [...now.values()].some((p) => matchesName(p, name));
      if (!running && this.watched.get(name) !== false) events.push(this.missing(name, at));
      this.watched.set(name, running);
    }
    const counters = this.opts.counters;
    counters.add(this.scope, 'diffs');
    counters.set(this.scope, 'processes', now.size);
    for (const e of events) counters.add(this.scope, e.event.action!);
    return events;
  }

  /** The current table; entries of processes seen before are carried over, not read again. */
  private read(before: ReadonlyMap<number, Tracked>): Map<number, Tracked> {
    const root = this.opts.config.proc_root;
    const max = this.opts.config.max_processes;
    const out = new Map<number, Tracked>();
    let pids: number[];
    try {
      pids = listPids(root);
    } catch (err) {
      this.opts.counters.add(this.scope, 'read_errors');
      throw new Error(`cannot list ${root}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
    let untracked = 0;
    let badStat = 0;
    for (const pid of pids) {
      const text = readProcFile(root, pid, 'stat');
      if (text === undefined) continue; // exited since readdir
      const st = parsePidStat(text);
      if (!st || st.pid !== pid) {
        badStat++;
        continue;
      }
      if (st.kernelThread) continue;
      const old = before.get(pid);
      // A reused pid has another start time; an exec keeps pid and start but
      // changes the name, and is reported as the old program ending and the
      // new one starting.
      if (old && old.startTicks === st.startTicks && old.comm === st.comm) {
        old.cpuTicks = st.cpuTicks;
        old.ppid = st.ppid; // reparented when its parent exits
        out.set(pid, old);
        continue;
      }
      if (out.size >= max) {
        untracked++;
        continue;
      }
      const status = readProcFile(root, pid, 'status');
      const ids = status === undefined ? undefined : parseStatusUids(status);
      out.set(pid, {
        pid,
        ppid: st.ppid,
        comm: st.comm,
        startTicks: st.startTicks,
        cpuTicks: st.cpuTicks,
        ...(ids ? { uid: ids.uid, euid: ids.euid } : {}),
        ...optional('executable', readExecutable(root, pid)),
        ...optional('commandLine', readCommandLine(root, pid, this.opts.config.max_command_line)),
        runawayReported: false,
      });
    }
    if (badStat > 0) this.opts.counters.add(this.scope, 'bad_stat', badStat);
    if (untracked > 0) this.opts.counters.add(this.scope, 'untracked', untracked);
    return out;
  }

  private startIso(p: Tracked): string | undefined {
    if (this.bootMs === undefined) return undefined;
    return new Date(this.bootMs + (p.startTicks * 1000) / CLOCK_TICKS).toISOString();
  }

  private processEvent(
    p: Tracked,
    at: string,
    table: ReadonlyMap<number, Tracked>,
    type: string,
    action: string,
    message: string,
  ): Event {
    const start = this.startIso(p);
    const parent = table.get(p.ppid);
    const e: Event = {
      '@timestamp': at,
      message,
      event: {
        kind: 'event',
        category: ['process'],
        type: [type],
        action,
        dataset: PROCESSES_DATASET,
        module: 'system',
      },
      host: { name: this.opts.hostName },
      process: {
        pid: p.pid,
        ppid: p.ppid,
        name: p.comm,
        ...optional('executable', p.executable),
        ...optional('command_line', p.commandLine),
        ...optional('start', start),
        parent: {
          pid: p.ppid,
          ...optional('name', parent?.comm),
          ...optional('executable', parent?.executable),
        },
        cpu: { time: p.cpuTicks / CLOCK_TICKS },
      },
      vigil: { source: this.id },
    };
    if (p.uid !== undefined && p.euid !== undefined) {
      e.user = {
        id: String(p.uid),
        ...optional('name', this.users.name(p.uid)),
        effective: { id: String(p.euid), ...optional('name', this.users.name(p.euid)) },
      };
    }
    return e;
  }

  private who(p: Tracked): string {
    if (p.uid === undefined) return 'user unknown';
    return `user ${this.users.name(p.uid) ?? p.uid}`;
  }

  private started(p: Tracked, at: string, table: ReadonlyMap<number, Tracked>): Event {
    const e = this.processEvent(
      p,
      at,
      table,
      'start',
      'process_started',
      `process started: ${p.commandLine || p.comm} (pid ${p.pid}, ${this.who(p)})`,
    );
    // Event time is when it happened: the kernel's start time, not when we looked.
    if (e.process!.start) e['@timestamp'] = e.process!.start;
    return e;
  }

  private ended(p: Tracked, at: string, table: ReadonlyMap<number, Tracked>): Event {
    const e = this.processEvent(
      p,
      at,
      table,
      'end',
      'process_ended',
      `process ended: ${p.commandLine || p.comm} (pid ${p.pid}, ${this.who(p)})`,
    );
    e.process!.end = at;
    return e;
  }

  private runaway(p: Tracked, at: string, table: ReadonlyMap<number, Tracked>): Event {
    return this.processEvent(
      p,
      at,
      table,
      'info',
      'process_cpu_time_exceeded',
      `process used ${Math.round(p.cpuTicks / CLOCK_TICKS)}s of CPU time: ${p.commandLine || p.comm} (pid ${p.pid}, ${this.who(p)})`,
    );
  }

  private missing(name: string, at: string): Event {
    return {
      '@timestamp': at,
      message: `watched process ${name} is not running`,
      event: {
        kind: 'event',
        category: ['process'],
        type: ['info'],
        action: 'watched_process_missing',
        dataset: PROCESSES_DATASET,
        module: 'system',
      },
      host: { name: this.opts.hostName },
      process: name.includes('/') ? { executable: name } : { name },
      vigil: { source: this.id },
    };
  }

  async run(signal: AbortSignal, submit: Submit): Promise<void> {
    this.start();
    while (!signal.aborted) {
      try {
        await sleep(this.opts.config.interval, undefined, { signal });
      } catch {
        return; // aborted
      }
      const events = this.diff();
      if (events.length > 0) await submit(events);
    }
  }
}

/** A watched name: an executable path (with `/`), or a process name (the kernel's 15-byte comm, or the executable's base name). */
function matchesName(p: Tracked, name: string): boolean {
  if (name.includes('/')) return p.executable === name;
  return p.comm === name.slice(0, 15) || (p.executable && path.basename(p.executable)) === name;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [k in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [k in K]: V });
}

function readFile(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch {
    return undefined;
  }
}
