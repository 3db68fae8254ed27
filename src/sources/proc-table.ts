import fs from 'node:fs';
import path from 'node:path';

/*
 * The process table from /proc/<pid>/. Every read can fail because the
 * process exits between readdir and open; such a process is simply not in
 * the table (it will show as ended, or never have started, at the next diff).
 */

/**
 * USER_HZ: the unit of times in /proc/<pid>/stat. The kernel fixes it at 100
 * for user space on every architecture Linux runs vigil on (sysconf is not
 * reachable from Node).
 */
export const CLOCK_TICKS = 100;

/** PF_KTHREAD in the stat flags field. */
const PF_KTHREAD = 0x00200000;

/** Fields of /proc/<pid>/stat the monitors use. */
export interface PidStat {
  pid: number;
  /** The kernel's name of the process (15 bytes at most). */
  comm: string;
  state: string;
  ppid: number;
  kernelThread: boolean;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  /** Start time in clock ticks after boot. */
  startTicks: number;
}

/**
 * One stat line. comm is in parentheses and may itself hold spaces and
 * parentheses, so the fields after it are found from the last `)`.
 */
export function parsePidStat(text: string): PidStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  // state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
  // utime stime cutime cstime priority nice num_threads itrealvalue starttime
  const f = text
    .slice(close + 1)
    .trim()
    .split(' ', 20);
  if (f.length < 20 || !Number.isInteger(pid) || pid <= 0) return undefined;
  const ppid = Number(f[1]);
  const flags = Number(f[6]);
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  const start = Number(f[19]);
  if (![ppid, flags, utime, stime, start].every((n) => Number.isFinite(n) && n >= 0)) {
    return undefined;
  }
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: f[0]!,
    ppid,
    kernelThread: (flags & PF_KTHREAD) !== 0,
    cpuTicks: utime + stime,
    startTicks: start,
  };
}

/** Real and effective uid from /proc/<pid>/status. */
export function parseStatusUids(text: string): { uid: number; euid: number } | undefined {
  const m = /^Uid:\s+(\d+)\s+(\d+)/m.exec(text);
  if (!m) return undefined;
  return { uid: Number(m[1]), euid: Number(m[2]) };
}

/** Numeric entries of the proc directory, in no particular order. */
export function listPids(procRoot: string): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync(procRoot)) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const pid = Number(name);
    if (Number.isInteger(pid) && pid > 0) out.push(pid);
  }
  return out;
}

/** The file's text, or undefined when it cannot be read (the process is gone, or hidden). */
export function readProcFile(procRoot: string, pid: number, file: string): string | undefined {
  try {
    return fs.readFileSync(path.join(procRoot, String(pid), file), 'latin1');
  } catch {
    return undefined;
  }
}

/** argv joined by spaces, cut at `max` characters; empty for zombies and kernel threads. */
export function readCommandLine(procRoot: string, pid: number, max: number): string | undefined {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(path.join(procRoot, String(pid), 'cmdline'));
  } catch {
    return undefined;
  }
  let end = buf.length;
  while (end > 0 && buf[end - 1] === 0) end--;
  const text = buf
    .subarray(0, Math.min(end, max * 4))
    .toString('utf8')
    .replaceAll('\0', ' ');
  return text.length > max ? text.slice(0, max) : text;
}

/** Target of /proc/<pid>/exe; undefined when unreadable (another user's process, or gone). */
export function readExecutable(procRoot: string, pid: number): string | undefined {
  try {
    // A deleted or replaced binary keeps running, marked ` (deleted)`: kept,
    // because that is worth seeing.
    return fs.readlinkSync(path.join(procRoot, String(pid), 'exe'));
  } catch {
    return undefined;
  }
}
