import { Worker } from 'node:worker_threads';

/**
 * Starts a worker from a module beside `base` (an `import.meta.url`). Built,
 * that module is a .js file; under tsx (tests, benchmarks) it is a .ts file,
 * and a worker does not inherit tsx's loader, so a small bootstrap registers
 * it first.
 */
export function startWorker(relative: string, base: string, workerData?: unknown): Worker {
  if (!base.endsWith('.ts')) return new Worker(new URL(`${relative}.js`, base), { workerData });
  const target = new URL(`${relative}.ts`, base).href;
  // Resolved from here, so the bootstrap finds tsx wherever the worker's cwd is.
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); });`;
  return new Worker(boot, { eval: true, workerData });
}
