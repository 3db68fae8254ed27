import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { reportPhase } from '../common.js';

// vigil's phases run the built code, as `vigil fim init` does: under tsx
// every hash thread would first load and compile the TypeScript loader.
// The bench builds dist/ before it starts (buildVigil).
type Schema = typeof import('../../src/config/schema.js');
type Engine = typeof import('../../src/fim/engine.js');
const dist = new URL('../../dist/', import.meta.url);
const { configSchema } = (await import(new URL('config/schema.js', dist).href)) as Schema;
const { closeSession, compareTree, init, openSession, trustedKey } = (await import(
  new URL('fim/engine.js', dist).href
)) as Engine;

/**
 * One FIM bench phase per process (its own time and memory):
 *   raw TREE LIST           read + sha256 every file of LIST on one thread per core: the limit
 *   init|check|full TREE DATA   vigil's baseline build, unchanged check, check --full (built code)
 */
const [phase, tree, arg] = process.argv.slice(2) as [string, string, string];

// The raw limit: no walk, no stat, no store, the same 1 MiB reads, as many
// threads as vigil's pool.
const RAW_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs'); const crypto = require('node:crypto');
const buf = Buffer.allocUnsafe(1 << 20); let bytes = 0;
for (const f of workerData) {
  let fd; try { fd = fs.openSync(f, 'r'); } catch { continue; }
  const h = crypto.createHash('sha256'); let n;
  while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) { h.update(buf.subarray(0, n)); bytes += n; }
  h.digest(); fs.closeSync(fd);
}
parentPort.postMessage(bytes);`;

async function raw(): Promise<number> {
  const files = fs.readFileSync(arg, 'utf8').split('\0').filter(Boolean);
  const n = os.availableParallelism();
  const shares: string[][] = Array.from({ length: n }, () => []);
  files.forEach((f, i) => shares[i % n]!.push(f));
  await Promise.all(
    shares.map(
      (share) =>
        new Promise<number>((resolve, reject) => {
          const w = new Worker(RAW_WORKER, { eval: true, workerData: share });
          w.once('message', resolve);
          w.once('error', reject);
        }),
    ),
  );
  return files.length;
}

async function vigil(mode: 'init' | 'check' | 'full'): Promise<number> {
  const config = configSchema.parse({ data_dir: arg, fim: { paths: [{ path: tree }] } });
  const s = openSession(config, path.join(arg, 'vigil.db'));
  try {
    if (mode === 'init') return (await init(s, arg)).stats.visited;
    const r = await compareTree(s, trustedKey(s, arg), { mode: 'check', full: mode === 'full' });
    // A tree that changes under the bench (a package install) is reported, not hidden.
    if (r.changes.length > 0) process.stderr.write(`${mode}: ${r.changes.length} changes found\n`);
    return r.stats.visited;
  } finally {
    await closeSession(s);
  }
}

await reportPhase(phase, () =>
  phase === 'raw' ? raw() : vigil(phase as 'init' | 'check' | 'full'),
);
