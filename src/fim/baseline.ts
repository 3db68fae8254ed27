import crypto from 'node:crypto';
import Database from 'better-sqlite3';
import type { FimPathConfig } from '../config/schema.js';
import { VigilError } from '../errors.js';
import { openDatabase } from '../store/open.js';
import { decodeState, type FileState } from './attributes.js';
import { display, fromBytes, nameKey } from './paths.js';
import { addMac, MacSum, makeSeal, sealSignatureValid, type FimKey, type Seal } from './signer.js';
import { Staging } from './staging.js';

export interface BaselineRow {
  path: Buffer;
  readonly state: FileState;
  /** The stored encoding, exactly as MACed. */
  text: string;
  mac: Buffer;
}

export type ChangeKind = 'added' | 'removed' | 'changed';
/** reported: waits for review; accepted: by `vigil fim accept`; auto_accepted: by policy; purged: a vanished file's entry dropped by policy. */
export type HistoryStatus = 'reported' | 'accepted' | 'auto_accepted' | 'purged';

export interface HistoryRow {
  id: number;
  ts: number;
  path: Buffer;
  change: ChangeKind;
  status: HistoryStatus;
  attributes: string[];
  old?: FileState;
  new?: FileState;
}

export type BaselineOp =
  | { op: 'put'; path: Buffer; text: string }
  | { op: 'delete'; path: Buffer }
  | {
      op: 'history';
      path: Buffer;
      change: ChangeKind;
      status: HistoryStatus;
      attributes: string[];
      old?: string;
      new?: string;
    };

export interface VerifyReport {
  ok: boolean;
  entries: number;
  sealed: boolean;
  signatureValid: boolean;
  /** Entries whose MAC does not match their content (display paths, first 20). */
  badEntries: string[];
  badCount: number;
  problems: string[];
}

const SLASH = 0x2f;
// Follows '/' in byte order: `x0` is the first key past every `x/...`.
const PAST_SLASH = 0x30;

/** Range bounds of everything strictly below a directory: `dir/` ≤ path < `dir0`. */
function belowBounds(root: Buffer): [Buffer, Buffer] {
  const base = root.length === 1 && root[0] === SLASH ? Buffer.alloc(0) : root;
  return [Buffer.concat([base, Buffer.from('/')]), Buffer.concat([base, Buffer.from('0')])];
}

/**
 * The baseline in the store's SQLite file, on its own connection (WAL lets
 * it share the file with a running `vigil start`). Every change goes through
 * `apply`, one short IMMEDIATE transaction that also re-signs the seal;
 * `init` stages rows in a table of its own (see Staging) and swaps them in
 * at the end.
 */
export class Baseline {
  private readonly db: Database.Database;
  private readonly stmts;

