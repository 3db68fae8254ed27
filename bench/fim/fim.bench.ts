import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BENCH_DIR,
  buildVigil,
  ensureDir,
  fastest,
  runPhase,
  type PhaseResult,
} from '../common.js';
import { configSchema } from '../../src/config/schema.js';
import { Counters } from '../../src/event/counters.js';
import { FimMonitor } from '../../src/fim/monitor.js';
import { aidePath, makeAide } from './aide.js';

/**
 * File integrity: on /usr (or a generated tree of 100k files when /usr is
 * small), the raw limit (read + sha256 of every file on every core), vigil
 * init, check of the unchanged tree, check --full, AIDE --init / --check
 * with an equivalent config when installed, and realtime change → event
 * latency. `VIGIL_BENCH_RUNS` (default 1) repeats vigil's phases and the
 * raw limit and keeps the fastest of each (AIDE takes minutes: it runs once).
 */
export async function benchFim(runs = Number(process.env.VIGIL_BENCH_RUNS ?? 1)): Promise<void> {
  const tree = process.env.VIGIL_BENCH_FIM_TREE ?? pickTree();
  const { files, bytes, list } = listFiles(tree);
  const gb = bytes / 1e9;
  process.stdout.write(
    `  tree ${tree}: ${files.toLocaleString('en-US')} files, ${gb.toFixed(2)} GB (${os.availableParallelism()} hashing threads)\n`,
  );
  const script = path.join(import.meta.dirname, 'phases.ts');
  buildVigil();
  runPhase(script, ['raw', tree, list]); // warms the page cache: every figure below is warm
  // Raw and init take turns, so that a slow spell of the machine slows both.
  let rawR: PhaseResult | undefined;
  let initR: PhaseResult | undefined;
  let data = '';
  for (let i = 0; i < runs; i++) {
    rawR = fastest(rawR, runPhase(script, ['raw', tree, list]));
    // Per run: two benches at once must not clobber each other's baseline.
    if (data) fs.rmSync(data, { recursive: true, force: true });
    data = fs.mkdtempSync(path.join(ensureDir(BENCH_DIR), 'fim-data-'));
    initR = fastest(initR, runPhase(script, ['init', tree, data]));
  }
  fs.rmSync(list);
  let checkR: PhaseResult | undefined;
  let fullR: PhaseResult | undefined;
  for (let i = 0; i < runs; i++) {
    checkR = fastest(checkR, runPhase(script, ['check', tree, data]));
    fullR = fastest(fullR, runPhase(script, ['full', tree, data]));
  }
  const row = (name: string, r: PhaseResult, withRate = true) =>
    process.stdout.write(
      `  ${name.padEnd(28)} ${r.seconds.toFixed(2).padStart(7)} s${withRate ? `  ${(gb / r.seconds).toFixed(2)} GB/s` : ''}  max RSS ${r.maxRssMiB} MiB\n`,
    );
  fs.rmSync(data, { recursive: true, force: true });
  const best = runs > 1 ? ` (best of ${runs})` : '';
  row(`raw read+sha256${best}`, rawR!);
  row(`vigil fim init${best}`, initR!);
  row('vigil fim check', checkR!, false);
  row('vigil fim check --full', fullR!);
  process.stdout.write(
    `  init / raw throughput        ${((rawR!.seconds / initR!.seconds) * 100).toFixed(0)}%  (target >= 80%)\n`,
  );
  process.stdout.write(
    `  check --full / raw           ${((rawR!.seconds / fullR!.seconds) * 100).toFixed(0)}%\n`,
  );

  const bin = aidePath();
  if (bin) {
    const work = fs.mkdtempSync(path.join(BENCH_DIR, 'fim-aide-'));
    const aide = makeAide(bin, tree, work);
    const t0 = Date.now();
    aide.init();
    const aideInit = (Date.now() - t0) / 1000;
    const t1 = Date.now();
    const c = aide.check();
    const aideCheck = (Date.now() - t1) / 1000;
    process.stdout.write(
      `  aide --init                  ${aideInit.toFixed(2).padStart(7)} s  ${(gb / aideInit).toFixed(2)} GB/s\n`,
    );
    process.stdout.write(
      `  aide --check                 ${aideCheck.toFixed(2).padStart(7)} s  (${c.added.length + c.removed.length + c.changed.length} differences)\n`,
    );
    process.stdout.write(
      `  vigil init vs aide --init    ${(aideInit / initR!.seconds).toFixed(1)}x faster  (target >= 1x)\n`,
    );
    process.stdout.write(
      `  vigil check vs aide --check  ${(aideCheck / checkR!.seconds).toFixed(1)}x faster  (target >= 10x)\n`,
    );
    fs.rmSync(work, { recursive: true, force: true });
  } else {
    process.stdout.write('  aide not installed (apt-get install aide): peer comparison skipped\n');
  }

  const lat = await realtimeLatency(20);
  process.stdout.write(
    `  realtime change → event      median ${lat.median} ms, max ${lat.max} ms over ${lat.n} changes (target < 1000 ms)\n`,
  );
}

