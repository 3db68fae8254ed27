import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts a worker from a module beside `base` (an `import.meta.url`). Built,
 * that module is a .js file; under tsx (tests, benchmarks) it is a .ts file,
 * and a worker does not inherit tsx's loader, so a small bootstrap registers
 * it first: tsx's require hook, which starts in a third of the time (and
 * CPU) of its ESM hooks and their extra thread.
 */
export function startWorker(relative: string, base: string, workerData?: unknown): Worker {
  if (!base.endsWith('.ts')) return new Worker(new URL(`${relative}.js`, base), { workerData });
  const target = fileURLToPath(new URL(`${relative}.ts`, base));
  // Resolved here: the worker's own resolution would start from its cwd.
  const tsx = fileURLToPath(import.meta.resolve('tsx/cjs/api'));
  const boot = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(target)});`;
  return new Worker(boot, { eval: true, workerData });
}
