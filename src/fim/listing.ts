import fs from 'node:fs';
import type { FsPath } from './paths.js';

export type Entry = fs.Dirent<string> | fs.Dirent<Buffer>;

/**
 * A directory's entries in name order. Names come back as strings, the
 * common and cheap case; a listing with a name that is not UTF-8 (decoding
 * turned some bytes into U+FFFD) is read again as bytes, so that such a
 * name still points at its file.
 */
export function listDir(dir: FsPath): Entry[] {
  const named = fs.readdirSync(dir, { withFileTypes: true });
  if (!named.some((e) => e.name.includes('\uFFFD'))) {
    return named.sort((a, b) => (a.name < b.name ? -1 : 1));
  }
  const raw = fs.readdirSync(dir, { encoding: 'buffer', withFileTypes: true });
  return raw.sort((a, b) => Buffer.compare(a.name, b.name));
}
