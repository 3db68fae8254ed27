import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { VigilError } from '../errors.js';
import { EntryMac } from './entry-mac.js';

/**
 * The baseline's key: an Ed25519 key pair in the data directory (0600). The
 * baseline is sealed by a signature over its entry count and the sum of a
 * keyed MAC of every entry; the MAC key is derived from the private key, so
 * one file holds all the secret and an entry cannot be forged, swapped,
 * dropped or added without the seal breaking.
 */
const KEY_FILE = 'fim-ed25519.key';
const MOD = 1n << 256n;

export class FimKey {
  private readonly macKey: Buffer;
  private readonly entryMac: EntryMac;

  private constructor(
    private readonly privateKey: crypto.KeyObject,
    readonly publicKey: crypto.KeyObject,
    readonly file: string,
  ) {
    const raw = privateKey.export({ format: 'der', type: 'pkcs8' });
    this.macKey = crypto.createHash('sha256').update('vigil fim entry mac\0').update(raw).digest();
    this.entryMac = new EntryMac(this.macKey);
  }

  static path(dataDir: string): string {
    return path.join(dataDir, KEY_FILE);
  }

  /** The key, or undefined when there is none yet; a readable-by-others key is refused. */
  static load(dataDir: string): FimKey | undefined {
    const file = FimKey.path(dataDir);
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      return undefined;
    }
    if ((st.mode & 0o077) !== 0) {
      throw new VigilError(
        'VIGIL_ERR_FIM_KEY',
        `FIM key ${file} is accessible by others (mode ${(st.mode & 0o777).toString(8)}): chmod 600 it, and re-init the baseline if it may have leaked`,
        { file },
      );
    }
    try {
      const priv = crypto.createPrivateKey(fs.readFileSync(file));
      return new FimKey(priv, crypto.createPublicKey(priv), file);
    } catch (err) {
      throw new VigilError(
        'VIGIL_ERR_FIM_KEY',
        `cannot read FIM key ${file}: ${(err as Error).message}`,
        {
          file,
          cause: err,
        },
      );
    }
  }

  static loadOrCreate(dataDir: string): FimKey {
    const existing = FimKey.load(dataDir);
    if (existing) return existing;
    const file = FimKey.path(dataDir);
    fs.mkdirSync(dataDir, { recursive: true });
    const { privateKey } = crypto.generateKeyPairSync('ed25519');
    // `wx`: never overwrite a key another process just made.
    fs.writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), {
      mode: 0o600,
      flag: 'wx',
    });
    return FimKey.load(dataDir)!;
  }

  /** Short fingerprint of the public key, shown with digests and seals. */
  get id(): string {
    const raw = this.publicKey.export({ format: 'der', type: 'spki' });
    return crypto.createHash('sha256').update(raw).digest('hex').slice(0, 16);
  }

  /** For the hash threads, which MAC the entries of an init as they hash. */
  get macKeyBytes(): Buffer {
    return this.macKey;
  }

  mac(pathBytes: Buffer, state: string): Buffer {
    return this.entryMac.mac(pathBytes, state);
  }

  sign(data: string): string {
    return crypto.sign(null, Buffer.from(data), this.privateKey).toString('base64');
  }

  verify(data: string, signature: string): boolean {
    return crypto.verify(null, Buffer.from(data), this.publicKey, Buffer.from(signature, 'base64'));
  }
}

/** The sum of entry MACs mod 2^256: updated per entry without re-reading the rest. */
export function addMac(aggregate: bigint, mac: Buffer, sign: 1 | -1 = 1): bigint {
  const v = BigInt('0x' + mac.toString('hex'));
  return (((aggregate + BigInt(sign) * v) % MOD) + MOD) % MOD;
}

/**
 * The sum of many MACs mod 2^256, in eight 32-bit lanes of plain numbers
 * (exact while a lane stays below 2^53, so carries are folded every 2^20
 * MACs): a whole-baseline pass without a BigInt per entry.
 */
export class MacSum {
  private readonly lanes = new Array<number>(8).fill(0);
  private n = 0;
  private folded = 0n;

  add(mac: Buffer): void {
    for (let i = 0; i < 8; i++) this.lanes[i]! += mac.readUInt32BE(i * 4);
    if (++this.n === 1 << 20) this.fold();
  }

  private fold(): void {
    let v = 0n;
    for (let i = 0; i < 8; i++) v += BigInt(this.lanes[i]!) << BigInt(32 * (7 - i));
    this.folded = (this.folded + v) % MOD;
    this.lanes.fill(0);
    this.n = 0;
  }

  value(): bigint {
    this.fold();
    return this.folded;
  }
}

export interface Seal {
  version: 1;
  entries: number;
  aggregate: string;
  /** Bumped on every change; a replayed older seal shows a lower number. */
  seq: number;
  updated: string;
  key: string;
  signature: string;
}

function sealPayload(s: Omit<Seal, 'signature'>): string {
  return JSON.stringify([s.version, s.entries, s.aggregate, s.seq, s.updated, s.key]);
}

export function makeSeal(key: FimKey, entries: number, aggregate: bigint, seq: number): Seal {
  const body = {
    version: 1 as const,
    entries,
    aggregate: aggregate.toString(16).padStart(64, '0'),
    seq,
    updated: new Date().toISOString(),
    key: key.id,
  };
  return { ...body, signature: key.sign(sealPayload(body)) };
}

export function sealSignatureValid(key: FimKey, seal: Seal): boolean {
  try {
    return seal.key === key.id && key.verify(sealPayload(seal), seal.signature);
  } catch {
    return false;
  }
}
