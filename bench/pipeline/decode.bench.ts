import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { generateAuthLog } from '../generate.js';
import {
  BENCH_DIR,
  ensureDir,
  fmtRate,
  rate,
  runPhase,
  which,
  type PhaseResult,
} from '../common.js';

/**
 * Decode and store throughput on 1M generated auth/syslog lines, against
 * reading and splitting the same file (and fail2ban-regex when installed).
 */
export async function benchDecode(
  lines = Number(process.env.VIGIL_BENCH_LINES ?? 1_000_000),
): Promise<void> {
  ensureDir(BENCH_DIR);
  const file = path.join(BENCH_DIR, `auth-${lines}.log`);
  if (!fs.existsSync(file)) {
    process.stdout.write(`generating ${lines.toLocaleString('en-US')} lines → ${file}\n`);
    generateAuthLog(file, lines);
  }
  const small = path.join(BENCH_DIR, `auth-${Math.floor(lines / 4)}.log`);
  if (!fs.existsSync(small)) generateAuthLog(small, Math.floor(lines / 4));
  const script = path.join(import.meta.dirname, 'phases.ts');

  const results: PhaseResult[] = [];
  for (const phase of ['raw', 'decode', 'store']) {
    const r = runPhase(script, [phase, file]);
    results.push(r);
    process.stdout.write(
      `  ${phase.padEnd(8)} ${fmtRate(rate(r)).padStart(20)}  ${r.seconds.toFixed(2)} s  max RSS ${r.maxRssMiB} MiB\n`,
    );
  }
  const [raw, decode, store] = results as [PhaseResult, PhaseResult, PhaseResult];
  process.stdout.write(
    `  decode / raw read+split        ${(rate(decode) / rate(raw)).toFixed(3)}\n`,
  );
  process.stdout.write(
    `  decode+store / raw read+split  ${(rate(store) / rate(raw)).toFixed(3)}\n`,
  );
  process.stdout.write(`  decode+store                   ${fmtRate(rate(store))} (events/s)\n`);

  const quarter = runPhase(script, ['decode', small]);
  process.stdout.write(
    `  memory: decode of ${quarter.lines.toLocaleString('en-US')} lines max RSS ${quarter.maxRssMiB} MiB, of ${decode.lines.toLocaleString('en-US')} lines ${decode.maxRssMiB} MiB\n`,
  );

  const f2b = which('fail2ban-regex');
  if (!f2b) {
    process.stdout.write(
      '  fail2ban-regex not installed (apt-get install fail2ban): peer comparison skipped\n',
    );
    return;
  }
  const t0 = process.hrtime.bigint();
  execFileSync(f2b, [file, 'sshd'], { stdio: 'ignore', maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const f2bRate = decode.lines / seconds;
  process.stdout.write(
    `  fail2ban-regex (sshd filter)   ${fmtRate(f2bRate)}  ${seconds.toFixed(2)} s\n`,
  );
  process.stdout.write(
    `  vigil decode / fail2ban-regex  ${(rate(decode) / f2bRate).toFixed(1)}x\n`,
  );
}