function pickTree(): string {
  let n = 0;
  for (const e of fs.readdirSync('/usr', { recursive: true, withFileTypes: true })) {
    if (e.isFile() && ++n >= 50_000) return '/usr';
  }
  return generateTree(path.join(BENCH_DIR, 'fim-tree'), 100_000);
}

/** 100k files in 1000 directories, sizes from 100 bytes to 1 MiB (like a /usr). */
function generateTree(root: string, count: number): string {
  const done = path.join(root, '.complete');
  if (fs.existsSync(done)) return root;
  fs.rmSync(root, { recursive: true, force: true });
  const chunk = Buffer.alloc(1 << 20, 'vigil fim bench ');
  for (let i = 0; i < count; i++) {
    const dir = path.join(root, `d${Math.floor(i / 100)}`);
    if (i % 100 === 0) fs.mkdirSync(dir, { recursive: true });
    const size = i % 97 === 0 ? 1 << 20 : 100 + ((i * 7919) % 60_000);
    fs.writeFileSync(path.join(dir, `f${i}`), chunk.subarray(0, size));
  }
  fs.writeFileSync(done, '');
  return root;
}

function listFiles(tree: string): { files: number; bytes: number; list: string } {
  const out: string[] = [];
  let bytes = 0;
  for (const e of fs.readdirSync(tree, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath, e.name);
    out.push(p);
    bytes += fs.lstatSync(p).size;
  }
  const list = path.join(ensureDir(BENCH_DIR), `fim-files-${process.pid}.lst`);
  fs.writeFileSync(list, out.join('\0'));
  return { files: out.length, bytes, list };
}

async function realtimeLatency(n: number): Promise<{ n: number; median: number; max: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-fim-bench-'));
  const root = path.join(dir, 'watched');
  fs.mkdirSync(root);
  for (let i = 0; i < n; i++) fs.writeFileSync(path.join(root, `f${i}`), 'x');
  const config = configSchema.parse({
    data_dir: path.join(dir, 'data'),
    fim: { scan_interval: '1h', paths: [{ path: root }] },
  });
  let seen: (() => void) | undefined;
  let ready: (() => void) | undefined;
  const readyP = new Promise<void>((r) => (ready = r));
  const monitor = new FimMonitor({
    config,
    storeFile: path.join(dir, 'data', 'vigil.db'),
    counters: new Counters(),
    notice: (m) => {
      if (/realtime watching/.test(m)) ready!();
    },
  });
  const abort = new AbortController();
  const running = monitor.run(abort.signal, async () => seen?.());
  await readyP;
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const got = new Promise<void>((r) => (seen = r));
    const t0 = performance.now();
    fs.chmodSync(path.join(root, `f${i}`), 0o600);
    await got;
    times.push(Math.round(performance.now() - t0));
  }
  abort.abort();
  await running;
  fs.rmSync(dir, { recursive: true, force: true });
  times.sort((a, b) => a - b);
  return { n, median: times[Math.floor(n / 2)]!, max: times[n - 1]! };
}
