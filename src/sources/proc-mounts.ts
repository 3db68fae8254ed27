import fs from 'node:fs';
import { round2 } from './proc-system.js';

export interface Mount {
  device: string;
  mountPoint: string;
  fsType: string;
}

/** `\040`-style octal escapes the kernel writes for space, tab, newline and backslash. */
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * /proc/mounts (or /proc/self/mounts): one mount per line. A mount point
 * mounted over again is reported once, as the last (visible) mount.
 */
export function parseMounts(text: string): { mounts: Mount[]; badLines: number } {
  const byPoint = new Map<string, Mount>();
  let badLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const f = line.trim().split(/\s+/);
    if (f.length < 3 || !f[1]!.startsWith('/')) {
      badLines++;
      continue;
    }
    const mountPoint = unescapeMountField(f[1]!);
    byPoint.delete(mountPoint);
    byPoint.set(mountPoint, { device: unescapeMountField(f[0]!), mountPoint, fsType: f[2]! });
  }
  return { mounts: [...byPoint.values()], badLines };
}

export interface FsUsage {
  /** Blocks in use as df counts them: of what is usable by ordinary users. */
  usedPct: number;
  /** Absent when the filesystem has no fixed inode count (btrfs reports 0). */
  inodesUsedPct?: number;
}

/** Space and inode use of the filesystem mounted at `mountPoint` (statfs). */
export function fsUsage(mountPoint: string): FsUsage | undefined {
  const s = fs.statfsSync(mountPoint);
  const used = s.blocks - s.bfree;
  const usable = used + s.bavail;
  if (!(usable > 0)) return undefined;
  const out: FsUsage = { usedPct: round2((100 * used) / usable) };
  if (s.files > 0 && s.ffree <= s.files) {
    out.inodesUsedPct = round2((100 * (s.files - s.ffree)) / s.files);
  }
  return out;
}
