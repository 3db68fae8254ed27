import { machine } from './common.js';
import { benchAnomaly } from './anomaly/anomaly.bench.js';
import { benchDecode } from './pipeline/decode.bench.js';
import { benchRules } from './rules/rules.bench.js';
import { benchFim } from './fim/fim.bench.js';
import { benchHost } from './host/sampler.bench.js';

/** `npm run bench`: every benchmark, each printing its figure against a baseline from the same run. */
process.stdout.write(`vigil benchmarks on ${machine()}\n\n`);
process.stdout.write('decode + store (bench/pipeline/decode.bench.ts)\n');
await benchDecode();
process.stdout.write('\ndetection (bench/rules/rules.bench.ts)\n');
await benchRules();
process.stdout.write('\nfile integrity (bench/fim/fim.bench.ts)\n');
await benchFim();
process.stdout.write('\nanomaly engine (bench/anomaly/anomaly.bench.ts)\n');
benchAnomaly();
process.stdout.write('\nhost metrics and process table (bench/host/sampler.bench.ts)\n');
benchHost();
