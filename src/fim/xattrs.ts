import { spawnSync } from 'node:child_process';
import type { FsPath } from './paths.js';

/**
 * Extended attributes (POSIX ACLs included, as system.posix_acl_*) of one
 * path, without following a final symlink. Node has no getxattr and the
 * native packages for it are unmaintained, so this asks getfattr (Debian
 * package `attr`): one process per path, which is why `xattrs` is not in the
 * default attribute group.
 */
export function readXattrs(p: FsPath): { xattrs: Record<string, string> } | { error: string } {
  if (typeof p !== 'string')
    return { error: 'xattrs: name is not UTF-8, getfattr cannot be given it' };
  const r = spawnSync(
    'getfattr',
    ['-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', '--', p],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    },
  );
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    return {
      error:
        code === 'ENOENT'
          ? 'xattrs: getfattr not installed (apt-get install attr)'
          : `xattrs: ${r.error.message}`,
    };
  }
  // getfattr exits 1 on filesystems without xattr support: no attributes.
  if (r.status !== 0 && !/Operation not supported/.test(r.stderr)) {
    return {
      error: `xattrs: ${r.stderr.trim().split('\n').at(-1) ?? `getfattr exited ${r.status}`}`,
    };
  }
  const xattrs: Record<string, string> = {};
  for (const line of r.stdout.split('\n')) {
    const m = /^([^#=][^=]*)=(0x[0-9a-f]*)$/.exec(line);
    if (m) xattrs[m[1]!] = m[2]!;
  }
  return { xattrs };
}
