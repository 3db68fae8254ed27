import { loadDetection } from '../../src/cli/detection.js';
import { parseConfig } from '../../src/config/load.js';
import { createDecoderStage } from '../../src/decoders/index.js';
import { Counters } from '../../src/event/counters.js';
import { parseTimeZone } from '../../src/event/timezone.js';
import type { Alert } from '../../src/event/types.js';
import type { Detector } from '../../src/pipeline/detect.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { scanFiles } from '../../src/sources/file-scan.js';
import { maxRssMiB, printPhase } from '../common.js';

/*
 * One detection benchmark phase per process (its time and memory are its
 * own): `decode FILE` (the baseline: read, decode, no rules) or
 * `detect FILE RULES` with RULES `builtin` (the shipped set, as `vigil scan`
 * loads it) or a directory of rules. Loading rules is not timed; the scan,
 * the pipeline and the final flush of open correlation windows are.
 */
const [phase, file, rules] = process.argv.slice(2) as [string, string, string | undefined];

/** The built-in brute-force correlation (rules/builtin/correlation/ssh-bruteforce-source.yml). */
const BRUTEFORCE_ID = '52265373-df4d-4088-ad43-601fabdfffcd';

const config = parseConfig({ timezone: 'UTC' }, 'bench');
let detectors: Detector[] = [];
if (phase === 'detect') {
  const detection = loadDetection(config, rules === 'builtin' ? {} : { paths: [rules!] });
  if (detection.loaded.errors.length > 0) {
    throw new Error(`rule errors:\n${detection.loaded.errors.map((e) => e.message).join('\n')}`);
  }
  process.stderr.write(`${detection.loaded.rules.length} rules\n`);
  detectors = [detection.detector];
} else if (phase !== 'decode') {
  throw new Error(`unknown phase ${phase}`);
}

const counters = new Counters();
let alerts = 0;
const bruteforce = new Set<string>();
const pipeline = new Pipeline({
  decoder: createDecoderStage({
    hostName: 'bench',
    timezone: parseTimeZone('UTC')!,
    maxRecordSize: config.limits.max_record_size,
    decoderDirs: [],
    counters,
  }),
  detectors,
  counters,
  batchSize: config.store.batch.size,
  batchInterval: config.store.batch.interval,
  onAlerts: (list: Alert[]) => {
    alerts += list.length;
    for (const a of list) {
      const ip = a.group?.['source.ip'];
      if (a.rule.id === BRUTEFORCE_ID && ip) bruteforce.add(ip);
    }
  },
});

const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
let lines = 0;
await scanFiles(
  [file],
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
  phase: rules ? `${phase} ${rules}` : phase,
  lines,
  seconds,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  maxRssMiB: maxRssMiB(),
  ...(phase === 'detect' ? { alerts, bruteforce: [...bruteforce].sort() } : {}),
});
