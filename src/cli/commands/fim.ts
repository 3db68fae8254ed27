import fs from 'node:fs';
import { EXIT, VigilError } from '../../errors.js';
import { formatMode, nsToIso } from '../../fim/attributes.js';
import { closeSession, compareTree, init, openSession, trustedKey } from '../../fim/engine.js';
import { diffOf } from '../../fim/events.js';
import type { Change } from '../../fim/judge.js';
import { display, toBytes } from '../../fim/paths.js';
import { normalizeRoot } from '../../fim/policy.js';
import { FimKey } from '../../fim/signer.js';
import { loadFromOptions, printJson, storePath, type GlobalOptions } from '../context.js';

function say(line: string): void {
  process.stdout.write(line + '\n');
}

function seconds(t0: bigint): string {
  return (Number(process.hrtime.bigint() - t0) / 1e9).toFixed(2);
}

function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}

/** `vigil fim init [PATH...]`: builds (or for PATHs, rebuilds part of) the signed baseline. */
export async function fimInit(paths: string[], opts: GlobalOptions): Promise<number> {
  const loaded = loadFromOptions(opts);
  const s = openSession(loaded.config, storePath(loaded));
  const t0 = process.hrtime.bigint();
  try {
    const r = await init(s, loaded.config.data_dir, paths);
    for (const e of r.errors.slice(0, 20)) process.stderr.write(`vigil: fim: ${e}\n`);
    if (r.errors.length > 20)
      process.stderr.write(`vigil: fim: ... ${r.errors.length - 20} more\n`);
    const summary = {
      entries: r.entries,
      visited: r.stats.visited,
      hashed: r.stats.hashed,
      bytes: r.stats.bytesHashed,
      unreadable: r.stats.errors,
      seconds: Number(seconds(t0)),
    };
    if (opts.json) printJson(summary);
    else {
      say(
        `baseline: ${summary.entries} entries (${summary.hashed} files hashed, ${mib(summary.bytes)} MiB) in ${summary.seconds} s` +
          (summary.unreadable > 0 ? `; ${summary.unreadable} recorded with read errors` : ''),
      );
    }
    return EXIT.OK;
  } finally {
    await closeSession(s);
  }
}

function describeChange(c: Change): string {
  const head = `${c.kind.padEnd(8)} ${c.shown}`;
  const tags = [c.status === 'reported' ? '' : c.status, c.level === 'high' ? 'high' : '']
    .filter(Boolean)
    .join(', ');
  const diff = Object.entries(diffOf(c))
    .map(([a, d]) => `${a} ${d.old ?? '-'} → ${d.new ?? '-'}`)
    .join('; ');
  return `${head}${tags ? `  [${tags}]` : ''}${diff ? `\n         ${diff}` : ''}`;
}

function changeJson(c: Change): Record<string, unknown> {
  return {
    change: c.kind,
    path: c.shown,
    status: c.status,
    level: c.level,
    rule: c.rule.root,
    attributes: c.attributes,
    diff: diffOf(c),
    ...(c.setuidGained ? { setuid_gained: true } : {}),
    ...(c.setgidGained ? { setgid_gained: true } : {}),
  };
}

/**
 * `vigil fim check [PATH...]` and `vigil fim accept [PATH...]`: compare with
 * the baseline; check exits 1 while changes wait for review, accept takes
 * them in.
 */
export async function fimCompare(
  mode: 'check' | 'accept',
  paths: string[],
  opts: GlobalOptions & { full?: boolean },
): Promise<number> {
  const loaded = loadFromOptions(opts);
  const s = openSession(loaded.config, storePath(loaded));
  const t0 = process.hrtime.bigint();
  try {
    const key = trustedKey(s, loaded.config.data_dir);
    const r = await compareTree(s, key, { mode, paths, full: opts.full ?? false });
    for (const e of r.errors) process.stderr.write(`vigil: fim: ${e}\n`);
    const changes = [...r.changes].sort((a, b) => Buffer.compare(a.bytes, b.bytes));
    if (opts.json) {
      for (const c of changes) printJson(changeJson(c));
    } else {
      for (const c of changes) say(describeChange(c));
      const by = (st: string) => changes.filter((c) => c.status === st).length;
      const parts = [
        mode === 'accept' ? `${by('accepted')} accepted` : `${r.unaccepted} to review`,
        ...(by('auto_accepted') ? [`${by('auto_accepted')} auto-accepted`] : []),
        ...(by('purged') ? [`${by('purged')} purged`] : []),
        ...(r.allowed ? [`${r.allowed} allowed by policy`] : []),
      ];
      const what =
        changes.length === 0 && r.allowed === 0
          ? 'no changes'
          : `${changes.length} change${changes.length === 1 ? '' : 's'} (${parts.join(', ')})`;
      say(
        `${what}; ${r.stats.visited} entries checked, ${r.stats.hashed} hashed, in ${seconds(t0)} s`,
      );
    }
    return mode === 'check' && r.unaccepted > 0 ? EXIT.FINDINGS : EXIT.OK;
  } finally {
    await closeSession(s);
  }
}

