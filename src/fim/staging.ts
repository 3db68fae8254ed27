import type Database from 'better-sqlite3';
import { isRunning } from '../pid.js';
import { MacSum } from './signer.js';

// Rows per write transaction: short locks on a store `vigil start` writes too.
const ROWS_PER_TX = 2048;
// Rows per INSERT: one call into SQLite binds many rows.
const ROWS_PER_INSERT = 64;
const COLUMNS = 4;
// Values a staged row keeps until its flush: path, text, MAC (`updated` is the flush's).
const STAGED = 3;
const PREFIX = 'fim_staging_';
let sequence = 0;

/**
 * An init's new entries, gathered in a table of their own in the store
 * (named after the process, so concurrent inits never share one) and
 * written in short transactions as the walk goes. A full init then swaps
 * the table in for `fim_entries` in one quick transaction instead of
 * copying every row while the hash threads sit idle; the MACs are summed
 * as rows go in, so the seal needs no second pass either.
 */
export class Staging {
  readonly table: string;
  readonly sum = new MacSum();
  count = 0;
  private readonly insertMany: Database.Statement;
  private readonly insertOne: Database.Statement;
  private readonly args = new Array<Buffer | string | number>(ROWS_PER_INSERT * COLUMNS);
  private batch: Array<Buffer | string> = [];

  constructor(private readonly db: Database.Database) {
    dropAbandoned(db);
    this.table = `${PREFIX}${process.pid}_${++sequence}`;
    // Left by an earlier process that had this pid.
    db.exec(`DROP TABLE IF EXISTS ${this.table}`);
    // The shape of fim_entries (migrations 0003 and 0005), which it may become.
    db.exec(`CREATE TABLE ${this.table} (
        path BLOB PRIMARY KEY,
        state TEXT NOT NULL,
        mac BLOB NOT NULL,
        updated INTEGER NOT NULL
      ) WITHOUT ROWID`);
    // The text comes as a string or as its UTF-8 bytes, stored as text either way.
    const values = (n: number) => Array(n).fill('(?, CAST(? AS TEXT), ?, ?)').join(', ');
    // OR IGNORE: a path staged twice (overlapping starts) counts once; and a
    // statement that cannot fail halfway keeps SQLite from journalling every
    // page it touches so as to undo a partial insert of many rows.
    const insert = (n: number) =>
      db.prepare(
        `INSERT OR IGNORE INTO ${this.table} (path, state, mac, updated) VALUES ${values(n)}`,
      );
    this.insertMany = insert(ROWS_PER_INSERT);
    this.insertOne = insert(1);
  }

  add(p: Buffer, text: string | Buffer, mac: Buffer): void {
    this.batch.push(p, text, mac);
    if (this.batch.length >= ROWS_PER_TX * STAGED) this.flush();
  }

  flush(): void {
    const b = this.batch;
    const rows = b.length / STAGED;
    if (rows === 0) return;
    this.batch = [];
    const now = Date.now();
    try {
      this.db
        .transaction(() => {
          if (this.insertAll(b, now) !== rows) throw new RepeatedPath();
        })
        .immediate();
    } catch (err) {
      if (!(err instanceof RepeatedPath)) throw err;
      // Undone as a whole; row by row, which row was skipped is known.
      this.db.transaction(() => this.insertEach(b, now)).immediate();
      return;
    }
    for (let i = 2; i < b.length; i += STAGED) this.sum.add(b[i] as Buffer);
    this.count += rows;
  }

  /** Inserts the rows of `b`, many per statement; how many went in. */
  private insertAll(b: Array<Buffer | string>, now: number): number {
    const rows = b.length / STAGED;
    const args = this.args;
    let inserted = 0;
    let row = 0;
    for (; row + ROWS_PER_INSERT <= rows; row += ROWS_PER_INSERT) {
      for (let r = 0; r < ROWS_PER_INSERT; r++) {
        const from = (row + r) * STAGED;
        const to = r * COLUMNS;
        args[to] = b[from]!;
        args[to + 1] = b[from + 1]!;
        args[to + 2] = b[from + 2]!;
        args[to + 3] = now;
      }
      inserted += this.insertMany.run(args).changes;
    }
    for (let i = row * STAGED; i < b.length; i += STAGED) {
      inserted += this.insertOne.run(b[i], b[i + 1], b[i + 2], now).changes;
    }
    return inserted;
  }

  /** Inserts the rows of `b` one by one, summing the MACs of those that went in. */
  private insertEach(b: Array<Buffer | string>, now: number): void {
    for (let i = 0; i < b.length; i += STAGED) {
      const mac = b[i + 2] as Buffer;
      if (this.insertOne.run(b[i], b[i + 1], mac, now).changes === 0) continue;
      this.sum.add(mac);
      this.count++;
    }
  }

  drop(): void {
    this.db.exec(`DROP TABLE IF EXISTS ${this.table}`);
  }
}

/** Staging tables of inits whose process is gone (killed mid-walk). */
function dropAbandoned(db: Database.Database): void {
  const tables = db
    .prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE '${PREFIX}%'`)
    .pluck()
    .all() as string[];
  for (const name of tables) {
    const pid = Number(/^fim_staging_(\d+)_\d+$/.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid !== process.pid && !isRunning(pid)) {
      db.exec(`DROP TABLE IF EXISTS ${name}`);
    }
  }
}

/** A flush whose rows repeat a staged path: redone row by row. */
class RepeatedPath extends Error {}
