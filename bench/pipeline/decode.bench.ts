import path from 'node:path';
import { ensureBenchLog } from '../generate.js';
import { BENCH_DIR, fmtRate, peerRun, rate, runPhase, type PhaseResult } from '../common.js';

/**
 * Decode and store throughput on 1M generated auth/syslog lines, against
 * reading and splitting the same file (and fail2ban-regex when installed).
 */
export async function benchDecode(
  lines = Number(process.env.VIGIL_BENCH_LINES ?? 1_000_000),
): Promise<void> {
  const { file } = await ensureBenchLog(BENCH_DIR, lines);
  const { file: small } = await ensureBenchLog(BENCH_DIR, Math.floor(lines / 4));
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

  const f2bRate = peerRun('fail2ban-regex', [file, 'sshd'], decode.lines)?.rate;
  if (f2bRate === undefined) {
    process.stdout.write(
      '  fail2ban-regex not installed (apt-get install fail2ban): peer comparison skipped\n',
    );
    return;
  }
  process.stdout.write(`  fail2ban-regex (sshd filter)   ${fmtRate(f2bRate)}\n`);
  process.stdout.write(
    `  vigil decode / fail2ban-regex  ${(rate(decode) / f2bRate).toFixed(1)}x\n`,
  );
}
