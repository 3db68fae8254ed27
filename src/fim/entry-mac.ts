import crypto from 'node:crypto';

const BLOCK = 64;
/** Bytes of one entry MAC. */
export const MAC_BYTES = 32;

/**
 * HMAC-SHA256 of one baseline entry (path bytes, a NUL, the stored text),
 * as RFC 2104 defines it, on one-shot hashes over a reused buffer: the same
 * bytes `createHmac` gives, at a fraction of its per-call cost, which counts
 * when every entry of a large tree is MACed on init and verified on check.
 */
export class EntryMac {
  private readonly inner: Buffer;
  private readonly outer = Buffer.alloc(BLOCK + MAC_BYTES);
  private scratch = Buffer.allocUnsafe(4096);

  constructor(key: Uint8Array) {
    const k = key.length > BLOCK ? crypto.hash('sha256', key, 'buffer') : key;
    this.inner = Buffer.alloc(BLOCK);
    for (let i = 0; i < BLOCK; i++) {
      const b = k[i] ?? 0;
      this.inner[i] = b ^ 0x36;
      this.outer[i] = b ^ 0x5c;
    }
  }

  mac(path: string | Uint8Array, text: string): Buffer {
    const out = Buffer.allocUnsafe(MAC_BYTES);
    this.macInto(path, text, out, 0);
    return out;
  }

  /** Writes the MAC into `out` at `at`: a hash thread fills a whole batch's answer in place. */
  macInto(path: string | Uint8Array, text: string, out: Buffer, at: number): void {
    // UTF-8 takes at most three bytes per UTF-16 unit.
    const need = BLOCK + 3 * path.length + 1 + 3 * text.length;
    if (need > this.scratch.length) this.scratch = Buffer.allocUnsafe(need);
    const s = this.scratch;
    this.inner.copy(s, 0);
    let n = BLOCK;
    if (typeof path === 'string') n += s.write(path, n, 'utf8');
    else {
      s.set(path, n);
      n += path.length;
    }
    s[n++] = 0;
    n += s.write(text, n, 'utf8');
    // Answers as one-byte strings written back as bytes: a digest as a new
    // Buffer costs more than the hash itself at these sizes, and latin1
    // ("binary") writes back faster than hex.
    this.outer.write(crypto.hash('sha256', s.subarray(0, n), 'binary'), BLOCK, 'latin1');
    out.write(crypto.hash('sha256', this.outer, 'binary'), at, 'latin1');
  }
}
