import fs from 'node:fs';

/** uid → name from passwd(5) text; malformed lines are skipped. The first entry for a uid wins, as getpwuid does. */
export function parsePasswd(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 7 || f[0] === '') continue;
    const uid = Number(f[2]);
    if (Number.isInteger(uid) && uid >= 0 && !names.has(uid)) names.set(uid, f[0]!);
  }
  return names;
}

/**
 * Names of uids from a passwd file, re-read when the file changes (an account
 * added while vigil runs). A missing file leaves every uid unnamed.
 */
export class UserNames {
  private names = new Map<number, string>();
  private mtimeMs = -1;

  constructor(private readonly file: string) {}

  /** Re-reads the file when its mtime moved; cheap enough for every diff. */
  refresh(): void {
    let st: fs.Stats;
    try {
      st = fs.statSync(this.file);
    } catch {
      this.names = new Map();
      this.mtimeMs = -1;
      return;
    }
    if (st.mtimeMs === this.mtimeMs) return;
    this.mtimeMs = st.mtimeMs;
    try {
      this.names = parsePasswd(fs.readFileSync(this.file, 'utf8'));
    } catch {
      this.names = new Map();
    }
  }

  name(uid: number): string | undefined {
    return this.names.get(uid);
  }
}
