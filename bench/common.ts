import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const BENCH_DIR = path.join(import.meta.dirname, 'out');

export interface PhaseResult {
  phase: string;
  lines: number;
  seconds: number;
  maxRssMiB: number;
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

/** For a phase script: time `fn`, print its result as the last JSON line. */
export async function reportPhase(phase: string, fn: () => Promise<number>): Promise<void> {
  const t0 = process.hrtime.bigint();
  const lines = await fn();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const maxRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(
    JSON.stringify({ phase, lines, seconds, maxRssMiB } satisfies PhaseResult) + '\n',
  );
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

export function machine(): string {
  return `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), node ${process.version}`;
}

export function ensureDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
