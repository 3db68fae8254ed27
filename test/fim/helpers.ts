import fs from 'node:fs';
import path from 'node:path';
import { configSchema, type FimPathConfig } from '../../src/config/schema.js';
import { closeSession, compareTree, init, openSession, trustedKey } from '../../src/fim/engine.js';
import type { Change } from '../../src/fim/judge.js';
import { tmpDir } from '../helpers/tmp.js';

export interface Tree {
  root: string;
  data: string;
  store: string;
  config: ReturnType<typeof configSchema.parse>;
  session: ReturnType<typeof openSession>;
  init(paths?: string[]): ReturnType<typeof init>;
  check(opts?: { paths?: string[]; full?: boolean }): ReturnType<typeof compareTree>;
  accept(paths?: string[]): ReturnType<typeof compareTree>;
  /** `kind rel attr,attr [status]` per change, sorted: what the assertions compare. */
  lines(changes: Change[], withStatus?: boolean): string[];
}

/** A temporary tree under one FIM rule, with its own data directory and store. */
export function makeTree(
  t: { after: (fn: () => void | Promise<void>) => void },
  rule: Partial<FimPathConfig> = {},
  fim: Record<string, unknown> = {},
): Tree {
  const dir = tmpDir(t, 'vigil-fim-');
  const root = path.join(dir, 'tree');
  const data = path.join(dir, 'data');
  fs.mkdirSync(root);
  const config = configSchema.parse({
    data_dir: data,
    fim: { workers: 1, ...fim, paths: [{ path: root, ...rule }] },
  });
  const store = path.join(data, 'vigil.db');
  const session = openSession(config, store);
  t.after(() => closeSession(session));
  const rel = (c: Change) => path.relative(root, c.shown) || '.';
  return {
    root,
    data,
    store,
    config,
    session,
    init: (paths = []) => init(session, data, paths),
    check: async (opts = {}) =>
      compareTree(session, trustedKey(session, data), { mode: 'check', ...opts }),
    accept: async (paths = []) =>
      compareTree(session, trustedKey(session, data), { mode: 'accept', paths }),
    lines: (changes, withStatus = false) =>
      changes
        .map((c) =>
          [c.kind, rel(c), c.attributes.join(','), withStatus ? c.status : '']
            .filter(Boolean)
            .join(' '),
        )
        .sort(),
  };
}

export function write(file: string, text: string, mtimeSec?: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  if (mtimeSec !== undefined) fs.utimesSync(file, mtimeSec, mtimeSec);
}