/** `vigil fim history PATH`: every recorded change of one file, oldest first. */
export async function fimHistory(file: string, opts: GlobalOptions): Promise<number> {
  const loaded = loadFromOptions(opts);
  const s = openSession(loaded.config, storePath(loaded));
  try {
    const rows = s.baseline.history(toBytes(normalizeRoot(file)));
    for (const h of rows) {
      const diff = h.attributes
        .map((a) => {
          const show = (st: typeof h.old) => {
            if (!st) return '-';
            if (a === 'mode') return formatMode(st.mode);
            if (a === 'mtime' || a === 'ctime') return nsToIso(st[a]);
            if (a === 'hash') return st.type === 'symlink' ? st.target : st.hash;
            if (a === 'error') return st.error ?? '-';
            return String((st as unknown as Record<string, unknown>)[a] ?? '-');
          };
          return `${a} ${show(h.old)} → ${show(h.new)}`;
        })
        .join('; ');
      const when = new Date(h.ts).toISOString();
      if (opts.json) {
        printJson({
          time: when,
          path: display(h.path),
          change: h.change,
          status: h.status,
          attributes: h.attributes,
          old: h.old,
          new: h.new,
        });
      } else say(`${when}  ${h.change.padEnd(8)} ${h.status.padEnd(13)} ${diff}`.trimEnd());
    }
    if (rows.length === 0 && !opts.json) say(`no recorded changes of ${file}`);
    return rows.length > 0 ? EXIT.OK : EXIT.FINDINGS;
  } finally {
    await closeSession(s);
  }
}

/** `vigil fim verify`: the baseline's own integrity (every entry's MAC, the count, the signed seal). */
export async function fimVerify(opts: GlobalOptions): Promise<number> {
  const loaded = loadFromOptions(opts);
  const s = openSession(loaded.config, storePath(loaded));
  try {
    const key = FimKey.load(loaded.config.data_dir);
    const r = s.baseline.verify(key);
    const seal = s.baseline.seal();
    if (opts.json) printJson({ ...r, seq: seal?.seq, key: seal?.key });
    else if (r.ok)
      say(`baseline ok: ${r.entries} entries, seal #${seal!.seq} signed by key ${seal!.key}`);
    else {
      say(`baseline FAILED verification (${r.entries} entries):`);
      for (const p of r.problems) say(`  ${p}`);
      for (const b of r.badEntries) say(`  altered: ${b}`);
    }
    return r.ok ? EXIT.OK : EXIT.FINDINGS;
  } finally {
    await closeSession(s);
  }
}

/** `vigil fim digest`: one hash of the whole baseline, for peers to compare over time. */
export async function fimDigest(opts: GlobalOptions): Promise<number> {
  const loaded = loadFromOptions(opts);
  if (!fs.existsSync(storePath(loaded))) {
    throw new VigilError(
      'VIGIL_ERR_FIM_BASELINE',
      'no FIM baseline yet: run `vigil fim init` first',
    );
  }
  const s = openSession(loaded.config, storePath(loaded));
  try {
    const key = trustedKey(s, loaded.config.data_dir);
    const d = s.baseline.digest();
    const seal = s.baseline.seal()!;
    if (opts.json) printJson({ ...d, seq: seal.seq, key: key.id });
    else say(`${d.digest}  ${d.entries} entries  seal #${seal.seq}  key ${key.id}`);
    return EXIT.OK;
  } finally {
    await closeSession(s);
  }
}
