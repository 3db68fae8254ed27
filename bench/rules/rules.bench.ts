import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBenchLog, BRUTEFORCE_THRESHOLD, BRUTEFORCE_WINDOW_S } from '../generate.js';
import {
  BENCH_DIR,
  fastest,
  fmtRate,
  peerRun,
  rate,
  runPhase,
  which,
  type PeerResult,
  type PhaseResult,
} from '../common.js';
import { writeVariantRules } from './variants.js';

/**
 * Detection throughput on the generated log: the shipped ruleset and 10, 100
 * and 1,000 generated rules, as ratios to decode-only in the same run; the
 * brute-force alerts against the generator's ground truth; memory at a
 * quarter of the input and the whole; SEC and fail2ban-regex on the same
 * file when installed. `VIGIL_BENCH_RUNS` (default 1) repeats each phase and
 * each peer and keeps the fastest (the machine may be shared).
 */
export async function benchRules(
  lines = Number(process.env.VIGIL_BENCH_LINES ?? 1_000_000),
  runs = Number(process.env.VIGIL_BENCH_RUNS ?? 1),
): Promise<void> {
  const { file, truth } = await ensureBenchLog(BENCH_DIR, lines);
  const small = await ensureBenchLog(BENCH_DIR, Math.floor(lines / 4));
  const script = path.join(import.meta.dirname, 'phases.ts');
  const best = (args: string[]): PhaseResult => {
    let r: PhaseResult | undefined;
    for (let i = 0; i < runs; i++) r = fastest(r, runPhase(script, args));
    return r!;
  };
  const say = (s: string) => process.stdout.write(`  ${s}\n`);
  const cpu = (r: PhaseResult) => r.cpuSeconds ?? r.seconds;
  const row = (name: string, r: PhaseResult, base?: PhaseResult) =>
    say(
      `${name.padEnd(20)} ${fmtRate(rate(r)).padStart(18)}  ${r.seconds.toFixed(2).padStart(6)} s (cpu ${cpu(r).toFixed(2).padStart(6)} s)  max RSS ${String(r.maxRssMiB).padStart(4)} MiB` +
        (base
          ? `  ${(rate(r) / rate(base)).toFixed(3)} of decode-only (cpu: ${(cpu(base) / cpu(r)).toFixed(3)})` +
            `  ${r.alerts} alerts`
          : ''),
    );

  // Wall-clock rates depend on what else runs: say how busy the machine was.
  say(
    `load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} on ${os.cpus().length} cores`,
  );
  const decode = best(['decode', file]);
  row('decode only', decode);
  const builtin = best(['detect', file, 'builtin']);
  row('built-in ruleset', builtin, decode);
  const sets = new Map<number, PhaseResult>();
  for (const n of [10, 100, 1000]) {
    const dir = writeVariantRules(path.join(BENCH_DIR, `rules-${n}`), n);
    const r = best(['detect', file, dir]);
    sets.set(n, r);
    row(`${n} generated rules`, r, decode);
  }
  const r10 = sets.get(10)!;
  const r1000 = sets.get(1000)!;
  say(
    `1,000 vs 10 rules: ${(r1000.seconds / r10.seconds).toFixed(2)}x the time, ` +
      `${(cpu(r1000) / cpu(r10)).toFixed(2)}x the cpu time (target ≤ 2x)`,
  );

  // Ground truth: exactly the planted brute-force sources, no others.
  const found = new Set(builtin.bruteforce ?? []);
  const real = new Set(truth.bruteforce);
  const hits = [...found].filter((ip) => real.has(ip));
  const falsePos = [...found].filter((ip) => !real.has(ip));
  const missed = [...real].filter((ip) => !found.has(ip));
  say(
    `ssh-bruteforce-source vs ground truth (>${BRUTEFORCE_THRESHOLD} failures in ${BRUTEFORCE_WINDOW_S} s): ` +
      `${found.size} alerted, ${real.size} real; precision ${(hits.length / Math.max(found.size, 1)).toFixed(3)}, ` +
      `recall ${(hits.length / Math.max(real.size, 1)).toFixed(3)}` +
      (falsePos.length + missed.length === 0
        ? ', exact'
        : `; false: ${falsePos.join(' ') || '-'}; missed: ${missed.join(' ') || '-'}`),
  );
  say(`(all built-in alerts: ${builtin.alerts}; planted scenarios: ${truth.planted.length})`);

  const quarter = best(['detect', small.file, 'builtin']);
  say(
    `memory, built-in ruleset: max RSS ${quarter.maxRssMiB} MiB at ${quarter.lines.toLocaleString('en-US')} lines, ` +
      `${builtin.maxRssMiB} MiB at ${builtin.lines.toLocaleString('en-US')} lines`,
  );

  const cpuRate = (r: PhaseResult) => r.lines / cpu(r);
  const compare = (name: string, peer: PeerResult, target: number) => {
    say(
      `built-in ruleset / ${name.padEnd(16)} ${(rate(builtin) / peer.rate).toFixed(2)}x wall` +
        (peer.cpuRate ? `, ${(cpuRate(builtin) / peer.cpuRate).toFixed(2)}x cpu time` : '') +
        ` (target ≥ ${target}x)`,
    );
  };
  const sec = runSec(file, lines, truth.bruteforce, runs);
  const f2b = peerRun('fail2ban-regex', [file, 'sshd'], lines, runs);
  if (f2b === undefined) {
    say('fail2ban-regex not installed (apt-get install fail2ban): comparison skipped');
  } else {
    say(
      `fail2ban-regex (sshd filter) ${fmtRate(f2b.rate)}` +
        (f2b.cpuRate ? ` (${fmtRate(f2b.cpuRate)} of its cpu time)` : ''),
    );
    compare('fail2ban-regex', f2b, 5);
  }
  if (sec) compare('SEC', sec, 1);
}

