import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Counters } from '../../src/event/counters.js';
import type { RawRecord } from '../../src/event/types.js';
import type { Source, SourceContext } from '../../src/sources/types.js';

export interface TestContext {
  ctx: SourceContext;
  notices: string[];
  counters: Counters;
}

export function testContext(
  checkpoints: ReadonlyMap<string, string> = new Map(),
  maxRecordSize = 65536,
): TestContext {
  const notices: string[] = [];
  const counters = new Counters();
  return {
    ctx: { checkpoints, notice: (m) => notices.push(m), counters, maxRecordSize },
    notices,
    counters,
  };
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-src-'));
}

export interface Running {
  records: RawRecord[];
  texts(): string[];
  stop(): Promise<void>;
  done: Promise<void>;
}

/** Runs a source, collecting what it emits; `stop` aborts and waits for `run` to return. */
export function start(source: Source): Running {
  const ac = new AbortController();
  const records: RawRecord[] = [];
  const done = source.run(ac.signal, async (batch) => {
    records.push(...batch);
  });
  return {
    records,
    texts: () => records.map((r) => r.text),
    done,
    stop: async () => {
      ac.abort();
      await done;
    },
  };
}

export async function waitFor(cond: () => boolean, what: string, ms = 4000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Newest checkpoint value per key, as the pipeline would have committed them. */
export function committed(records: RawRecord[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const r of records) if (r.checkpoint) m.set(r.checkpoint.key, r.checkpoint.value);
  return m;
}
