import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { EXIT, VigilError } from '../errors.js';
import { SqliteStore } from '../store/sqlite.js';
import type { Store } from '../store/types.js';

/** Options every command takes (from the command line or the environment). */
export interface GlobalOptions {
  config?: string;
  dataDir?: string;
  json?: boolean;
}

/**
 * The config file: --config, else VIGIL_CONFIG, else ./vigil.yml when it
 * exists, else none (built-in defaults).
 */
export function resolveConfigFile(opts: GlobalOptions): string | undefined {
  if (opts.config) return opts.config;
  if (process.env.VIGIL_CONFIG) return process.env.VIGIL_CONFIG;
  return fs.existsSync('vigil.yml') ? 'vigil.yml' : undefined;
}

export function loadFromOptions(opts: GlobalOptions): LoadedConfig {
  return loadConfig({
    file: resolveConfigFile(opts),
    dataDir: opts.dataDir ?? process.env.VIGIL_DATA_DIR,
  });
}

export function storePath(loaded: LoadedConfig): string {
  return loaded.config.store.path
    ? path.resolve(loaded.config.store.path)
    : path.join(loaded.config.data_dir, 'vigil.db');
}

/** The store for commands that write a stream of events: inserts run on a writer thread. */
export async function openStore(loaded: LoadedConfig): Promise<Store> {
  return SqliteStore.open(storePath(loaded), { writerThread: true });
}

/** For commands that only read: a missing store is a clear error, not a new empty database. */
export async function openExistingStore(loaded: LoadedConfig): Promise<Store> {
  const file = storePath(loaded);
  if (!fs.existsSync(file)) {
    throw new VigilError(
      'VIGIL_ERR_STORE_OPEN',
      `no store at ${file}: run \`vigil start\` (or \`vigil scan --store\`) first, or pass --data-dir`,
      { file },
    );
  }
  return SqliteStore.open(file);
}

/** Prints a VigilError as the user should see it and returns the exit code. */
export function reportError(err: unknown): number {
  if (err instanceof VigilError) {
    process.stderr.write(`vigil: ${err.message}\n`);
    return err.exitCode;
  }
  process.stderr.write(`vigil: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
  return EXIT.RUNTIME;
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}
