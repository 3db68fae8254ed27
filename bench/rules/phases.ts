import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadFromOptions } from '../../src/cli/context.js';
import { loadDetection } from '../../src/cli/detection.js';
import { defaultWorkers, scanWithWorkers } from '../../src/cli/scan-parallel.js';
import { parseConfig } from '../../src/config/load.js';
import { createDecoderStage } from '../../src/decoders/index.js';
import { Counters } from '../../src/event/counters.js';
import { parseTimeZone } from '../../src/event/timezone.js';
import type { Alert } from '../../src/event/types.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { scanFiles } from '../../src/sources/file-scan.js';
import { maxRssMiB, printPhase } from '../common.js';

/*
 * One detection benchmark phase per process (its time and memory are its
 * own): `decode FILE` (the baseline: read, decode, no rules) or
 * `detect FILE RULES` with RULES `builtin` (the shipped set) or a directory
 * of rules, as `vigil scan` runs it. Loading rules is not timed; the scan
 * and the final flush of open correlation windows are.
 */
const [phase, file, rules] = process.argv.slice(2) as [string, string, string | undefined];

/** The built-in brute-force correlation (rules/builtin/correlation/ssh-bruteforce-source.yml). */
const BRUTEFORCE_ID = '52265373-df4d-4088-ad43-601fabdfffcd';

const config = parseConfig({ timezone: 'UTC' }, 'bench');
if (phase === 'detect') {
  await detect(file, rules!);
} else if (phase === 'decode') {
  await decodeOnly(file);
} else {
  throw new Error(`unknown phase ${phase}`);
}

/**
 * Detection as `vigil scan FILE` runs it: worker threads read, decode and
 * match (`VIGIL_BENCH_WORKERS` of them, by default as many as vigil runs),
 * this one correlates. Timed from the moment the workers have loaded their
 * rules (start-up is not throughput) to the end-of-input flush.
 */
async function detect(log: string, ruleSet: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-'));
  const configFile = path.join(dir, 'vigil.yml');
  const rulesConfig = ruleSet === 'builtin' ? {} : { builtin: false, dirs: [ruleSet] };
  fs.writeFileSync(
    configFile,
    JSON.stringify({ data_dir: dir, timezone: 'UTC', rules: rulesConfig }),
  );
  const { config: loaded } = loadFromOptions({ config: configFile });
  const detection = loadDetection(loaded, { configFile });
  if (detection.loaded.errors.length > 0) {
    throw new Error(`rule errors:\n${detection.loaded.errors.map((e) => e.message).join('\n')}`);
  }
  process.stderr.write(`${detection.loaded.rules.length} rules\n`);
  let alerts = 0;
  const bruteforce = new Set<string>();
  const onAlerts = (list: Alert[]) => {
    alerts += list.length;
    for (const a of list) {
      const ip = a.group?.['source.ip'];
      if (a.rule.id === BRUTEFORCE_ID && ip) bruteforce.add(ip);
    }
  };
  let t0 = process.hrtime.bigint();
  let cpu0 = process.cpuUsage();
  const { records } = await scanWithWorkers(
    { files: [log], options: { config: configFile }, format: 'auto', errors: false },
    detection.detector,
    {
      onAlerts,
      onReady: () => {
        t0 = process.hrtime.bigint();
        cpu0 = process.cpuUsage();
      },
      signal: new AbortController().signal,
    },
    Number(process.env.VIGIL_BENCH_WORKERS ?? defaultWorkers()),
  );
  detection.detector.flush((a) => onAlerts([a]));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  fs.rmSync(dir, { recursive: true, force: true });
  printPhase({
    phase: `detect ${ruleSet}`,
    lines: records,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    maxRssMiB: maxRssMiB(),
    alerts,
    bruteforce: [...bruteforce].sort(),
  });
}

/** The baseline: read and decode on one thread, no rules. */
async function decodeOnly(log: string): Promise<void> {
  const counters = new Counters();
  const pipeline = new Pipeline({
    decoder: createDecoderStage({
      hostName: 'bench',
      timezone: parseTimeZone('UTC')!,
      maxRecordSize: config.limits.max_record_size,
      decoderDirs: [],
      counters,
    }),
    detectors: [],
    counters,
    batchSize: config.store.batch.size,
    batchInterval: config.store.batch.interval,
  });
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  let lines = 0;
  await scanFiles(
    [log],
    { sourceId: 'bench', format: 'auto', maxRecordSize: config.limits.max_record_size, counters },
    async (batch) => {
      lines += batch.length;
      await pipeline.ingest(batch);
    },
    new AbortController().signal,
  );
  await pipeline.flush();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const errors = counters.get('decode', 'errors');
  if (errors > 0) process.stderr.write(`${errors} decode errors\n`);
  printPhase({
    phase: 'decode',
    lines,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    maxRssMiB: maxRssMiB(),
  });
}