/**
 * SEC with the equivalent rule (SingleWithThreshold, 6 within 300 s, per
 * source address). SEC's windows run on its own clock, not the log's, so
 * on a file read in seconds every address with 6 failures anywhere fires:
 * its alert count is shown, not judged.
 */
function runSec(
  file: string,
  lines: number,
  truth: readonly string[],
  runs: number,
): PeerResult | undefined {
  if (!which('sec')) {
    process.stdout.write('  sec not installed (apt-get install sec): comparison skipped\n');
    return undefined;
  }
  const out = path.join(BENCH_DIR, 'sec-alerts.txt');
  const conf = path.join(BENCH_DIR, 'sec-bruteforce.conf');
  fs.writeFileSync(
    conf,
    [
      'type=SingleWithThreshold',
      'ptype=RegExp',
      'pattern=sshd\\[\\d+\\]: Failed password for (?:invalid user )?\\S+ from ([\\d.]+) port \\d+',
      'desc=ssh brute force from $1',
      `action=write ${out} $1`,
      `window=${BRUTEFORCE_WINDOW_S}`,
      `thresh=${BRUTEFORCE_THRESHOLD + 1}`,
      '',
    ].join('\n'),
  );
  fs.rmSync(out, { force: true });
  const sec = peerRun('sec', [`--conf=${conf}`, `--input=${file}`, '--notail'], lines, runs)!;
  const alerted = new Set(
    fs.existsSync(out) ? fs.readFileSync(out, 'utf8').split('\n').filter(Boolean) : [],
  );
  const real = new Set(truth);
  process.stdout.write(
    `  SEC (SingleWithThreshold)    ${fmtRate(sec.rate)}` +
      (sec.cpuRate ? ` (${fmtRate(sec.cpuRate)} of its cpu time)` : '') +
      `; ${alerted.size} addresses alerted, ` +
      `${[...alerted].filter((ip) => real.has(ip)).length} of the ${real.size} real (SEC windows on its own clock)\n`,
  );
  return sec;
}
