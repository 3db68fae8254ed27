import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const BENCH_DIR = path.join(import.meta.dirname, 'out');

export interface PhaseResult {
  phase: string;
  lines: number;
  seconds: number;
  /** CPU time (user + system) of the phase: steadier than wall time on a shared machine. */
  cpuSeconds?: number;
  maxRssMiB: number;
  /** Detection phases: alerts raised, and the source addresses of brute-force alerts. */
  alerts?: number;
  bruteforce?: string[];
}

let built = false;

/** Builds dist/ (once per bench run), for phases that measure the built vigil. */
export function buildVigil(): void {
  if (built) return;
  const root = path.join(import.meta.dirname, '..');
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const res = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (res.status !== 0) throw new Error(`building dist/ failed:\n${res.stdout}${res.stderr}`);
  built = true;
}

/** Runs one phase in a fresh Node process so its memory and time are its own. */
export function runPhase(script: string, args: string[]): PhaseResult {
  const res = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (res.status !== 0) {
    throw new Error(`phase ${args.join(' ')} failed (${res.status}):\n${res.stderr}`);
  }
  const last = res.stdout.trim().split('\n').at(-1)!;
  return JSON.parse(last) as PhaseResult;
}

/** The quicker of two runs of a phase (`a` absent before the first): for best-of-N figures. */
export function fastest(a: PhaseResult | undefined, b: PhaseResult): PhaseResult {
  return a && a.seconds <= b.seconds ? a : b;
}

/** For a phase script: time `fn`, print its result as the last JSON line. */
export async function reportPhase(phase: string, fn: () => Promise<number>): Promise<void> {
  const t0 = process.hrtime.bigint();
  const lines = await fn();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  printPhase({ phase, lines, seconds, maxRssMiB: maxRssMiB() });
}

/** Peak resident memory of this process so far. */
export function maxRssMiB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** For a phase script that times itself: print its result as the last JSON line. */
export function printPhase(r: PhaseResult): void {
  process.stdout.write(JSON.stringify(r) + '\n');
}

export function rate(r: PhaseResult): number {
  return r.lines / r.seconds;
}

export function fmtRate(n: number): string {
  return `${Math.round(n).toLocaleString('en-US')} lines/s`;
}

export function which(cmd: string): string | undefined {
  try {
    return (
      execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

export interface PeerResult {
  /** Lines/s over the wall clock. */
  rate: number;
  /** Lines/s over the tool's own CPU time (Linux; undefined elsewhere): steadier on a busy machine. */
  cpuRate?: number;
}

const peerResults = new Map<string, { best: PeerResult; runs: number }>();

/** CPU seconds of this process's waited-for children (Linux /proc), or undefined. */
function childrenCpuSeconds(): number | undefined {
  try {
    // Fields after the command name: cutime and cstime are the 14th and 15th.
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * A peer tool (`fail2ban-regex`, `sec`) over a file of `lines` lines, or
 * undefined when it is not installed: the fastest of `runs` runs, as vigil's
 * phases keep theirs. Results are kept per process: benchmarks that compare
 * against the same run share them, and asking for more runs adds runs.
 */
export function peerRun(
  cmd: string,
  args: string[],
  lines: number,
  runs = 1,
): PeerResult | undefined {
  const key = [cmd, ...args].join(' ');
  const bin = which(cmd);
  if (!bin) return undefined;
  const known = peerResults.get(key);
  let best = known?.best;
  for (let i = known?.runs ?? 0; i < runs; i++) {
    const cpu0 = childrenCpuSeconds();
    const t0 = process.hrtime.bigint();
    execFileSync(bin, args, { stdio: 'ignore' });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu1 = childrenCpuSeconds();
    const r: PeerResult = { rate: lines / seconds };
    if (cpu0 !== undefined && cpu1 !== undefined && cpu1 > cpu0) r.cpuRate = lines / (cpu1 - cpu0);
    if (!best || r.rate > best.rate) best = r;
  }
  peerResults.set(key, { best: best!, runs: Math.max(runs, known?.runs ?? 0) });
  return best;
}

export function machine(): string {
  return `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), node ${process.version}`;
}

export function ensureDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
