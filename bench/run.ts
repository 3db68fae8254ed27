import { machine } from './common.js';
import { benchDecode } from './pipeline/decode.bench.js';

/** `npm run bench`: every benchmark, each printing its figure against a baseline from the same run. */
process.stdout.write(`vigil benchmarks on ${machine()}\n\n`);
process.stdout.write('decode + store (bench/pipeline/decode.bench.ts)\n');
await benchDecode();
