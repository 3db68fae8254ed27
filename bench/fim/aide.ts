import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * AIDE (Debian's aide package) driven with a config equivalent to vigil's
 * default attribute set: for files p+i+n+u+g+s+m+c+sha256, for directories
 * only what vigil compares of them (p+i+u+g), for links the target (AIDE’s `l`).
 */
export interface Aide {
  init(): number;
  /** Exit status and the changed paths, by kind. */
  check(): { status: number; added: string[]; removed: string[]; changed: string[] };
}

export function aidePath(): string | undefined {
  for (const p of ['/usr/bin/aide', '/usr/sbin/aide']) if (fs.existsSync(p)) return p;
  return undefined;
}

export function makeAide(bin: string, tree: string, workDir: string): Aide {
  const db = path.join(workDir, 'aide.db');
  const conf = path.join(workDir, 'aide.conf');
  fs.writeFileSync(
    conf,
    [
      `database_in=file:${db}`,
      `database_out=file:${db}.new`,
      `database_new=file:${db}.new`,
      'report_url=stdout',
      'Vig = p+i+n+u+g+s+m+c+sha256',
      `${tree} f Vig`,
      `${tree} d p+i+u+g`,
      `${tree} l p+i+l+u+g+s+m+c`,
      `${tree} p p+i+n+u+g+m+c`,
      '',
    ].join('\n'),
  );
  return {
    init() {
      const r = spawnSync(bin, ['-c', conf, '--init'], { encoding: 'utf8', maxBuffer: 1 << 26 });
      if (r.status !== 0) throw new Error(`aide --init failed (${r.status}): ${r.stderr}`);
      fs.renameSync(`${db}.new`, db);
      return r.status;
    },
    check() {
      const r = spawnSync(bin, ['-c', conf, '--check'], { encoding: 'utf8', maxBuffer: 1 << 26 });
      const out = {
        status: r.status ?? -1,
        added: [] as string[],
        removed: [] as string[],
        changed: [] as string[],
      };
      let section: 'added' | 'removed' | 'changed' | undefined;
      for (const line of r.stdout.split('\n')) {
        if (/^Added entries:/.test(line)) section = 'added';
        else if (/^Removed entries:/.test(line)) section = 'removed';
        else if (/^Changed entries:/.test(line)) section = 'changed';
        else if (/^Detailed information/.test(line)) section = undefined;
        const m = /^[a-z!][^:]*: (\/.*)$/.exec(line);
        if (section && m) out[section].push(m[1]!);
      }
      return out;
    },
  };
}