  private constructor(db: Database.Database) {
    this.db = db;
    this.stmts = {
      get: db.prepare('SELECT path, state, mac FROM fim_entries WHERE path = ?'),
      below: db.prepare('SELECT path, state, mac FROM fim_entries WHERE path >= ? AND path < ?'),
      put: db.prepare(
        'INSERT OR REPLACE INTO fim_entries (path, state, mac, updated) VALUES (?, ?, ?, ?)',
      ),
      del: db.prepare('DELETE FROM fim_entries WHERE path = ?'),
      history: db.prepare(
        'INSERT INTO fim_history (ts, path, change, status, attributes, old, new) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      lastHistory: db.prepare('SELECT * FROM fim_history WHERE path = ? ORDER BY id DESC LIMIT 1'),
      historyOf: db.prepare('SELECT * FROM fim_history WHERE path = ? ORDER BY id'),
      metaGet: db.prepare('SELECT value FROM fim_meta WHERE key = ?'),
      metaPut: db.prepare('INSERT OR REPLACE INTO fim_meta (key, value) VALUES (?, ?)'),
      count: db.prepare('SELECT count(*) AS n FROM fim_entries'),
      all: db.prepare('SELECT path, state, mac FROM fim_entries ORDER BY path'),
      macs: db.prepare('SELECT mac FROM fim_entries'),
    };
  }

  static open(file: string): Baseline {
    const db = openDatabase(file);
    return new Baseline(db);
  }

  close(): void {
    this.db.close();
  }

  private verifier: FimKey | undefined;

  /**
   * From now on every entry read is checked against its MAC; with
   * `verifySeal` this makes each check trust exactly what it reads, without
   * re-MACing the whole baseline first.
   */
  verifyReads(key: FimKey): void {
    this.verifier = key;
  }

  private row(r: unknown): BaselineRow {
    const { path: p, state, mac } = r as { path: Buffer; state: string; mac: Buffer };
    if (this.verifier && !this.verifier.mac(p, state).equals(mac)) {
      throw new VigilError(
        'VIGIL_ERR_FIM_TAMPERED',
        `FIM baseline entry ${display(p)} does not match its MAC: the baseline was altered outside vigil. Investigate, then rebuild it with \`vigil fim init\``,
      );
    }
    // Parsed on first use: an unchanged file is recognised from the text alone.
    let parsed: FileState | undefined;
    return {
      path: p,
      text: state,
      mac,
      get state() {
        return (parsed ??= decodeState(state));
      },
    };
  }

  /**
   * The cheap whole-baseline check: the seal is signed by `key`, and the
   * stored MACs are exactly the sealed set (count and sum). Entry contents
   * are then checked as they are read (`verifyReads`).
   */
  verifySeal(key: FimKey | undefined): string[] {
    const seal = this.seal();
    const sum = new MacSum();
    let n = 0;
    for (const r of this.stmts.macs.iterate()) {
      sum.add((r as { mac: Buffer }).mac);
      n++;
    }
    if (!key)
      return [n > 0 || seal ? 'the FIM key is missing from the data directory' : 'no baseline'];
    if (!seal) return [n > 0 ? 'entries exist but the seal is missing' : 'no baseline'];
    const problems: string[] = [];
    if (!sealSignatureValid(key, seal))
      problems.push('the seal signature is invalid or made with another key');
    if (seal.entries !== n)
      problems.push(`the seal counts ${seal.entries} entries, the baseline holds ${n}`);
    if (sum.value().toString(16).padStart(64, '0') !== seal.aggregate) {
      problems.push(
        'the entries do not sum to the sealed aggregate (entries added, removed or altered)',
      );
    }
    return problems;
  }

  /**
   * The entries directly inside `dir`, by `nameKey` of their names: the
   * range below it in path order, stepping over each subdirectory's own
   * range (`dir/sub/...` ends before `dir/sub0`), so that a check reads each
   * row once, in key order, without a second index.
   */
  children(dir: Buffer): Map<string, BaselineRow> {
    const out = new Map<string, BaselineRow>();
    const bounds = belowBounds(dir);
    const hi = bounds[1];
    let lo = bounds[0];
    const skip = lo.length;
    for (let more = true; more;) {
      more = false;
      for (const r of this.stmts.below.iterate(lo, hi)) {
        const p = (r as { path: Buffer }).path;
        // The root's range starts with the root itself.
        if (p.length === skip) continue;
        const slash = p.indexOf(SLASH, skip);
        if (slash >= 0) {
          lo = Buffer.concat([p.subarray(0, slash), Buffer.of(PAST_SLASH)]);
          more = true;
          break;
        }
        const row = this.row(r);
        out.set(nameKey(fromBytes(p.subarray(skip))), row);
      }
    }
    return out;
  }

  get(p: Buffer): BaselineRow | undefined {
    const r = this.stmts.get.get(p);
    return r === undefined ? undefined : this.row(r);
  }

  /** Every entry strictly below a directory (read at once: callers write while they go through it). */
  below(dir: Buffer): BaselineRow[] {
    const [lo, hi] = belowBounds(dir);
    const rows = this.stmts.below.all(lo, hi) as Array<{ path: Buffer }>;
    // The root's range starts with the root itself.
    return rows.filter((r) => r.path.length > lo.length).map((r) => this.row(r));
  }

  get entries(): number {
    return (this.stmts.count.get() as { n: number }).n;
  }

  seal(): Seal | undefined {
    const r = this.stmts.metaGet.get('seal') as { value: string } | undefined;
    return r ? (JSON.parse(r.value) as Seal) : undefined;
  }

  /** Rules of paths baselined from the command line without a policy of their own. */
  adHocRules(): FimPathConfig[] {
    const r = this.stmts.metaGet.get('adhoc_rules') as { value: string } | undefined;
    return r ? (JSON.parse(r.value) as FimPathConfig[]) : [];
  }

  setAdHocRules(rules: FimPathConfig[]): void {
    this.stmts.metaPut.run('adhoc_rules', JSON.stringify(rules));
  }

  lastHistory(p: Buffer): HistoryRow | undefined {
    const r = this.stmts.lastHistory.get(p);
    return r === undefined ? undefined : historyRow(r);
  }

  history(p: Buffer): HistoryRow[] {
    return this.stmts.historyOf.all(p).map(historyRow);
  }

  /** The seal to build on, refusing one that is missing or not ours. */
  private trustedSeal(key: FimKey): Seal | undefined {
    const seal = this.seal();
    if (!seal) {
      if (this.entries > 0) {
        throw new VigilError(
          'VIGIL_ERR_FIM_TAMPERED',
          'FIM baseline has entries but no seal: it was altered outside vigil',
        );
      }
      return undefined;
    }
    if (!sealSignatureValid(key, seal)) {
      throw new VigilError(
        'VIGIL_ERR_FIM_TAMPERED',
        'FIM baseline seal signature is invalid (or made with another key)',
      );
    }
    return seal;
  }

  /**
   * Applies entry changes and history in one transaction and re-signs the
   * seal. An entry about to be replaced or deleted must still match its MAC:
   * a tampered row is refused rather than laundered into a fresh signature.
   */
  apply(ops: readonly BaselineOp[], key: FimKey): void {
    if (ops.length === 0) return;
    const now = Date.now();
    const tx = this.db.transaction(() => {
      const seal = this.trustedSeal(key);
      let agg = seal ? BigInt('0x' + seal.aggregate) : 0n;
      let count = seal?.entries ?? 0;
      const drop = (p: Buffer): void => {
        const old = this.get(p);
        if (!old) return;
        if (!key.mac(old.path, old.text).equals(old.mac)) {
          throw new VigilError(
            'VIGIL_ERR_FIM_TAMPERED',
            `FIM baseline entry ${display(old.path)} does not match its MAC`,
          );
        }
        agg = addMac(agg, old.mac, -1);
        count--;
        this.stmts.del.run(p);
      };
      for (const o of ops) {
        if (o.op === 'put') {
          drop(o.path);
          const mac = key.mac(o.path, o.text);
          this.stmts.put.run(o.path, o.text, mac, now);
          agg = addMac(agg, mac);
          count++;
        } else if (o.op === 'delete') {
          drop(o.path);
        } else {
          this.stmts.history.run(
            now,
            o.path,
            o.change,
            o.status,
            JSON.stringify(o.attributes),
            o.old ?? null,
            o.new ?? null,
          );
        }
      }
      this.stmts.metaPut.run(
        'seal',
        JSON.stringify(makeSeal(key, count, agg, (seal?.seq ?? 0) + 1)),
      );
    });
    tx.immediate();
  }

  private staging: Staging | undefined;

  /** Starts an init: rows go to a staging table until `commitStaged` (or `abortStaging`). */
  beginStaging(): void {
    this.abortStaging();
    this.staging = new Staging(this.db);
  }

  /** One new entry; its text as a string or as its UTF-8 bytes. */
  stage(p: Buffer, text: string | Buffer, mac: Buffer): void {
    this.staging!.add(p, text, mac);
  }

  abortStaging(): void {
    this.staging?.drop();
    this.staging = undefined;
  }

  /**
   * Replaces the entries under `roots` (all entries when `roots` is
   * undefined) with the staged ones and re-signs, in one transaction.
   */
  commitStaged(roots: Buffer[] | undefined, key: FimKey, adHoc?: FimPathConfig[]): number {
    const staging = this.staging!;
    staging.flush();
    const tx = this.db.transaction(() => {
      const seal = roots === undefined ? undefined : this.trustedSeal(key);
      let agg = seal ? BigInt('0x' + seal.aggregate) : 0n;
      let count = seal?.entries ?? 0;
      if (roots === undefined) {
        // The staging table becomes the baseline: no row is copied.
        this.db.exec(`DROP TABLE fim_entries;
          ALTER TABLE ${staging.table} RENAME TO fim_entries;`);
        count = 0;
      } else {
        for (const root of roots) {
          for (const old of [
            ...this.below(root),
            ...[this.get(root)].filter((r) => r !== undefined),
          ]) {
            agg = addMac(agg, old.mac, -1);
            count--;
            this.stmts.del.run(old.path);
          }
        }
        this.db.exec(`INSERT OR REPLACE INTO fim_entries (path, state, mac, updated)
          SELECT path, state, mac, updated FROM ${staging.table}`);
      }
      count += staging.count;
      agg = (agg + staging.sum.value()) % (1n << 256n);
      if (adHoc) this.setAdHocRules(adHoc);
      this.stmts.metaPut.run(
        'seal',
        JSON.stringify(makeSeal(key, count, agg, (seal?.seq ?? 0) + 1)),
      );
      return count;
    });
    try {
      return tx.immediate();
    } finally {
      this.abortStaging();
    }
  }

  /** Re-checks every entry's MAC, the count, the sum and the seal's signature. */
  verify(key: FimKey | undefined): VerifyReport {
    const seal = this.seal();
    const report: VerifyReport = {
      ok: false,
      entries: 0,
      sealed: seal !== undefined,
      signatureValid: false,
      badEntries: [],
      badCount: 0,
      problems: [],
    };
    const sum = new MacSum();
    for (const r of this.stmts.all.iterate()) {
      const row = r as { path: Buffer; state: string; mac: Buffer };
      report.entries++;
      sum.add(row.mac);
      if (key && !key.mac(row.path, row.state).equals(row.mac)) {
        report.badCount++;
        if (report.badEntries.length < 20) report.badEntries.push(display(row.path));
      }
    }
    if (!key) {
      report.problems.push(
        report.entries > 0 || seal
          ? 'the FIM key is missing from the data directory'
          : 'no baseline',
      );
      return report;
    }
    if (!seal) {
      if (report.entries > 0) report.problems.push('entries exist but the seal is missing');
      else report.problems.push('no baseline');
      return report;
    }
    report.signatureValid = sealSignatureValid(key, seal);
    if (!report.signatureValid)
      report.problems.push('the seal signature is invalid or made with another key');
    if (seal.entries !== report.entries) {
      report.problems.push(
        `the seal counts ${seal.entries} entries, the baseline holds ${report.entries}`,
      );
    }
    if (sum.value().toString(16).padStart(64, '0') !== seal.aggregate) {
      report.problems.push(
        'the entries do not sum to the sealed aggregate (entries added, removed or altered)',
      );
    }
    if (report.badCount > 0)
      report.problems.push(`${report.badCount} entries do not match their MAC`);
    report.ok = report.problems.length === 0;
    return report;
  }

  /** SHA-256 over every entry in path order: equal baselines give equal digests, on any host. */
  digest(): { digest: string; entries: number } {
    const h = crypto.createHash('sha256');
    let n = 0;
    for (const r of this.stmts.all.iterate()) {
      const { path: p, state } = r as { path: Buffer; state: string };
      h.update(p).update('\0').update(state).update('\n');
      n++;
    }
    return { digest: `sha256:${h.digest('hex')}`, entries: n };
  }
}

function historyRow(r: unknown): HistoryRow {
  const x = r as {
    id: number;
    ts: number;
    path: Buffer;
    change: ChangeKind;
    status: HistoryStatus;
    attributes: string;
    old: string | null;
    new: string | null;
  };
  return {
    id: x.id,
    ts: x.ts,
    path: x.path,
    change: x.change,
    status: x.status,
    attributes: JSON.parse(x.attributes) as string[],
    ...(x.old !== null ? { old: decodeState(x.old) } : {}),
    ...(x.new !== null ? { new: decodeState(x.new) } : {}),
  };
}
