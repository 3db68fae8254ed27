import type Database from 'better-sqlite3';
import { isRunning } from '../pid.js';
import { MacSum } from './signer.js';

// Rows per write transaction: short locks on a store `vigil start` writes too.
const ROWS_PER_TX = 2000;
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
  private readonly insert: Database.Statement;
  private batch: Array<Buffer | string> = [];

  constructor(private readonly db: Database.Database) {
    dropAbandoned(db);
    this.table = `${PREFIX}${process.pid}_${++sequence}`;
    // Left by an earlier process that had this pid.
    db.exec(`DROP TABLE IF EXISTS ${this.table}`);
    // The shape of fim_entries (migration 0003), which it may become.
    db.exec(`CREATE TABLE ${this.table} (
        path BLOB PRIMARY KEY,
        dir BLOB NOT NULL,
        state TEXT NOT NULL,
        mac BLOB NOT NULL,
        updated INTEGER NOT NULL
      ) WITHOUT ROWID`);
    // A path staged twice (overlapping starts) counts once.
    this.insert = db.prepare(
      `INSERT OR IGNORE INTO ${this.table} (path, dir, state, mac, updated) VALUES (?, ?, ?, ?, ?)`,
    );
  }

  add(p: Buffer, dir: Buffer, text: string, mac: Buffer): void {
    this.batch.push(p, dir, text, mac);
    if (this.batch.length >= ROWS_PER_TX * 4) this.flush();
  }

  flush(): void {
    const b = this.batch;
    if (b.length === 0) return;
    this.batch = [];
    const now = Date.now();
    this.db
      .transaction(() => {
        for (let i = 0; i < b.length; i += 4) {
          const mac = b[i + 3] as Buffer;
          if (this.insert.run(b[i], b[i + 1], b[i + 2], mac, now).changes === 0) continue;
          this.sum.add(mac);
          this.count++;
        }
      })
      .immediate();
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
